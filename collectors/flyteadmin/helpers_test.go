package flyteadmin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/event"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

const project, domain = "flytesnacks", "development"

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func execID(name string) evidence.ExecutionID {
	return evidence.ExecutionID{Project: project, Domain: domain, Name: name}
}

func newExecution(name string, phase core.WorkflowExecution_Phase, err *core.ExecutionError) *admin.Execution {
	c := &admin.ExecutionClosure{Phase: phase, StartedAt: timestamppb.New(t0), Duration: durationpb.New(5 * time.Minute)}
	if err != nil {
		c.OutputResult = &admin.ExecutionClosure_Error{Error: err}
	}
	return &admin.Execution{
		Id: &core.WorkflowExecutionIdentifier{Project: project, Domain: domain, Name: name},
		Spec: &admin.ExecutionSpec{
			LaunchPlan: &core.Identifier{ResourceType: core.ResourceType_LAUNCH_PLAN, Project: project, Domain: domain, Name: "wf.main", Version: "v1"},
			Metadata:   &admin.ExecutionMetadata{SystemMetadata: &admin.SystemMetadata{Namespace: project + "-" + domain}},
		},
		Closure: c,
	}
}

type nodeOpt func(*admin.NodeExecution)

func parent(dynamic bool) nodeOpt {
	return func(n *admin.NodeExecution) {
		n.Metadata.IsParentNode = true
		n.Metadata.IsDynamic = dynamic
	}
}

func withError(code, msg string) nodeOpt {
	return func(n *admin.NodeExecution) {
		n.Closure.OutputResult = &admin.NodeExecutionClosure_Error{Error: userError(code, msg)}
	}
}

func launchPlan(child string) nodeOpt {
	return func(n *admin.NodeExecution) {
		n.Closure.TargetMetadata = &admin.NodeExecutionClosure_WorkflowNodeMetadata{WorkflowNodeMetadata: &admin.WorkflowNodeMetadata{
			ExecutionId: &core.WorkflowExecutionIdentifier{Project: project, Domain: domain, Name: child},
		}}
	}
}

func newNode(id string, phase core.NodeExecution_Phase, opts ...nodeOpt) *admin.NodeExecution {
	n := &admin.NodeExecution{
		Id:       &core.NodeExecutionIdentifier{NodeId: id},
		InputUri: "s3://flyte-data/metadata/propeller/x/" + id + "/data/inputs.pb",
		Closure:  &admin.NodeExecutionClosure{Phase: phase, CreatedAt: timestamppb.New(t0)},
		Metadata: &admin.NodeExecutionMetaData{SpecNodeId: id},
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

func userError(code, msg string) *core.ExecutionError {
	return &core.ExecutionError{Code: code, Message: msg, Kind: core.ExecutionError_USER}
}

func newTask(retry uint32, phase core.TaskExecution_Phase, pod string, err *core.ExecutionError) *admin.TaskExecution {
	c := &admin.TaskExecutionClosure{
		Phase: phase, TaskType: "python-task", EventVersion: 1,
		Metadata: &event.TaskExecutionMetadata{GeneratedName: pod, PluginIdentifier: "container"},
		Logs:     []*core.TaskLog{{Name: "Kubernetes Logs (User)", Uri: "https://k8s.example.com/log/" + pod}},
		Reasons:  []*admin.Reason{{OccurredAt: timestamppb.New(t0), Message: "task submitted to K8s"}},
	}
	if err != nil {
		c.OutputResult = &admin.TaskExecutionClosure_Error{Error: err}
	}
	return &admin.TaskExecution{
		Id:      &core.TaskExecutionIdentifier{TaskId: &core.Identifier{ResourceType: core.ResourceType_TASK, Project: project, Domain: domain, Name: "wf.train", Version: "v1"}, RetryAttempt: retry},
		Closure: c,
	}
}

// serve starts a fake Admin with f and returns a client for it over real gRPC.
func serve(tb testing.TB, f *fakeadmin.Fixture, opts fakeadmin.Options) (*fakeadmin.Server, service.AdminServiceClient) {
	tb.Helper()
	srv := fakeadmin.New(f, opts)
	ctx, cancel := context.WithCancel(context.Background())
	addr, stop, err := srv.Start(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(testnet.New(tb).GRPCDialer()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cc.Close(); stop(); cancel() })
	return srv, service.NewAdminServiceClient(cc)
}

func collect(tb testing.TB, api flyteadmin.AdminAPI, name string, tune ...func(*flyteadmin.Collector)) *flyteadmin.Result {
	tb.Helper()
	c := &flyteadmin.Collector{API: api, Endpoint: "dns:///fake"}
	for _, t := range tune {
		t(c)
	}
	res, err := c.Collect(context.Background(), execID(name))
	if err != nil {
		tb.Fatalf("Collect(%s): %v", name, err)
	}
	return res
}

// fanout builds an execution with `top` top-level task nodes and one dynamic node with
// `children` children; failed children are every `failEvery`-th (0: none).
func fanout(name string, top, children, failEvery int) *fakeadmin.Fixture {
	f := &fakeadmin.Fixture{}
	e := f.AddExecution(newExecution(name, core.WorkflowExecution_FAILED, userError("USER:ValueError", "boom")))
	e.AddNode("", newNode("start-node", core.NodeExecution_SUCCEEDED))
	for i := range top {
		id := fmt.Sprintf("n%d", i)
		e.AddNode("", newNode(id, core.NodeExecution_SUCCEEDED), newTask(0, core.TaskExecution_SUCCEEDED, name+"-"+id+"-0", nil))
	}
	phase := core.NodeExecution_SUCCEEDED
	if failEvery > 0 {
		phase = core.NodeExecution_FAILED
	}
	e.AddNode("", newNode("dyn", phase, parent(true)), newTask(0, core.TaskExecution_SUCCEEDED, name+"-dyn-0", nil))
	// Inside a dynamic node the pseudo nodes get unique ids; a long one is hashed and only the
	// template id gives it away.
	e.AddNode("dyn", newNode("dyn-0-start-node", core.NodeExecution_SUCCEEDED))
	hashed := newNode("fq2ab7xz", core.NodeExecution_SUCCEEDED)
	hashed.Metadata.SpecNodeId = "end-node"
	e.AddNode("dyn", hashed)
	for i := range children {
		id := fmt.Sprintf("dyn-0-dn%d", i)
		if failEvery > 0 && i%failEvery == failEvery-1 {
			msg := "USER:ValueError: error=Value error! Received: " + strings.Repeat("x", 40) + fmt.Sprintf(" in child %d", i)
			e.AddNode("dyn", newNode(id, core.NodeExecution_FAILED, withError("USER:ValueError", msg)),
				newTask(0, core.TaskExecution_FAILED, name+"-"+id+"-0", userError("USER:ValueError", msg)))
			continue
		}
		e.AddNode("dyn", newNode(id, core.NodeExecution_SUCCEEDED), newTask(0, core.TaskExecution_SUCCEEDED, name+"-"+id+"-0", nil))
	}
	return f
}

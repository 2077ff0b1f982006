package fakeadmin

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/event"
)

// Synthetic builds a failed execution flytesnacks/development/<name> of about n nodes, for
// benchmarks. Half the nodes are top-level tasks, a quarter run under a subworkflow node "sub"
// and a quarter under a dynamic node "dyn". In each group every 100th node fails (at least one
// per group) after two OOMKilled attempts, with a node message longer than the 100 bytes list
// responses keep; the first failed child of "dyn" is itself a subworkflow whose third child
// failed. Errors pass up to parents and the execution unchanged, as in flytepropeller.
func Synthetic(name string, n int) *Fixture {
	b := synth{name: name, t0: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	f := &Fixture{}
	exec := f.AddExecution(&admin.Execution{
		Id: &core.WorkflowExecutionIdentifier{Project: "flytesnacks", Domain: "development", Name: name},
		Spec: &admin.ExecutionSpec{
			LaunchPlan: b.ident(core.ResourceType_LAUNCH_PLAN, "workflows.bench.main_wf"),
			Metadata: &admin.ExecutionMetadata{Principal: "bench", SystemMetadata: &admin.SystemMetadata{
				Namespace: "flytesnacks-development",
			}},
		},
		Closure: &admin.ExecutionClosure{
			Phase:      core.WorkflowExecution_FAILED,
			CreatedAt:  timestamppb.New(b.t0),
			StartedAt:  timestamppb.New(b.t0.Add(time.Second)),
			Duration:   durationpb.New(time.Hour),
			WorkflowId: b.ident(core.ResourceType_WORKFLOW, "workflows.bench.main_wf"),
		},
	})
	b.exec = exec
	exec.AddNode("", b.node("start-node", "start-node", "", nil))

	var first *core.ExecutionError
	keep := func(e *core.ExecutionError) {
		if first == nil {
			first = e
		}
	}
	keep(b.group("", "n", n/2, false))
	sub := b.node("sub", "sub", "", nil)
	sub.Metadata.IsParentNode = true
	exec.AddNode("", sub)
	subErr := b.group("sub", "sub-0-n", n/4, false)
	setNodeError(sub, subErr)
	keep(subErr)

	dyn := b.node("dyn", "dyn", "", nil)
	dyn.Metadata.IsParentNode, dyn.Metadata.IsDynamic = true, true
	dynTask := b.task("dyn", 0, nil)
	dynTask.IsParent = true
	exec.AddNode("", dyn, dynTask)
	dynErr := b.group("dyn", "dyn-0-dn", n-n/2-n/4, true)
	setNodeError(dyn, dynErr)
	keep(dynErr)

	exec.Execution.Closure.OutputResult = &admin.ExecutionClosure_Error{Error: first}
	return f
}

type synth struct {
	name string
	t0   time.Time
	seq  int
	exec *ExecutionFixture
}

func (b *synth) ident(rt core.ResourceType, name string) *core.Identifier {
	return &core.Identifier{ResourceType: rt, Project: "flytesnacks", Domain: "development", Name: name, Version: "v1"}
}

// node makes a succeeded node, or a failed one when err is set; creation times increase.
func (b *synth) node(id, specID, parentID string, err *core.ExecutionError) *admin.NodeExecution {
	b.seq++
	created := b.t0.Add(time.Duration(b.seq) * 50 * time.Millisecond)
	n := &admin.NodeExecution{
		Id:       &core.NodeExecutionIdentifier{NodeId: id},
		InputUri: fmt.Sprintf("s3://flyte-bench/metadata/propeller/flytesnacks-development-%s/%s/data/inputs.pb", b.name, id),
		Closure: &admin.NodeExecutionClosure{
			Phase:     core.NodeExecution_SUCCEEDED,
			CreatedAt: timestamppb.New(created),
			StartedAt: timestamppb.New(created.Add(100 * time.Millisecond)),
			UpdatedAt: timestamppb.New(created.Add(30 * time.Second)),
			Duration:  durationpb.New(30 * time.Second),
		},
		Metadata: &admin.NodeExecutionMetaData{SpecNodeId: specID},
	}
	if parentID != "" {
		n.Metadata.RetryGroup = "0"
	}
	setNodeError(n, err)
	return n
}

func setNodeError(n *admin.NodeExecution, err *core.ExecutionError) {
	if err == nil {
		return
	}
	n.Closure.Phase = core.NodeExecution_FAILED
	n.Closure.OutputResult = &admin.NodeExecutionClosure_Error{Error: err}
}

func (b *synth) pod(nodeID string, retry uint32) string {
	return fmt.Sprintf("%s-%s-%d", b.name, nodeID, retry)
}

func (b *synth) task(nodeID string, retry uint32, err *core.ExecutionError) *admin.TaskExecution {
	pod := b.pod(nodeID, retry)
	c := &admin.TaskExecutionClosure{
		Phase:        core.TaskExecution_SUCCEEDED,
		TaskType:     "python-task",
		EventVersion: 1,
		Metadata:     &event.TaskExecutionMetadata{GeneratedName: pod, PluginIdentifier: "container"},
		Logs: []*core.TaskLog{{
			Name:          "Kubernetes Logs (User)",
			Uri:           "https://k8s-dashboard.example.com/#!/log/flytesnacks-development/" + pod + "/pod?namespace=flytesnacks-development",
			MessageFormat: core.TaskLog_JSON,
		}},
		Reasons: []*admin.Reason{{OccurredAt: timestamppb.New(b.t0), Message: "task submitted to K8s"}},
	}
	if err != nil {
		c.Phase = core.TaskExecution_FAILED
		c.OutputResult = &admin.TaskExecutionClosure_Error{Error: err}
	}
	return &admin.TaskExecution{
		Id:      &core.TaskExecutionIdentifier{TaskId: b.ident(core.ResourceType_TASK, "workflows.bench.work"), RetryAttempt: retry},
		Closure: c,
	}
}

func (b *synth) oom(nodeID string, retry uint32) *core.ExecutionError {
	return &core.ExecutionError{Code: "OOMKilled", Kind: core.ExecutionError_USER, Message: fmt.Sprintf(
		"Pod failed. No message received from kubernetes.\r\n[%s] terminated with exit code (137). Reason [OOMKilled]. Message: \n.",
		b.pod(nodeID, retry))}
}

// failedTask adds a node whose two attempts were OOM-killed and returns its node error.
func (b *synth) failedTask(parentID, id string) *core.ExecutionError {
	last := b.oom(id, 1)
	err := &core.ExecutionError{Code: "RetriesExhausted|OOMKilled", Kind: core.ExecutionError_USER,
		Message: "[2/2] currentAttempt done. Last Error: USER::" + last.GetMessage()}
	b.exec.AddNode(parentID, b.node(id, specOf(parentID, id), parentID, err), b.task(id, 0, b.oom(id, 0)), b.task(id, 1, last))
	return err
}

func specOf(parentID, id string) string {
	if parentID == "" {
		return id
	}
	return id[len(parentID)+3:] // drop "<parent>-0-"
}

// group adds count nodes named prefix+i under parentID and returns the first failure.
func (b *synth) group(parentID, prefix string, count int, nestFirstFailure bool) *core.ExecutionError {
	var first *core.ExecutionError
	for i := range count {
		id := fmt.Sprintf("%s%d", prefix, i)
		if i%100 != 99 && (count >= 100 || i != count-1) {
			b.exec.AddNode(parentID, b.node(id, specOf(parentID, id), parentID, nil), b.task(id, 0, nil))
			continue
		}
		if nestFirstFailure && first == nil {
			sub := b.node(id, specOf(parentID, id), parentID, nil)
			sub.Metadata.IsParentNode = true
			b.exec.AddNode(parentID, sub)
			for j := range 3 {
				cid := fmt.Sprintf("%s-0-n%d", id, j)
				if j < 2 {
					b.exec.AddNode(id, b.node(cid, specOf(id, cid), id, nil), b.task(cid, 0, nil))
					continue
				}
				first = b.failedTask(id, cid)
			}
			setNodeError(sub, first)
			continue
		}
		err := b.failedTask(parentID, id)
		if first == nil {
			first = err
		}
	}
	return first
}

package fakeadmin_test

//lint:file-ignore SA1019 flyteadmin v1.16 still fills the deprecated URI fields (inputs/outputs UrlBlob, output_uri, auth_role, abort_cause) and older servers fill only them

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

const (
	project  = "flytesnacks"
	domain   = "development"
	execName = "a4t8tqkzr9xw2bnl5mfd"
	children = 25
)

// longMsg is over 100 bytes and has a 3-byte rune straddling byte 100.
const longMsg = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" +
	"█ tail of the message that list responses drop"

func execID(name string) *core.WorkflowExecutionIdentifier {
	return &core.WorkflowExecutionIdentifier{Project: project, Domain: domain, Name: name}
}

func taskID() *core.Identifier {
	return &core.Identifier{ResourceType: core.ResourceType_TASK, Project: project, Domain: domain,
		Name: "wf.train", Version: "v1"}
}

func node(id string, phase core.NodeExecution_Phase, at time.Time) *admin.NodeExecution {
	return &admin.NodeExecution{
		Id: &core.NodeExecutionIdentifier{NodeId: id},
		Closure: &admin.NodeExecutionClosure{
			Phase:     phase,
			CreatedAt: timestamppb.New(at),
			Duration:  durationpb.New(time.Minute),
		},
	}
}

func failed(n *admin.NodeExecution, kind core.ExecutionError_ErrorKind, code, msg string) *admin.NodeExecution {
	n.Closure.OutputResult = &admin.NodeExecutionClosure_Error{Error: &core.ExecutionError{Kind: kind, Code: code, Message: msg}}
	return n
}

func attempt(retry uint32, phase core.TaskExecution_Phase, msg string) *admin.TaskExecution {
	t := &admin.TaskExecution{
		Id:      &core.TaskExecutionIdentifier{TaskId: taskID(), RetryAttempt: retry},
		Closure: &admin.TaskExecutionClosure{Phase: phase, TaskType: "python-task"},
	}
	if msg != "" {
		t.Closure.OutputResult = &admin.TaskExecutionClosure_Error{Error: &core.ExecutionError{Code: "OOMKilled", Message: msg, Kind: core.ExecutionError_USER}}
	}
	return t
}

// testFixture: start-node, n0, n1 (dynamic parent with 25 children, 3 failed), plus an
// archived execution and a second active one.
func testFixture() *fakeadmin.Fixture {
	t0 := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	f := &fakeadmin.Fixture{}
	ef := f.AddExecution(&admin.Execution{
		Id: execID(execName),
		Closure: &admin.ExecutionClosure{
			Phase:        core.WorkflowExecution_FAILED,
			CreatedAt:    timestamppb.New(t0),
			OutputResult: &admin.ExecutionClosure_Error{Error: &core.ExecutionError{Code: "RetriesExhausted|OOMKilled", Message: longMsg}},
		},
	})
	ef.AddNode("", node("start-node", core.NodeExecution_SUCCEEDED, t0))
	ef.AddNode("", node("n0", core.NodeExecution_SUCCEEDED, t0.Add(time.Second)),
		attempt(0, core.TaskExecution_SUCCEEDED, ""))
	parent := node("n1", core.NodeExecution_FAILED, t0.Add(2*time.Second))
	parent.Metadata = &admin.NodeExecutionMetaData{IsParentNode: true, IsDynamic: true}
	ef.AddNode("", failed(parent, core.ExecutionError_USER, "RetriesExhausted|OOMKilled", longMsg),
		attempt(0, core.TaskExecution_FAILED, longMsg), attempt(1, core.TaskExecution_FAILED, longMsg), attempt(2, core.TaskExecution_FAILED, "short"))
	for i := range children {
		id := fmt.Sprintf("n1-0-dn%d", i)
		// Same created_at for all, so only id gives a total order.
		n := node(id, core.NodeExecution_SUCCEEDED, t0.Add(3*time.Second))
		switch i {
		case 3:
			failed(n, core.ExecutionError_USER, "USER:ValueError", "bad input")
			n.Closure.Phase = core.NodeExecution_FAILED
		case 7:
			failed(n, core.ExecutionError_SYSTEM, "Interrupted", "node preempted")
			n.Closure.Phase = core.NodeExecution_FAILED
		case 11:
			n.Closure.Phase = core.NodeExecution_ABORTED
		}
		if _, err := f.AddNode(execName, "n1", n); err != nil {
			panic(err)
		}
	}
	f.AddExecution(&admin.Execution{
		Id: execID("archivedexecution000"),
		Closure: &admin.ExecutionClosure{
			Phase:              core.WorkflowExecution_SUCCEEDED,
			StateChangeDetails: &admin.ExecutionStateChangeDetails{State: admin.ExecutionState_EXECUTION_ARCHIVED},
		},
	})
	f.AddExecution(&admin.Execution{Id: execID("healthyexecution0000"), Closure: &admin.ExecutionClosure{Phase: core.WorkflowExecution_SUCCEEDED}})
	return f
}

func start(t *testing.T, f *fakeadmin.Fixture, opts fakeadmin.Options) (*fakeadmin.Server, service.AdminServiceClient, *grpc.ClientConn) {
	t.Helper()
	srv := fakeadmin.New(f, opts)
	addr, stop, err := srv.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("listening on %s, want 127.0.0.1", addr)
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(testnet.New(t).GRPCDialer()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return srv, service.NewAdminServiceClient(cc), cc
}

func wantStatus(t *testing.T, err error, code codes.Code, msg string) {
	t.Helper()
	st, _ := status.FromError(err)
	if err == nil || st.Code() != code || normalize(st.Message()) != normalize(msg) {
		t.Fatalf("got %v, want %s %q", err, code, msg)
	}
}

// normalize undoes prototext's randomized spacing.
func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

func listChildren(t *testing.T, c service.AdminServiceClient, limit uint32, sortBy *admin.Sort) ([]string, []string) {
	t.Helper()
	var ids, tokens []string
	token := ""
	for {
		resp, err := c.ListNodeExecutions(t.Context(), &admin.NodeExecutionListRequest{
			WorkflowExecutionId: execID(execName), UniqueParentId: "n1", Limit: limit, Token: token, SortBy: sortBy,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range resp.GetNodeExecutions() {
			ids = append(ids, n.GetId().GetNodeId())
		}
		tokens = append(tokens, resp.GetToken())
		if token = resp.GetToken(); token == "" {
			return ids, tokens
		}
	}
}

func TestPagingSortedByIDReturnsEveryNodeOnce(t *testing.T) {
	_, c, _ := start(t, testFixture(), fakeadmin.Options{})
	ids, tokens := listChildren(t, c, 10, &admin.Sort{Key: "id", Direction: admin.Sort_ASCENDING})
	if got, want := strings.Join(tokens, ","), "10,20,"; got != want {
		t.Errorf("tokens %q, want %q", got, want)
	}
	if len(ids) != children {
		t.Fatalf("got %d nodes, want %d", len(ids), children)
	}
	for i, id := range ids {
		if want := fmt.Sprintf("n1-0-dn%d", i); id != want {
			t.Errorf("ids[%d] = %s, want %s", i, id, want)
		}
	}
	// DESCENDING is the proto default.
	desc, _ := listChildren(t, c, 10, &admin.Sort{Key: "id"})
	if desc[0] != "n1-0-dn24" || len(desc) != children {
		t.Errorf("default direction: first %s of %d", desc[0], len(desc))
	}
}

func TestUnsortedPagingDuplicatesAndMisses(t *testing.T) {
	_, c, _ := start(t, testFixture(), fakeadmin.Options{})
	ids, _ := listChildren(t, c, 10, nil)
	if len(ids) != children {
		t.Fatalf("got %d rows, want %d", len(ids), children)
	}
	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
	}
	dups, missing := 0, 0
	for i := range children {
		switch seen[fmt.Sprintf("n1-0-dn%d", i)] {
		case 0:
			missing++
		case 1:
		default:
			dups++
		}
	}
	if dups == 0 || missing == 0 {
		t.Errorf("unsorted paging was stable: %d duplicates, %d missing", dups, missing)
	}
}

func TestListValidation(t *testing.T) {
	_, c, _ := start(t, testFixture(), fakeadmin.Options{})
	ctx := t.Context()
	nodeID := &core.NodeExecutionIdentifier{NodeId: "n1", ExecutionId: execID(execName)}

	_, err := c.ListNodeExecutions(ctx, &admin.NodeExecutionListRequest{WorkflowExecutionId: execID(execName)})
	wantStatus(t, err, codes.InvalidArgument, "invalid value for limit")
	_, err = c.ListExecutions(ctx, &admin.ResourceListRequest{Id: &admin.NamedEntityIdentifier{Project: project, Domain: domain}})
	wantStatus(t, err, codes.InvalidArgument, "invalid value for limit")
	_, err = c.ListTaskExecutions(ctx, &admin.TaskExecutionListRequest{NodeExecutionId: nodeID})
	wantStatus(t, err, codes.InvalidArgument, "invalid value for limit")
	_, err = c.ListNodeExecutions(ctx, &admin.NodeExecutionListRequest{Limit: 1})
	wantStatus(t, err, codes.InvalidArgument, "missing execution_id")

	for _, tok := range []string{"abc", "-1"} {
		_, err = c.ListNodeExecutions(ctx, &admin.NodeExecutionListRequest{WorkflowExecutionId: execID(execName), Limit: 5, Token: tok})
		wantStatus(t, err, codes.InvalidArgument, "invalid pagination token "+tok+" for ListNodeExecutions")
	}
	_, err = c.ListExecutions(ctx, &admin.ResourceListRequest{Id: &admin.NamedEntityIdentifier{Project: project, Domain: domain}, Limit: 5, Token: "x"})
	wantStatus(t, err, codes.InvalidArgument, "invalid pagination token x for ListExecutions")
	_, err = c.ListTaskExecutions(ctx, &admin.TaskExecutionListRequest{NodeExecutionId: nodeID, Limit: 5, Token: "x"})
	wantStatus(t, err, codes.InvalidArgument, "invalid pagination token x for ListTaskExecutions")

	_, err = c.ListNodeExecutions(ctx, &admin.NodeExecutionListRequest{WorkflowExecutionId: execID(execName), Limit: 5,
		SortBy: &admin.Sort{Key: "created"}})
	wantStatus(t, err, codes.InvalidArgument, "invalid sort key 'created'")
	_, err = c.ListTaskExecutions(ctx, &admin.TaskExecutionListRequest{NodeExecutionId: nodeID, Limit: 5,
		SortBy: &admin.Sort{Key: "node_execution_created_at"}})
	wantStatus(t, err, codes.InvalidArgument, "invalid sort key 'node_execution_created_at'")
}

func TestFilters(t *testing.T) {
	_, c, _ := start(t, testFixture(), fakeadmin.Options{})
	list := func(filters string) ([]string, error) {
		resp, err := c.ListNodeExecutions(t.Context(), &admin.NodeExecutionListRequest{
			WorkflowExecutionId: execID(execName), UniqueParentId: "n1", Limit: 100, Filters: filters,
			SortBy: &admin.Sort{Key: "id", Direction: admin.Sort_ASCENDING},
		})
		var ids []string
		for _, n := range resp.GetNodeExecutions() {
			ids = append(ids, n.GetId().GetNodeId())
		}
		return ids, err
	}
	for _, tc := range []struct{ filters, want string }{
		{"eq(phase,FAILED)", "n1-0-dn3 n1-0-dn7"},
		{"eq(node_execution.phase, FAILED)", "n1-0-dn3 n1-0-dn7"},
		{"value_in(phase,FAILED;ABORTED)", "n1-0-dn3 n1-0-dn7 n1-0-dn11"},
		{"eq(error_kind,SYSTEM)", "n1-0-dn7"},
		// NULL never matches: nodes without an error are not "not USER".
		{"ne(error_kind,USER)", "n1-0-dn7"},
		{"value_not_in(phase,SUCCEEDED)+eq(error_code,USER:ValueError)", "n1-0-dn3"},
		{"contains(node_id,dn1)", "n1-0-dn1 n1-0-dn10 n1-0-dn11 n1-0-dn12 n1-0-dn13 n1-0-dn14 n1-0-dn15 n1-0-dn16 n1-0-dn17 n1-0-dn18 n1-0-dn19"},
		{"eq(execution.phase,FAILED)+eq(phase,ABORTED)", "n1-0-dn11"},
		{"gte(duration,60)+lt(duration,1m1s)+eq(node_id,n1-0-dn0)", "n1-0-dn0"},
		{"gt(node_execution_created_at,2026-08-01T12:00:03Z)", ""},
	} {
		got, err := list(tc.filters)
		if err != nil {
			t.Errorf("%s: %v", tc.filters, err)
			continue
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: got %v, want %s", tc.filters, got, tc.want)
		}
	}
	for _, tc := range []struct {
		filters string
		code    codes.Code
		msg     string
	}{
		{"eq(foo,1)", codes.InvalidArgument, "'ne.foo' is invalid filter"},
		{"eq(node_execution.retry_attempt,1)", codes.InvalidArgument, "'ne.retry_attempt' is invalid filter"},
		{"eq(task.name,x)", codes.InvalidArgument, "'t' entity is not allowed in filters"},
		{"phase=FAILED", codes.InvalidArgument, "invalid value for filters"},
		{"like(phase,FAILED)", codes.InvalidArgument, "unrecognized filter function: like"},
		{"gt(duration,soon)", codes.InvalidArgument, "Failed to parse duration [soon]"},
		{"eq(parent_id,abc)", codes.Unknown, `failed database operation with invalid input syntax for type bigint: "abc"`},
	} {
		_, err := list(tc.filters)
		wantStatus(t, err, tc.code, tc.msg)
	}

	resp, err := c.ListTaskExecutions(t.Context(), &admin.TaskExecutionListRequest{
		NodeExecutionId: &core.NodeExecutionIdentifier{NodeId: "n1", ExecutionId: execID(execName)},
		Limit:           10, Filters: "gte(retry_attempt,1)",
		SortBy: &admin.Sort{Key: "retry_attempt", Direction: admin.Sort_DESCENDING},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ts := resp.GetTaskExecutions(); len(ts) != 2 || ts[0].GetId().GetRetryAttempt() != 2 {
		t.Errorf("task filter/sort: got %v", ts)
	}
	_, err = c.ListTaskExecutions(t.Context(), &admin.TaskExecutionListRequest{
		NodeExecutionId: &core.NodeExecutionIdentifier{NodeId: "n1", ExecutionId: execID(execName)},
		Limit:           10, Filters: "eq(error_kind,USER)",
	})
	wantStatus(t, err, codes.InvalidArgument, "'te.error_kind' is invalid filter")
}

func TestParentScoping(t *testing.T) {
	_, c, _ := start(t, testFixture(), fakeadmin.Options{})
	resp, err := c.ListNodeExecutions(t.Context(), &admin.NodeExecutionListRequest{
		WorkflowExecutionId: execID(execName), Limit: 100, SortBy: &admin.Sort{Key: "id", Direction: admin.Sort_ASCENDING},
	})
	if err != nil {
		t.Fatal(err)
	}
	var top []string
	for _, n := range resp.GetNodeExecutions() {
		top = append(top, n.GetId().GetNodeId())
	}
	if got := strings.Join(top, " "); got != "start-node n0 n1" {
		t.Errorf("top level = %s", got)
	}
	_, err = c.ListNodeExecutions(t.Context(), &admin.NodeExecutionListRequest{
		WorkflowExecutionId: execID(execName), Limit: 100, UniqueParentId: "n9",
	})
	wantStatus(t, err, codes.NotFound, fmt.Sprintf("missing entity of type node execution with identifier %v",
		&core.NodeExecutionIdentifier{NodeId: "n9", ExecutionId: execID(execName)}))
	if !strings.Contains(normalize(status.Convert(err).Message()), `node_id:"n9" execution_id:{project:"flytesnacks" domain:"development" name:"a4t8tqkzr9xw2bnl5mfd"}`) {
		t.Errorf("NotFound text: %s", status.Convert(err).Message())
	}
	// An unknown execution lists as empty, like the real repo query.
	resp, err = c.ListNodeExecutions(t.Context(), &admin.NodeExecutionListRequest{WorkflowExecutionId: execID("nope"), Limit: 10})
	if err != nil || len(resp.GetNodeExecutions()) != 0 || resp.GetToken() != "" {
		t.Errorf("unknown execution: %v %v", resp, err)
	}
}

func TestErrorTrimming(t *testing.T) {
	_, c, _ := start(t, testFixture(), fakeadmin.Options{})
	ctx := t.Context()
	checkTrimmed := func(what, msg string) {
		t.Helper()
		if len(msg) > 100 || !utf8.ValidString(msg) || !strings.HasPrefix(longMsg, msg) || len(msg) < 98 {
			t.Errorf("%s: not trimmed like admin: %d bytes %q", what, len(msg), msg)
		}
	}
	list, err := c.ListNodeExecutions(ctx, &admin.NodeExecutionListRequest{WorkflowExecutionId: execID(execName), Limit: 10,
		Filters: "eq(node_id,n1)"})
	if err != nil {
		t.Fatal(err)
	}
	checkTrimmed("ListNodeExecutions", list.GetNodeExecutions()[0].GetClosure().GetError().GetMessage())

	got, err := c.GetNodeExecution(ctx, &admin.NodeExecutionGetRequest{Id: &core.NodeExecutionIdentifier{NodeId: "n1", ExecutionId: execID(execName)}})
	if err != nil || got.GetClosure().GetError().GetMessage() != longMsg {
		t.Errorf("GetNodeExecution trimmed or failed: %v", err)
	}

	execs, err := c.ListExecutions(ctx, &admin.ResourceListRequest{Id: &admin.NamedEntityIdentifier{Project: project, Domain: domain, Name: execName}, Limit: 10})
	if err != nil || len(execs.GetExecutions()) != 1 {
		t.Fatalf("ListExecutions by name: %v %v", execs, err)
	}
	checkTrimmed("ListExecutions", execs.GetExecutions()[0].GetClosure().GetError().GetMessage())

	ex, err := c.GetExecution(ctx, &admin.WorkflowExecutionGetRequest{Id: execID(execName)})
	if err != nil || ex.GetClosure().GetError().GetMessage() != longMsg {
		t.Errorf("GetExecution trimmed or failed: %v", err)
	}
	if ns := ex.GetSpec().GetMetadata().GetSystemMetadata().GetNamespace(); ns != "flytesnacks-development" {
		t.Errorf("GetExecution namespace default = %q", ns)
	}

	tasks, err := c.ListTaskExecutions(ctx, &admin.TaskExecutionListRequest{
		NodeExecutionId: &core.NodeExecutionIdentifier{NodeId: "n1", ExecutionId: execID(execName)}, Limit: 10})
	if err != nil || tasks.GetTaskExecutions()[0].GetClosure().GetError().GetMessage() != longMsg {
		t.Errorf("ListTaskExecutions must not trim: %v", err)
	}
}

func TestGetNotFound(t *testing.T) {
	_, c, _ := start(t, testFixture(), fakeadmin.Options{})
	ctx := t.Context()
	_, err := c.GetExecution(ctx, &admin.WorkflowExecutionGetRequest{Id: execID("nope")})
	wantStatus(t, err, codes.NotFound, `missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"nope"`)
	_, err = c.GetExecutionData(ctx, &admin.WorkflowExecutionGetDataRequest{Id: execID("nope")})
	wantStatus(t, err, codes.NotFound, `missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"nope"`)
	_, err = c.GetExecution(ctx, &admin.WorkflowExecutionGetRequest{Id: &core.WorkflowExecutionIdentifier{Project: project}})
	wantStatus(t, err, codes.InvalidArgument, "missing domain")

	_, err = c.GetNodeExecution(ctx, &admin.NodeExecutionGetRequest{Id: &core.NodeExecutionIdentifier{NodeId: "n9", ExecutionId: execID(execName)}})
	wantStatus(t, err, codes.NotFound, `missing entity of type node execution with identifier node_id:"n9" execution_id:{project:"flytesnacks" domain:"development" name:"a4t8tqkzr9xw2bnl5mfd"}`)
	_, err = c.GetNodeExecutionData(ctx, &admin.NodeExecutionGetDataRequest{Id: &core.NodeExecutionIdentifier{NodeId: "n9", ExecutionId: execID(execName)}})
	if status.Code(err) != codes.NotFound {
		t.Errorf("GetNodeExecutionData: %v", err)
	}

	tid := &core.TaskExecutionIdentifier{TaskId: taskID(), RetryAttempt: 7,
		NodeExecutionId: &core.NodeExecutionIdentifier{NodeId: "n1", ExecutionId: execID(execName)}}
	tid.TaskId.ResourceType = core.ResourceType_UNSPECIFIED // admin fills TASK in
	_, err = c.GetTaskExecution(ctx, &admin.TaskExecutionGetRequest{Id: tid})
	wantStatus(t, err, codes.NotFound, `missing entity of type task execution with identifier task_id:{project:"flytesnacks" domain:"development" name:"wf.train" version:"v1"} node_execution_id:{node_id:"n1" execution_id:{project:"flytesnacks" domain:"development" name:"a4t8tqkzr9xw2bnl5mfd"}}`)
	tid.RetryAttempt = 1
	got, err := c.GetTaskExecution(ctx, &admin.TaskExecutionGetRequest{Id: tid})
	if err != nil || got.GetId().GetRetryAttempt() != 1 {
		t.Errorf("GetTaskExecution: %v %v", got, err)
	}

	data, err := c.GetNodeExecutionData(ctx, &admin.NodeExecutionGetDataRequest{Id: &core.NodeExecutionIdentifier{NodeId: "n0", ExecutionId: execID(execName)}})
	if err != nil || data.GetFlyteUrls().GetInputs() != "flyte://v1/flytesnacks/development/a4t8tqkzr9xw2bnl5mfd/n0/i" {
		t.Errorf("GetNodeExecutionData: %v %v", data, err)
	}
	_, err = c.GetProject(ctx, &admin.ProjectGetRequest{Id: "nope"})
	wantStatus(t, err, codes.NotFound, "project [nope] not found")
}

func TestExecutionsProjectsVersion(t *testing.T) {
	_, c, cc := start(t, testFixture(), fakeadmin.Options{})
	ctx := t.Context()
	execs, err := c.ListExecutions(ctx, &admin.ResourceListRequest{Id: &admin.NamedEntityIdentifier{Project: project, Domain: domain}, Limit: 10,
		SortBy: &admin.Sort{Key: "id", Direction: admin.Sort_ASCENDING}})
	if err != nil || len(execs.GetExecutions()) != 2 {
		t.Fatalf("archived execution must be hidden: %v %v", execs, err)
	}
	execs, err = c.ListExecutions(ctx, &admin.ResourceListRequest{Id: &admin.NamedEntityIdentifier{Project: project, Domain: domain}, Limit: 10,
		Filters: "eq(state,1)"})
	if err != nil || len(execs.GetExecutions()) != 1 || execs.GetExecutions()[0].GetId().GetName() != "archivedexecution000" {
		t.Errorf("state filter: %v %v", execs, err)
	}
	_, err = c.ListExecutions(ctx, &admin.ResourceListRequest{Id: &admin.NamedEntityIdentifier{Project: project, Domain: domain}, Limit: 10,
		Filters: "eq(name,x)"})
	wantStatus(t, err, codes.InvalidArgument, "'e.name' is invalid filter")

	v, err := c.GetVersion(ctx, &admin.GetVersionRequest{})
	if err != nil || !strings.HasPrefix(v.GetControlPlaneVersion().GetVersion(), "v1.16.8") {
		t.Errorf("GetVersion: %v %v", v, err)
	}
	ps, err := c.ListProjects(ctx, &admin.ProjectListRequest{})
	if err != nil || len(ps.GetProjects()) != 1 || ps.GetProjects()[0].GetId() != project || len(ps.GetProjects()[0].GetDomains()) != 3 {
		t.Errorf("ListProjects: %v %v", ps, err)
	}
	p, err := c.GetProject(ctx, &admin.ProjectGetRequest{Id: project})
	if err != nil || p.GetName() != project {
		t.Errorf("GetProject: %v %v", p, err)
	}
	ds, err := c.GetDomains(ctx, &admin.GetDomainRequest{})
	if err != nil || len(ds.GetDomains()) != 3 || ds.GetDomains()[0].GetId() != "development" {
		t.Errorf("GetDomains: %v %v", ds, err)
	}
	// Auth is off: AuthMetadataService is not registered.
	_, err = service.NewAuthMetadataServiceClient(cc).GetOAuth2Metadata(ctx, &service.OAuth2MetadataRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("AuthMetadataService: %v, want Unimplemented", err)
	}
}

func TestInstruments(t *testing.T) {
	var faults sync.Map
	srv, c, _ := start(t, testFixture(), fakeadmin.Options{
		LatencyFunc: func(method string) time.Duration {
			if method == "GetVersion" {
				return 50 * time.Millisecond
			}
			return 0
		},
		Fault: func(method string, req proto.Message) error {
			if r, ok := req.(*admin.NodeExecutionGetRequest); ok && r.GetId().GetNodeId() == "n0" {
				faults.Store(method, true)
				return status.Error(codes.PermissionDenied, "denied")
			}
			return nil
		},
	})
	ctx := t.Context()

	const parallel = 6
	began := time.Now()
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			if _, err := c.GetVersion(ctx, &admin.GetVersionRequest{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d := time.Since(began); d < 50*time.Millisecond {
		t.Errorf("latency not applied: %v", d)
	}
	st := srv.Stats()
	if st.Calls["GetVersion"] != parallel || st.PeakInFlight != parallel || st.InFlight != 0 {
		t.Errorf("stats after parallel calls: %+v", st)
	}

	_, err := c.GetNodeExecution(ctx, &admin.NodeExecutionGetRequest{Id: &core.NodeExecutionIdentifier{NodeId: "n0", ExecutionId: execID(execName)}})
	wantStatus(t, err, codes.PermissionDenied, "denied")
	if _, ok := faults.Load("GetNodeExecution"); !ok {
		t.Error("fault hook not called with the method name")
	}

	srv.FailNext("ListNodeExecutions", codes.Unavailable, 2)
	req := &admin.NodeExecutionListRequest{WorkflowExecutionId: execID(execName), Limit: 5}
	for range 2 {
		if _, err := c.ListNodeExecutions(ctx, req); status.Code(err) != codes.Unavailable {
			t.Errorf("FailNext: %v", err)
		}
	}
	if _, err := c.ListNodeExecutions(ctx, req); err != nil {
		t.Errorf("after queued faults: %v", err)
	}
	if got := srv.Stats().Calls["ListNodeExecutions"]; got != 3 {
		t.Errorf("ListNodeExecutions calls = %d, want 3", got)
	}
	srv.ResetStats()
	if st := srv.Stats(); st.Total != 0 || st.PeakInFlight != 0 {
		t.Errorf("after reset: %+v", st)
	}

	// A cancelled caller is not kept waiting for the injected latency.
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := c.GetVersion(short, &admin.GetVersionRequest{}); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("deadline: %v", err)
	}
}

func TestFixtureJSONRoundTrip(t *testing.T) {
	f := testFixture()
	f.Executions[0].Data = &admin.WorkflowExecutionGetDataResponse{Inputs: &admin.UrlBlob{Url: "s3://bucket/inputs", Bytes: 12}}
	f.Executions[0].Nodes[1].Data = &admin.NodeExecutionGetDataResponse{FlyteUrls: &admin.FlyteURLs{Inputs: "flyte://x/i"}}
	b, err := f.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	b2, err := f.MarshalJSON()
	if err != nil || string(b) != string(b2) {
		t.Fatal("marshal is not deterministic")
	}
	g, err := fakeadmin.ParseFixture(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Executions) != len(f.Executions) {
		t.Fatalf("executions: %d != %d", len(g.Executions), len(f.Executions))
	}
	for i, ef := range f.Executions {
		eg := g.Executions[i]
		if !proto.Equal(ef.Execution, eg.Execution) || !proto.Equal(ef.Data, eg.Data) || len(ef.Nodes) != len(eg.Nodes) {
			t.Fatalf("execution %d differs", i)
		}
		for j, nf := range ef.Nodes {
			ng := eg.Nodes[j]
			if nf.ParentID != ng.ParentID || !proto.Equal(nf.NodeExecution, ng.NodeExecution) || !proto.Equal(nf.Data, ng.Data) || len(nf.Tasks) != len(ng.Tasks) {
				t.Fatalf("node %d/%d differs", i, j)
			}
			for k := range nf.Tasks {
				if !proto.Equal(nf.Tasks[k], ng.Tasks[k]) {
					t.Fatalf("task %d/%d/%d differs", i, j, k)
				}
			}
		}
	}

	// Gateway JSON with camelCase keys and fields outside our IDL subset is accepted.
	pasted := `{"executions":[{"execution":{"id":{"project":"p","domain":"d","name":"e"},
		"closure":{"phase":"FAILED","someNewField":1}},
		"nodes":[{"parentId":"","nodeExecution":{"id":{"nodeId":"n0"},"closure":{"phase":"FAILED"}}}]}]}`
	if _, err := fakeadmin.LoadFixture(strings.NewReader(pasted)); err != nil {
		t.Errorf("pasted JSON: %v", err)
	}
	for _, bad := range []string{
		`{"executions":[{"execution":{"id":{"project":"p","domain":"d","name":"e"}},"nodes":[{"parentId":"n9","nodeExecution":{"id":{"nodeId":"n0"}}}]}]}`,
		`{"executions":[{"execution":{"id":{"project":"p","domain":"d","name":"e"}},"nodes":[{"parent_id":"","nodeExecution":{"id":{"nodeId":"n0"}}}]}]}`,
		`{"executions":[{"execution":{"id":{"project":"p","domain":"d"}}}]}`,
	} {
		if _, err := fakeadmin.ParseFixture([]byte(bad)); err == nil {
			t.Errorf("accepted invalid fixture %s", bad)
		}
	}
	if _, err := f.AddNode("missing", "", node("x", core.NodeExecution_QUEUED, time.Time{})); err == nil {
		t.Error("AddNode to an unknown execution succeeded")
	}
	if err := errors.Join(f.Validate()); err != nil {
		t.Errorf("builder fixture invalid: %v", err)
	}
}

func TestSynthetic(t *testing.T) {
	f := fakeadmin.Synthetic("bench1000", 1000)
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	nodes, failed := 0, 0
	for _, nf := range f.Executions[0].Nodes {
		nodes++
		if nf.NodeExecution.GetClosure().GetPhase() == core.NodeExecution_FAILED {
			failed++
			if len(nf.NodeExecution.GetClosure().GetError().GetMessage()) <= 100 {
				t.Errorf("%s: message too short to be trimmed", nf.NodeExecution.GetId().GetNodeId())
			}
		}
	}
	if nodes < 1000 || nodes > 1010 || failed < 10 {
		t.Errorf("Synthetic(1000): %d nodes, %d failed", nodes, failed)
	}
	if f.Executions[0].Execution.GetClosure().GetError() == nil {
		t.Error("execution has no error")
	}
}

func BenchmarkListChildren10k(b *testing.B) {
	f := &fakeadmin.Fixture{}
	ef := f.AddExecution(&admin.Execution{Id: execID(execName)})
	ef.AddNode("", node("n0", core.NodeExecution_FAILED, time.Now()))
	for i := range 10000 {
		ef.AddNode("n0", node(fmt.Sprintf("n0-0-dn%d", i), core.NodeExecution_SUCCEEDED, time.Now()))
	}
	srv := fakeadmin.New(f, fakeadmin.Options{})
	req := &admin.NodeExecutionListRequest{WorkflowExecutionId: execID(execName), UniqueParentId: "n0", Limit: 500,
		SortBy: &admin.Sort{Key: "id", Direction: admin.Sort_ASCENDING}, Filters: "ne(phase,SUCCEEDED)"}
	for b.Loop() {
		if _, err := srv.ListNodeExecutions(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}

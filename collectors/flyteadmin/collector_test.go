package flyteadmin_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
)

func nodeIDs(nodes []*evidence.Node) []string {
	var ids []string
	for _, n := range nodes {
		ids = append(ids, n.ID)
	}
	return ids
}

func TestPaginationReadsEveryPageOnce(t *testing.T) {
	// 3 failed children among 100 at page size 7: 15 pages, and the fake's unsorted paging
	// would repeat and skip rows, so only a sorted read finds all three.
	srv, api := serve(t, fanout("pages", 4, 100, 33), fakeadmin.Options{})
	res := collect(t, api, "pages", func(c *flyteadmin.Collector) { c.PageSize = 7 })

	top := res.Execution.Nodes
	if got := nodeIDs(top); strings.Join(got, ",") != "n0,n1,n2,n3,dyn" {
		t.Fatalf("top-level nodes = %v (start-node must be skipped)", got)
	}
	dyn := top[4]
	if !dyn.ChildrenCollected || len(dyn.Children) != 100 {
		t.Fatalf("dynamic node has %d children (collected=%v), want 100", len(dyn.Children), dyn.ChildrenCollected)
	}
	seen := map[string]bool{}
	for _, c := range dyn.Children {
		if seen[c.ID] {
			t.Fatalf("child %s listed twice", c.ID)
		}
		seen[c.ID] = true
	}
	var failed []string
	for _, p := range res.Execution.FailurePaths() {
		failed = append(failed, p[len(p)-1].Node.ID)
	}
	if strings.Join(failed, ",") != "dyn-0-dn32,dyn-0-dn65,dyn-0-dn98" {
		t.Fatalf("failure paths end at %v", failed)
	}
	// top: 5 rows +start-node at 7 per page = 1 page; children: ceil(100/7)=15 pages.
	if got := srv.Stats().Calls["ListNodeExecutions"]; got != 1+15 {
		t.Fatalf("ListNodeExecutions calls = %d, want 16", got)
	}
	if got := res.Record.Calls["ListNodeExecutions"]; got != 16 {
		t.Fatalf("record counts %d ListNodeExecutions, server saw 16", got)
	}
}

func TestCallsDoNotGrowWithSucceededNodes(t *testing.T) {
	calls := func(top, children int) map[string]int {
		srv, api := serve(t, fanout("grow", top, children, 0), fakeadmin.Options{})
		collect(t, api, "grow")
		return srv.Stats().Calls
	}
	small, large := calls(10, 0), calls(400, 0)
	for _, m := range []string{"ListTaskExecutions", "GetNodeExecution", "GetTaskExecution", "ListNodeExecutions"} {
		if small[m] != large[m] {
			t.Errorf("%s: %d calls for 10 succeeded nodes, %d for 400", m, small[m], large[m])
		}
	}
	if large["ListTaskExecutions"] != 0 {
		t.Errorf("task attempts of succeeded nodes were listed: %d calls", large["ListTaskExecutions"])
	}
}

func TestSubworkflowRecursionAndRetries(t *testing.T) {
	f := &fakeadmin.Fixture{}
	oom := "Pod failed. No message received from kubernetes.\r\n[x-n1-0-n1-%d] terminated with exit code (137). Reason [OOMKilled]. Message: \n."
	nodeMsg := "[2/2] currentAttempt done. Last Error: USER::" + fmt.Sprintf(oom, 1)
	e := f.AddExecution(newExecution("sub", core.WorkflowExecution_FAILED, userError("RetriesExhausted|OOMKilled", nodeMsg)))
	e.AddNode("", newNode("n0", core.NodeExecution_SUCCEEDED))
	e.AddNode("", newNode("n1", core.NodeExecution_FAILED, parent(false), withError("RetriesExhausted|OOMKilled", nodeMsg)))
	e.AddNode("n1", newNode("n1-0-n0", core.NodeExecution_SUCCEEDED))
	e.AddNode("n1", newNode("n1-0-sub", core.NodeExecution_FAILED, parent(false), withError("RetriesExhausted|OOMKilled", nodeMsg)))
	e.AddNode("n1-0-sub", newNode("n1-0-sub-0-n1", core.NodeExecution_FAILED, withError("RetriesExhausted|OOMKilled", nodeMsg)),
		newTask(1, core.TaskExecution_FAILED, "x-n1-0-n1-1", userError("OOMKilled", fmt.Sprintf(oom, 1))),
		newTask(0, core.TaskExecution_FAILED, "x-n1-0-n1-0", userError("OOMKilled", fmt.Sprintf(oom, 0))))
	srv, api := serve(t, f, fakeadmin.Options{})
	res := collect(t, api, "sub")

	paths := res.Execution.FailurePaths()
	if len(paths) != 1 || len(paths[0]) != 3 {
		t.Fatalf("want one path of depth 3, got %d paths", len(paths))
	}
	leaf := paths[0][2].Node
	if leaf.ID != "n1-0-sub-0-n1" || leaf.ParentID != "n1-0-sub" {
		t.Fatalf("leaf = %s (parent %s)", leaf.ID, leaf.ParentID)
	}
	if len(leaf.Attempts) != 2 || leaf.Attempts[0].RetryAttempt != 0 || leaf.Attempts[1].PodName != "x-n1-0-n1-1" {
		t.Fatalf("attempts not sorted by retry or incomplete: %+v", leaf.Attempts)
	}
	if leaf.Attempts[1].Error.Code != "OOMKilled" || leaf.Attempts[1].Error.Kind != "USER" {
		t.Fatalf("attempt error = %+v", leaf.Attempts[1].Error)
	}
	// The message is > 100 bytes, so the list trimmed it and the collector read each failed
	// node whole; the succeeded n0 and n1-0-n0 were not expanded.
	if leaf.Error.Message != nodeMsg || leaf.ErrorTrimmed {
		t.Fatalf("node error not read in full: %q", leaf.Error.Message)
	}
	st := srv.Stats().Calls
	if st["GetNodeExecution"] != 3 || st["ListTaskExecutions"] != 1 || st["ListNodeExecutions"] != 3 {
		t.Fatalf("calls = %v", st)
	}
	if res.Record.Status != evidence.StatusOK {
		t.Fatalf("status = %s, errors %v", res.Record.Status, res.Record.Errors)
	}
}

func TestTrimmedErrorIsReadInFull(t *testing.T) {
	long := "USER:ValueError: error=" + strings.Repeat("é", 60) + " and the rest of the message"
	short := "short message"
	f := &fakeadmin.Fixture{}
	e := f.AddExecution(newExecution("trim", core.WorkflowExecution_FAILED, nil))
	e.AddNode("", newNode("long", core.NodeExecution_FAILED, withError("USER:ValueError", long)))
	e.AddNode("", newNode("short", core.NodeExecution_FAILED, withError("USER:ValueError", short)))
	srv, api := serve(t, f, fakeadmin.Options{})
	res := collect(t, api, "trim")
	if got := res.Execution.Nodes[0].Error.Message; got != long {
		t.Fatalf("long message = %q, want the full %d bytes", got, len(long))
	}
	if got := res.Execution.Nodes[1].Error.Message; got != short {
		t.Fatalf("short message = %q", got)
	}
	if got := srv.Stats().Calls["GetNodeExecution"]; got != 1 {
		t.Fatalf("GetNodeExecution calls = %d, want 1 (only the trimmed message)", got)
	}
}

func TestTrimmedErrorStaysMarkedWhenGetFails(t *testing.T) {
	long := strings.Repeat("m", 300)
	f := &fakeadmin.Fixture{}
	e := f.AddExecution(newExecution("trimfail", core.WorkflowExecution_FAILED, nil))
	e.AddNode("", newNode("n0", core.NodeExecution_FAILED, withError("X", long)))
	srv, api := serve(t, f, fakeadmin.Options{})
	srv.FailNext("GetNodeExecution", codes.PermissionDenied, 1)
	res := collect(t, api, "trimfail")
	n := res.Execution.Nodes[0]
	if !n.ErrorTrimmed || len(n.Error.Message) != 100 {
		t.Fatalf("want the 100-byte listed message marked trimmed, got %d bytes trimmed=%v", len(n.Error.Message), n.ErrorTrimmed)
	}
	if res.Record.Status != evidence.StatusPartial || len(res.Record.Errors) != 1 || res.Record.Errors[0].Code != "PermissionDenied" {
		t.Fatalf("record = %+v", res.Record)
	}
}

func TestChildLaunchPlanIsFollowed(t *testing.T) {
	f := &fakeadmin.Fixture{}
	p := f.AddExecution(newExecution("parentx", core.WorkflowExecution_FAILED, userError("RemoteChildWorkflowExecutionFailed", "child failed")))
	p.AddNode("", newNode("n0", core.NodeExecution_FAILED, launchPlan("childx"), withError("RemoteChildWorkflowExecutionFailed", "child failed")))
	c := f.AddExecution(newExecution("childx", core.WorkflowExecution_FAILED, nil))
	c.Execution.Spec.Metadata.ParentNodeExecution = &core.NodeExecutionIdentifier{NodeId: "n0",
		ExecutionId: &core.WorkflowExecutionIdentifier{Project: project, Domain: domain, Name: "parentx"}}
	msg := `Grace period [0s] exceeded|containers with unready status: [childx-n0-0]|secret "aws-creds" not found`
	c.AddNode("", newNode("n0", core.NodeExecution_FAILED, withError("ContainersNotReady|CreateContainerConfigError", msg)),
		newTask(0, core.TaskExecution_FAILED, "childx-n0-0", userError("ContainersNotReady|CreateContainerConfigError", msg)))
	_, api := serve(t, f, fakeadmin.Options{})
	res := collect(t, api, "parentx")

	n0 := res.Execution.Nodes[0]
	if n0.Kind != evidence.KindLaunchPlan || n0.ChildExecution == nil {
		t.Fatalf("launch-plan node not followed: %+v", n0)
	}
	child := n0.ChildExecution
	if child.ParentNode == nil || child.ParentNode.NodeID != "n0" || child.ID.Name != "childx" {
		t.Fatalf("child execution = %+v", child)
	}
	paths := res.Execution.FailurePaths()
	if len(paths) != 1 || paths[0][1].Execution != child || paths[0][1].Node.Attempts[0].PodName != "childx-n0-0" {
		t.Fatalf("failure path does not reach the child's pod")
	}
}

func TestChildDepthIsBounded(t *testing.T) {
	f := &fakeadmin.Fixture{}
	for i := range 4 {
		e := f.AddExecution(newExecution(fmt.Sprintf("lp%d", i), core.WorkflowExecution_FAILED, nil))
		e.AddNode("", newNode("n0", core.NodeExecution_FAILED, launchPlan(fmt.Sprintf("lp%d", i+1))))
	}
	f.AddExecution(newExecution("lp4", core.WorkflowExecution_FAILED, nil))
	srv, api := serve(t, f, fakeadmin.Options{})
	res := collect(t, api, "lp0", func(c *flyteadmin.Collector) { c.MaxChildDepth = 2 })
	if got := srv.Stats().Calls["GetExecution"]; got != 3 {
		t.Fatalf("GetExecution calls = %d, want root + 2 levels", got)
	}
	if len(res.Record.Errors) != 1 || res.Record.Errors[0].Code != "OutOfRange" {
		t.Fatalf("the cut must be recorded: %+v", res.Record.Errors)
	}
}

func TestPartialFailureIsRecordedAndCollectionGoesOn(t *testing.T) {
	srv, api := serve(t, fanout("partial", 2, 10, 5), fakeadmin.Options{
		Fault: func(method string, req proto.Message) error {
			if method == "ListTaskExecutions" && strings.Contains(fmt.Sprint(req), "dyn-0-dn4") {
				return status.Error(codes.Unavailable, "upstream connect error")
			}
			return nil
		},
	})
	res := collect(t, api, "partial")
	if res.Record.Status != evidence.StatusPartial {
		t.Fatalf("status = %s", res.Record.Status)
	}
	errs := res.Record.Errors
	if len(errs) != 1 || errs[0].Method != "ListTaskExecutions" || errs[0].Code != "Unavailable" ||
		errs[0].Target != "flytesnacks/development/partial node dyn-0-dn4" {
		t.Fatalf("errors = %+v", errs)
	}
	var withAttempts int
	for _, c := range res.Execution.Nodes[2].Children {
		if len(c.Attempts) > 0 {
			withAttempts++
		}
	}
	if withAttempts != 1 { // dn9 read, dn4 failed
		t.Fatalf("%d failed children have attempts, want 1", withAttempts)
	}
	if srv.Stats().Calls["ListTaskExecutions"] != 3 { // dyn itself + 2 failed children
		t.Fatalf("calls = %v", srv.Stats().Calls)
	}
}

func TestNotFound(t *testing.T) {
	_, api := serve(t, fanout("exists", 1, 0, 0), fakeadmin.Options{})
	c := &flyteadmin.Collector{API: api, Endpoint: "dns:///flyte.example.com:443"}
	_, err := c.Collect(context.Background(), execID("missing"))
	var nf *flyteadmin.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want NotFoundError", err)
	}
	if want := "execution flytesnacks/development/missing not found on dns:///flyte.example.com:443"; err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
}

func TestUnreachableAdminFailsWithOneLine(t *testing.T) {
	srv, api := serve(t, fanout("x", 1, 0, 0), fakeadmin.Options{})
	srv.FailNext("GetExecution", codes.Unavailable, 1)
	c := &flyteadmin.Collector{API: api, Endpoint: "dns:///flyte.example.com:443"}
	_, err := c.Collect(context.Background(), execID("x"))
	if err == nil || !strings.Contains(err.Error(), "cannot read execution flytesnacks/development/x from Flyte Admin at dns:///flyte.example.com:443: Unavailable") {
		t.Fatalf("err = %v", err)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	srv, api := serve(t, fanout("conc", 0, 200, 4), fakeadmin.Options{Latency: 2e6})
	res := collect(t, api, "conc", func(c *flyteadmin.Collector) { c.MaxConcurrency = 3 })
	if p := srv.Stats().PeakInFlight; p > 3 || p < 2 {
		t.Fatalf("server saw %d calls in flight, want 2..3 under a bound of 3", p)
	}
	if res.Record.PeakInFlight > 3 {
		t.Fatalf("record says %d in flight", res.Record.PeakInFlight)
	}
}

// OnNode hears of every node that did not succeed, children included, as its page arrives;
// succeeded nodes and start-node are not reported.
func TestOnNodeReportsTheUnsuccessfulNodes(t *testing.T) {
	_, api := serve(t, fanout("heard", 4, 100, 33), fakeadmin.Options{})
	var mu sync.Mutex
	var heard []string
	res := collect(t, api, "heard", func(c *flyteadmin.Collector) {
		c.PageSize = 7
		c.OnNode = func(ex evidence.ExecutionID, n evidence.Node) {
			mu.Lock()
			defer mu.Unlock()
			if ex.Name != "heard" || len(n.Attempts) != 0 || len(n.Children) != 0 {
				t.Errorf("OnNode(%s, %s) with %d attempts, %d children: want the node as listed", ex, n.ID, len(n.Attempts), len(n.Children))
			}
			heard = append(heard, n.ID+" "+n.Phase)
		}
	})
	var want []string
	res.Execution.Walk(func(path []evidence.Step) bool {
		if n := path[len(path)-1].Node; !evidence.Succeeded(n.Phase) {
			want = append(want, n.ID+" "+n.Phase)
		}
		return true
	})
	sort.Strings(heard)
	sort.Strings(want)
	if len(want) < 4 || !slices.Equal(heard, want) {
		t.Errorf("heard %v, want %v", heard, want)
	}
}

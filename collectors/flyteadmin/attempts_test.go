package flyteadmin_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

// The record counts each logical call once and, beside it, every attempt the retry interceptor
// put on the wire: the attempts are what the server saw.
func TestCallsAndAttemptsAgreeWithTheServer(t *testing.T) {
	f := &fakeadmin.Fixture{}
	e := f.AddExecution(newExecution("retried", core.WorkflowExecution_FAILED, userError("X", "boom")))
	e.AddNode("", newNode("n0", core.NodeExecution_FAILED, withError("X", "boom")),
		newTask(0, core.TaskExecution_FAILED, "retried-n0-0", userError("X", "boom")))
	e.AddNode("", newNode("n1", core.NodeExecution_FAILED, withError("Y", "bang")),
		newTask(0, core.TaskExecution_FAILED, "retried-n1-0", userError("Y", "bang")))
	srv := fakeadmin.New(f, fakeadmin.Options{Fault: func(method string, req proto.Message) error {
		// One node's attempts never come back; the other's come on the third try (FailNext).
		if r, ok := req.(*admin.TaskExecutionListRequest); ok && r.GetNodeExecutionId().GetNodeId() == "n1" {
			return status.Error(codes.Unavailable, "upstream connect error")
		}
		return nil
	}})
	srv.FailNext("GetExecutionData", codes.Unavailable, 2)
	ctx, cancel := context.WithCancel(context.Background())
	addr, stop, err := srv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); cancel() })
	conn, err := adminclient.Dial(ctx, adminclient.Options{
		Config: flyteconfig.Admin{Endpoint: "dns:///" + addr, Insecure: true, MaxRetries: 4, PerRetryTimeout: 5 * time.Second},
		Sleep:  func(context.Context, time.Duration) error { return nil }, // no backoff waits in the test
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	res := collect(t, service.NewAdminServiceClient(conn), "retried", func(c *flyteadmin.Collector) { c.Endpoint = addr })
	rec := res.Record
	seen := srv.Stats().Calls
	if rec.Attempts == nil {
		t.Fatalf("attempts not counted: %+v", rec)
	}
	for m := range rec.Calls {
		if rec.Attempts[m] != seen[m] {
			t.Errorf("%s: recorded %d attempts, the server saw %d", m, rec.Attempts[m], seen[m])
		}
	}
	// GetExecutionData: 1 call, 3 attempts; ListTaskExecutions: 2 calls, 1 + 5 attempts.
	if rec.Calls["GetExecutionData"] != 1 || rec.Attempts["GetExecutionData"] != 3 ||
		rec.Calls["ListTaskExecutions"] != 2 || rec.Attempts["ListTaskExecutions"] != 1+5 {
		t.Errorf("calls %v, attempts %v", rec.Calls, rec.Attempts)
	}
	if len(rec.Errors) != 1 || rec.Errors[0].Method != "ListTaskExecutions" || rec.Errors[0].Attempts != 5 || rec.Errors[0].NotSent {
		t.Errorf("errors = %+v", rec.Errors)
	}
	if got := rec.TotalAttempts(); got != seen["GetExecution"]+seen["GetExecutionData"]+seen["GetVersion"]+seen["ListNodeExecutions"]+seen["ListTaskExecutions"] {
		t.Errorf("total attempts %d, server %v", got, seen)
	}
}

// Calls that wait for a slot when the run ends are never sent: they are recorded as such and
// are not among the calls.
func TestCallsNotSentAreNotCalls(t *testing.T) {
	f := &fakeadmin.Fixture{}
	e := f.AddExecution(newExecution("slow", core.WorkflowExecution_FAILED, userError("X", "boom")))
	for _, id := range []string{"n0", "n1", "n2"} {
		e.AddNode("", newNode(id, core.NodeExecution_FAILED, withError("X", "boom")), newTask(0, core.TaskExecution_FAILED, "slow-"+id+"-0", nil))
	}
	srv, api := serve(t, f, fakeadmin.Options{LatencyFunc: func(method string) time.Duration {
		if method == "ListTaskExecutions" {
			return 2 * time.Second
		}
		return 0
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	res, err := (&flyteadmin.Collector{API: api, Endpoint: "fake", MaxConcurrency: 1}).Collect(ctx, execID("slow"))
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Record
	sent, notSent := 0, 0
	for _, e := range rec.Errors {
		if e.NotSent {
			notSent++
			if e.Code != codes.DeadlineExceeded.String() {
				t.Errorf("not sent with code %s", e.Code)
			}
		} else {
			sent++
		}
	}
	if notSent == 0 || sent+notSent != 3 || rec.Calls["ListTaskExecutions"] != sent || srv.Stats().Calls["ListTaskExecutions"] != sent {
		t.Errorf("errors %+v, calls %v, server %v", rec.Errors, rec.Calls, srv.Stats().Calls)
	}
}

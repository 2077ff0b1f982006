package evidence

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// tree: n0 ok; n1 subworkflow failed → n1-0-n0 ok, n1-0-n1 failed; n2 launch plan failed →
// child execution whose c0 failed; n3 aborted.
func sampleExecution() *Execution {
	child := &Execution{ID: ExecutionID{"p", "d", "child"}, Phase: "FAILED", Nodes: []*Node{
		{ID: "c0", Phase: "FAILED", Kind: KindTask},
	}}
	return &Execution{ID: ExecutionID{"p", "d", "root"}, Phase: "FAILED", Nodes: []*Node{
		{ID: "n0", Phase: "SUCCEEDED", Kind: KindTask},
		{ID: "n1", Phase: "FAILED", Kind: KindSubworkflow, IsParent: true, Children: []*Node{
			{ID: "n1-0-n0", Phase: "SUCCEEDED", Kind: KindTask},
			{ID: "n1-0-n1", Phase: "FAILED", Kind: KindTask},
		}},
		{ID: "n2", Phase: "FAILED", Kind: KindLaunchPlan, ChildExecution: child},
		{ID: "n3", Phase: "ABORTED", Kind: KindTask},
	}}
}

func TestFailurePathsReachDeepestFailures(t *testing.T) {
	var got []string
	for _, p := range sampleExecution().FailurePaths() {
		var ids []string
		for _, s := range p {
			ids = append(ids, s.Execution.ID.Name+":"+s.Node.ID)
		}
		got = append(got, strings.Join(ids, " > "))
	}
	want := []string{"root:n1 > root:n1-0-n1", "root:n2 > child:c0"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("FailurePaths = %q, want %q", got, want)
	}
}

func TestWalkVisitsEveryNodeInOrder(t *testing.T) {
	var ids []string
	sampleExecution().Walk(func(p []Step) bool {
		ids = append(ids, p[len(p)-1].Node.ID)
		return true
	})
	want := []string{"n0", "n1", "n1-0-n0", "n1-0-n1", "n2", "c0", "n3"}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("Walk order = %v, want %v", ids, want)
	}
}

func TestLastAttempt(t *testing.T) {
	n := &Node{Attempts: []*TaskAttempt{{RetryAttempt: 1}, {RetryAttempt: 2}, {RetryAttempt: 0}}}
	if got := n.LastAttempt().RetryAttempt; got != 2 {
		t.Fatalf("LastAttempt = %d, want 2", got)
	}
	if (&Node{}).LastAttempt() != nil {
		t.Fatal("LastAttempt of a node without attempts must be nil")
	}
}

func TestSnapshotJSONRoundTrip(t *testing.T) {
	in := &Snapshot{
		SchemaVersion: SchemaVersion,
		CollectedAt:   time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		Target:        ExecutionID{"p", "d", "root"},
		Execution:     sampleExecution(),
		Collection: []CollectorRecord{{Collector: "flyteadmin", Status: StatusOK,
			Duration: Duration(1500 * time.Millisecond), Calls: map[string]int{"GetExecution": 1}}},
	}
	in.Execution.Duration = Duration(3 * time.Minute)
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"duration":"3m0s"`) || !strings.Contains(string(b), `"schema_version":"flytedoctor.evidence/v1"`) {
		t.Fatalf("unexpected JSON: %s", b)
	}
	if strings.Contains(string(b), `"started_at"`) {
		t.Fatalf("zero times must be omitted: %s", b)
	}
	var out Snapshot
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, &out) {
		t.Fatalf("round trip changed the snapshot:\n in: %+v\nout: %+v", in, &out)
	}
}

func TestPhaseGroups(t *testing.T) {
	for _, p := range []string{"FAILED", "FAILING", "TIMED_OUT", "RETRYABLE_FAILED"} {
		if !Failed(p) || Succeeded(p) {
			t.Errorf("%s must be a failure", p)
		}
	}
	for _, p := range []string{"SUCCEEDED", "SKIPPED", "RECOVERED"} {
		if Failed(p) || !Succeeded(p) {
			t.Errorf("%s must count as succeeded", p)
		}
	}
	for _, p := range []string{"RUNNING", "QUEUED", "ABORTED", "UNDEFINED", "DYNAMIC_RUNNING"} {
		if Failed(p) || Succeeded(p) {
			t.Errorf("%s is neither", p)
		}
	}
}

func TestRecorder(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	r := NewRecorder("kube", t0)
	_, a := r.Start(context.Background(), "list pods", 1)
	_, b := r.Start(context.Background(), "list events", 3)
	b.End()
	_, c := r.Start(context.Background(), "list pods", 2)
	c.End()
	a.End()
	r.Fail(CollectionError{Method: "list nodes", Target: "b", Code: "Forbidden"})
	r.Fail(CollectionError{Method: "list events", Target: "a", Code: "Unavailable"})
	rec := r.Record(StatusPartial, t0.Add(1500*time.Millisecond))
	if rec.Calls["list pods"] != 2 || rec.Calls["list events"] != 1 || rec.PeakInFlight != 2 || rec.CriticalPath != 3 {
		t.Fatalf("record = %+v", rec)
	}
	if rec.Duration.Std() != 1500*time.Millisecond || rec.Collector != "kube" || rec.Status != StatusPartial {
		t.Fatalf("record = %+v", rec)
	}
	if len(rec.Errors) != 2 || rec.Errors[0].Target != "a" || r.Failures() != 2 {
		t.Fatalf("errors not sorted by target: %+v", rec.Errors)
	}
}

// Duration's MarshalJSON quotes the string without encoding/json: the bytes are the same.
func TestDurationMarshalJSONIsEncodingJSONs(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 999, 1500 * time.Nanosecond, -1500 * time.Microsecond, 3 * time.Minute,
		time.Hour + 2*time.Minute + 3500*time.Millisecond, math.MaxInt64, math.MinInt64} {
		got, err := Duration(d).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(d.String())
		if string(got) != string(want) {
			t.Errorf("%d: %s, want %s", d, got, want)
		}
		var back Duration
		if err := back.UnmarshalJSON(got); err != nil || time.Duration(back) != d {
			t.Errorf("%s reads back as %v, %v", got, time.Duration(back), err)
		}
	}
}

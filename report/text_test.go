package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from golden (go test ./report -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func nestedFailure() *evidence.Snapshot {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	oom := "Pod failed. No message received from kubernetes.\r\n[fqbfw3dxmhq8lrtz2k7s-n1-0-n1-1] terminated with exit code (137). Reason [OOMKilled]. Message: \n."
	ex := &evidence.Execution{
		ID: evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: "fqbfw3dxmhq8lrtz2k7s"}, Phase: "FAILED",
		LaunchPlan: evidence.Identifier{Name: "workflows.train.pipeline", Version: "v7"},
		StartedAt:  t0, Duration: evidence.Duration(7*time.Minute + 12*time.Second), Namespace: "flytesnacks-development",
		Error: &evidence.ExecutionError{Kind: "USER", Code: "RetriesExhausted|OOMKilled",
			Message: "[2/2] currentAttempt done. Last Error: USER::" + oom},
		Nodes: []*evidence.Node{
			{ID: "n0", Phase: "SUCCEEDED", Kind: evidence.KindTask},
			{ID: "n1", Phase: "FAILED", Kind: evidence.KindSubworkflow, IsParent: true, ChildrenCollected: true,
				Error: &evidence.ExecutionError{Kind: "USER", Code: "RetriesExhausted|OOMKilled", Message: "[2/2] currentAttempt done. Last Error: USER::" + oom},
				Children: []*evidence.Node{
					{ID: "n1-0-n0", Phase: "SUCCEEDED", Kind: evidence.KindTask},
					{ID: "n1-0-n1", SpecNodeID: "n1", Phase: "FAILED", Kind: evidence.KindTask, Duration: evidence.Duration(5 * time.Minute),
						Error: &evidence.ExecutionError{Kind: "USER", Code: "RetriesExhausted|OOMKilled", Message: "[2/2] currentAttempt done. Last Error: USER::" + oom},
						Attempts: []*evidence.TaskAttempt{
							{TaskID: evidence.Identifier{Name: "workflows.train.fit"}, RetryAttempt: 0, Phase: "FAILED",
								PodName: "fqbfw3dxmhq8lrtz2k7s-n1-0-n1-0", Duration: evidence.Duration(2 * time.Minute),
								Error:   &evidence.ExecutionError{Kind: "USER", Code: "OOMKilled", Message: strings.ReplaceAll(oom, "n1-1]", "n1-0]")},
								Reasons: []evidence.Reason{{OccurredAt: t0.Add(time.Minute), Message: "task submitted to K8s"}},
								Logs:    []evidence.TaskLog{{Name: "Kubernetes Logs (User)", URI: "https://k8s.example.com/#/log/flytesnacks-development/fqbfw3dxmhq8lrtz2k7s-n1-0-n1-0/pod"}}},
							{TaskID: evidence.Identifier{Name: "workflows.train.fit"}, RetryAttempt: 1, Phase: "FAILED",
								PodName: "fqbfw3dxmhq8lrtz2k7s-n1-0-n1-1", Duration: evidence.Duration(2 * time.Minute),
								Error: &evidence.ExecutionError{Kind: "USER", Code: "OOMKilled", Message: oom}},
						}},
				}},
		},
	}
	return &evidence.Snapshot{SchemaVersion: evidence.SchemaVersion, Target: ex.ID, Execution: ex,
		Collection: []evidence.CollectorRecord{{Collector: "flyteadmin", Status: evidence.StatusPartial,
			Duration: evidence.Duration(42 * time.Millisecond), Calls: map[string]int{"GetExecution": 1, "ListNodeExecutions": 2, "ListTaskExecutions": 1},
			Errors: []evidence.CollectionError{{Method: "GetExecutionData", Target: "flytesnacks/development/fqbfw3dxmhq8lrtz2k7s", Code: "Unavailable", Message: "Unavailable: connection reset"}}}}}
}

func TestWriteTextNestedFailure(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, &Report{Snapshot: nestedFailure()}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "nested-failure.txt", b.Bytes())
	out := b.String()
	// The deepest failure and both attempts are shown; succeeded siblings are not.
	for _, want := range []string{"n1-0-n1", "attempt 0", "attempt 1", "pod fqbfw3dxmhq8lrtz2k7s-n1-0-n1-1", "GetExecutionData"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "n1-0-n0") {
		t.Error("a succeeded sibling must not be in the failing path")
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("the zero Style must not colour")
	}
}

func TestWriteTextClipsLongMessages(t *testing.T) {
	snap := nestedFailure()
	snap.Execution.Error.Message = strings.Repeat("Traceback line\n", 50)
	var b bytes.Buffer
	if err := WriteText(&b, &Report{Snapshot: snap}, TextOptions{MaxMessageLines: 5}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "… 45 more lines (-o json shows all)") {
		t.Fatalf("long message not clipped:\n%s", b.String())
	}
}

func TestWriteTextColour(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, &Report{Snapshot: nestedFailure()}, TextOptions{Style: NewStyle(true)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\x1b[31;1mFAILED") {
		t.Fatalf("FAILED is not red and bold:\n%q", b.String()[:200])
	}
}

func TestWriteTextFindingsFirst(t *testing.T) {
	r := &Report{Snapshot: nestedFailure(), Result: rules.Result{Findings: []rules.Finding{
		{RuleID: "FD5001", Category: "out-of-memory", Cause: "container-oom", Severity: rules.Error, RootCause: true,
			Summary: "2 attempts, both OOMKilled with a 2Gi memory limit", Detail: "container terminated: OOMKilled, exit code 137",
			Subject: rules.Subject{Path: []string{"n1", "n1-0-n1"}, Attempts: []uint32{0, 1}},
			Fixes:   []rules.Fix{{Action: "raise the task's memory", Commands: []string{`@task(requests=Resources(mem="4Gi"), limits=Resources(mem="4Gi"))`}}}},
		{RuleID: "FD9001", Category: "collection", Cause: "forbidden", Severity: rules.Warning, Summary: "cannot list nodes"},
	}, Suppressed: []rules.Suppressed{{Finding: rules.Finding{RuleID: "FD2004", Summary: "quota"}, Reason: "known"}}}}
	var b bytes.Buffer
	if err := WriteText(&b, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "findings.txt", b.Bytes())
	out := b.String()
	root, also, tree := strings.Index(out, "Root cause"), strings.Index(out, "Also found"), strings.Index(out, "Failing path")
	if root != 0 || also < root || tree < also {
		t.Fatalf("want root cause, then the rest, then the evidence tree:\n%s", out)
	}
	for _, want := range []string{"[FD5001] 2 attempts, both OOMKilled", "at n1 › n1-0-n1, 2 attempts · out-of-memory/container-oom", `$ @task(requests=Resources(mem="4Gi")`, "[FD2004] quota — known"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// The collection lines count calls and attempts as the record does, and say where they differ.
func TestWriteTextCollectionCallsAndAttempts(t *testing.T) {
	snap := nestedFailure()
	snap.Collection = []evidence.CollectorRecord{
		{Collector: "flyteadmin", Status: evidence.StatusPartial, Duration: evidence.Duration(1600 * time.Millisecond),
			Calls:    map[string]int{"GetExecution": 1, "ListNodeExecutions": 2},
			Attempts: map[string]int{"GetExecution": 1, "ListNodeExecutions": 6},
			Errors: []evidence.CollectionError{
				{Method: "ListNodeExecutions", Target: "p/d/x node n1", Code: "Unavailable", Message: "Unavailable: reset", Attempts: 5},
				{Method: "ListTaskExecutions", Target: "p/d/x node n2", Code: "DeadlineExceeded", Message: "timed out (raise --timeout)", NotSent: true},
				{Method: "ListTaskExecutions", Target: "p/d/x node n3", Code: "DeadlineExceeded", Message: "timed out (raise --timeout)", NotSent: true},
			}},
		{Collector: "kube", Status: evidence.StatusOK, Duration: evidence.Duration(time.Second), Calls: map[string]int{"list pods": 1, "list events": 1}},
	}
	var b bytes.Buffer
	if err := WriteText(&b, &Report{Snapshot: snap}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"flyteadmin: partial, 3 calls, 7 attempts in 1.6s (GetExecution 1, ListNodeExecutions 2 (6 attempts))\n",
		"  FAILED ListNodeExecutions p/d/x node n1: Unavailable: reset (5 attempts)\n",
		"  NOT SENT ListTaskExecutions 2: the run ended first (DeadlineExceeded)\n",
		"kube: ok, 2 calls in 1s (list events 1, list pods 1)\n", // attempts not counted: calls only
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "node n2") {
		t.Error("calls not sent are listed one by one")
	}
}

// A rule that panics costs one line in the report, naming it, and the report is still written.
func TestWriteTextRuleFailure(t *testing.T) {
	snap := nestedFailure()
	boom := &rules.Rule{ID: "FD2004", Causes: []string{"x"}, Run: func(*rules.Pass) { panic("boom") }}
	table := append([]*rules.Rule{boom}, rules.Table()...)
	res := rules.Run(snap, table, rules.Config{})
	var b bytes.Buffer
	if err := WriteText(&b, New(snap, res), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "rule FD2004 failed: boom (please report)\n"); n != 1 {
		t.Errorf("failure line appears %d times:\n%s", n, out)
	}
	if !strings.Contains(out, "[FD5001]") {
		t.Errorf("the other rules' findings are missing:\n%s", out)
	}
	var j bytes.Buffer
	if err := WriteJSON(&j, New(snap, res)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(j.String(), `"rules_failed": [`) {
		t.Errorf("json lacks rules_failed")
	}
}

// Rules that need evidence a collector did not collect are named as not evaluated, one line
// per layer, with the collector's reason.
func TestWriteTextNotEvaluated(t *testing.T) {
	snap := nestedFailure()
	snap.Kube = nil
	snap.Storage = nil
	snap.Collection = append(snap.Collection,
		evidence.CollectorRecord{Collector: "kube", Status: evidence.StatusSkipped, SkipReason: "--skip kube"},
		evidence.CollectorRecord{Collector: "s3", Status: evidence.StatusFailed,
			Errors: []evidence.CollectionError{{Method: "GetCallerIdentity", Code: "ConfigError", Message: "x"}}})
	res := rules.Run(snap, rules.Table(), rules.Config{})
	var b bytes.Buffer
	if err := WriteText(&b, New(snap, res), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"1 rule not evaluated: Kubernetes evidence was not collected (--skip kube); 24 rules ran without it\n",
		"2 rules not evaluated: Storage (S3) evidence was not collected (failed: ConfigError); 8 rules ran without it\n",
		"[FD5001]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var j bytes.Buffer
	if err := WriteJSON(&j, New(snap, res)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(j.String(), `"not_evaluated": [`) || !strings.Contains(j.String(), `"rules": [
        "FD4004"`) {
		t.Errorf("json lacks not_evaluated:\n%s", j.String()[:2000])
	}
}

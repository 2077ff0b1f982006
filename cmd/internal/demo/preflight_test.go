package demo

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/flytedoctor/flytedoctor/checks"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

var update = flag.Bool("update", false, "rewrite the recording's results from its probes")

// The recording's results are what the verdicts say about its probes today: a change to a
// verdict shows here (go test ./cmd/internal/demo -run Preflight -update rewrites them).
func TestPreflightRecordingIsCurrent(t *testing.T) {
	s, err := PreflightSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	got := checks.Evaluate(checks.Table(), &s.Checks.Spec, s.Checks.Probes)
	if *update {
		s.Checks.Results = got
		s.Collection = checks.Records(s.Checks)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(PreflightFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(s.Checks.Results)
	if !bytes.Equal(a, b) {
		t.Fatalf("the recording's results are stale: run go test ./cmd/internal/demo -run Preflight -update\nnow:  %s\nfile: %s", a, b)
	}
	// The demo shows every kind of verdict.
	n := checks.Counts(got)
	for _, st := range []string{evidence.CheckPass, evidence.CheckWarn, evidence.CheckFail, evidence.CheckSkip} {
		if n[st] == 0 {
			t.Errorf("no %s among the demo's results: %v", st, n)
		}
	}
}

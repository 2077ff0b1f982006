package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// The snapshot is the contract between collection and judgement: every demo scenario's live
// snapshot (the fake Admin over gRPC, the fake cluster, the S3 stub) written out and read
// back gives the same findings, so a saved snapshot is diagnosed as the live run was.
func TestDemoSnapshotsReadBackToTheSameFindings(t *testing.T) {
	scenarios, err := demo.Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) {
			f, _, _ := testFactory(t, nil)
			snap, rcfg, err := demoSnapshot(context.Background(), f, s)
			if err != nil {
				t.Fatal(err)
			}
			live := rules.Run(snap, rules.Table(), rcfg)
			var saved bytes.Buffer
			if err := evidence.Write(&saved, snap); err != nil {
				t.Fatal(err)
			}
			back, warnings, err := evidence.Read(bytes.NewReader(saved.Bytes()))
			if err != nil || len(warnings) > 0 {
				t.Fatalf("Read: %v, warnings %q", err, warnings)
			}
			offline := rules.Run(back, rules.Table(), rcfg)
			want, got := mustJSON(t, live), mustJSON(t, offline)
			if !bytes.Equal(want, got) {
				t.Fatalf("findings differ after write and read:\nlive    %.600s\noffline %.600s", want, got)
			}
			if len(live.Findings) == 0 && !evidence.Succeeded(snap.Execution.Phase) {
				t.Errorf("no findings for %s: the round trip proves nothing", s.Name)
			}
			var again bytes.Buffer
			if err := evidence.Write(&again, back); err != nil || !bytes.Equal(saved.Bytes(), again.Bytes()) {
				t.Errorf("the snapshot read back writes differently (%v)", err)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var updateInputs = flag.Bool("update-report-inputs", false, "rewrite report/testdata/inputs from the demo")

// reportInputs are the demo scenarios whose snapshots every report format is golden-tested
// on (report/testdata/inputs): image pull, pending, storage denied, a subworkflow, 1,000
// children, healthy.
var reportInputs = []string{"image-pull", "unschedulable", "storage-permission", "subworkflow", "dynamic-fanout", "healthy"}

// The report formats' shared inputs are the demo's snapshots: a saved one gives the findings
// the live demo gives (-update-report-inputs saves them anew).
func TestReportInputsAreDemoSnapshots(t *testing.T) {
	scenarios, err := demo.Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range reportInputs {
		i := slices.IndexFunc(scenarios, func(s demo.Scenario) bool { return s.Name == name })
		if i < 0 {
			t.Fatalf("no demo scenario %s", name)
		}
		t.Run(name, func(t *testing.T) {
			f, _, _ := testFactory(t, nil)
			snap, rcfg, err := demoSnapshot(context.Background(), f, scenarios[i])
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("..", "..", "..", "report", "testdata", "inputs", name+".json")
			if *updateInputs {
				var b bytes.Buffer
				if err := evidence.Write(&b, snap); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fh, err := os.Open(path)
			if err != nil {
				t.Fatalf("%v (run with -update-report-inputs)", err)
			}
			defer fh.Close()
			saved, _, err := evidence.Read(fh)
			if err != nil {
				t.Fatal(err)
			}
			live, offline := mustJSON(t, rules.Run(snap, rules.Table(), rcfg)), mustJSON(t, rules.Run(saved, rules.Table(), rules.Config{}))
			if !bytes.Equal(live, offline) {
				t.Errorf("%s gives other findings than the live demo: run with -update-report-inputs, then go test ./report -update", path)
			}
		})
	}
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
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
			if len(live.Findings) == 0 && s.Name != "healthy" {
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

package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// indentedByEncoding is what WriteJSON must write: encoding/json's own indented output.
func indentedByEncoding(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriteJSONIsEncodingJSONsIndent(t *testing.T) {
	// Both snapshots, with the findings the rules give them: every kind of field the report has.
	for _, snap := range []*evidence.Snapshot{nestedFailure(), imagePullWithKube()} {
		checkWriteJSON(t, New(snap, rules.Run(snap, rules.Table(), rules.Config{})))
	}
}

func checkWriteJSON(t *testing.T, r *Report) {
	t.Helper()
	var got bytes.Buffer
	if err := WriteJSON(&got, r); err != nil {
		t.Fatal(err)
	}
	if want := indentedByEncoding(t, r); !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("WriteJSON differs from encoding/json's indent:\ngot  %.400s\nwant %.400s", got.Bytes(), want)
	}
	if !strings.HasPrefix(got.String(), "{\n  \"") || !strings.HasSuffix(got.String(), "\n}\n") {
		t.Errorf("not an indented object and a newline: %.80q ... %q", got.String(), got.String()[got.Len()-10:])
	}
}

// BenchmarkWriteJSON is a 10,000-node report, written by WriteJSON and by encoding/json's own
// indent (what WriteJSON replaced).
func BenchmarkWriteJSON(b *testing.B) {
	snap := nestedFailure()
	for i := range 10000 {
		snap.Execution.Nodes = append(snap.Execution.Nodes, &evidence.Node{ID: fmt.Sprintf("dn%d", i), Phase: "SUCCEEDED", Kind: evidence.KindTask,
			Attempts: []*evidence.TaskAttempt{{TaskID: evidence.Identifier{Name: "workflows.fanout.shard"}, Phase: "SUCCEEDED",
				PodName: fmt.Sprintf("fqbfw3dxmhq8lrtz2k7s-n0-0-dn%d-0", i), Duration: evidence.Duration(time.Minute),
				Logs: []evidence.TaskLog{{Name: "Kubernetes Logs (User)", URI: "https://k8s.example.com/#/log/ns/pod"}}}}})
	}
	r := New(snap, rules.Run(snap, rules.Table(), rules.Config{}))
	var out bytes.Buffer
	for _, bc := range []struct {
		name  string
		write func() error
	}{
		{"WriteJSON", func() error { return WriteJSON(&out, r) }},
		{"encoding-json-indent", func() error {
			enc := json.NewEncoder(&out)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(r)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				out.Reset()
				if err := bc.write(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.Len())/(1<<20), "MiB-out")
		})
	}
}

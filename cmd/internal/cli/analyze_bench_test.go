package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/bundle"
	"github.com/flytedoctor/flytedoctor/cmd/internal/iostreams"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// BenchmarkAnalyzeBundle: analyze of the 1,000-children bundle (read the archive, decode the
// snapshot, run the rules, render -o json) against decoding the same snapshot's JSON alone,
// and against encoding/json reading it into interfaces.
func BenchmarkAnalyzeBundle(b *testing.B) {
	s := scenario(b, "dynamic-fanout")
	dir := b.TempDir()
	path := filepath.Join(dir, s.Name+".tar.gz")
	home := b.TempDir()
	f := NewFactory()
	f.IO, _, _ = iostreams.Test()
	f.Getenv = func(string) string { return "" }
	f.HomeDir = func() (string, error) { return home, nil }
	demoBundle(b, f, s, path)
	st, _ := os.Stat(path)
	src, err := bundle.Open(path, bundle.DefaultReadLimits())
	if err != nil {
		b.Fatal(err)
	}
	snapJSON := src.File(bundle.SnapshotFile).Data
	b.Logf("bundle %d bytes (%d uncompressed, %d files); snapshot.json %d bytes", st.Size(), src.Bytes(), len(src.Files), len(snapJSON))

	var analyze, decode time.Duration
	b.Run("analyze", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			af := *f
			af.IO, _, _ = iostreams.Test()
			if code := Main(context.Background(), &af, []string{"analyze", "-o", "json", "--fail-on", "never", path}); code != 0 {
				b.Fatalf("exit %d", code)
			}
		}
		analyze = time.Since(start) / time.Duration(b.N)
	})
	b.Run("decode-snapshot", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if _, _, err := evidence.Decode(snapJSON); err != nil {
				b.Fatal(err)
			}
		}
		decode = time.Since(start) / time.Duration(b.N)
	})
	b.Run("json-into-any", func(b *testing.B) {
		for b.Loop() {
			var v any
			if err := json.Unmarshal(snapJSON, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	if decode > 0 {
		b.Logf("analyze %s per run, decoding the snapshot alone %s: %.1f×", analyze, decode, float64(analyze)/float64(decode))
	}
}

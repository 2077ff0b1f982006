package gen

import (
	"bytes"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"os"
	"path/filepath"
	"testing"
)

// TestGoldens checks the committed files (../*.json, *.kube.json, *.storage.json) against the
// generator; with UPDATE_SCENARIOS=1 (go generate) it rewrites them instead.
func TestGoldens(t *testing.T) {
	update := os.Getenv("UPDATE_SCENARIOS") == "1"
	made := map[string]bool{}
	for _, s := range Scenarios() {
		files, err := s.Files()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			made[f.Name] = true
			path := filepath.Join("..", f.Name)
			if update {
				if err := os.WriteFile(path, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%v (run go generate ./cmd/internal/demo/scenarios/gen)", err)
				continue
			}
			if !bytes.Equal(f.Data, want) {
				t.Errorf("%s is stale: run go generate ./cmd/internal/demo/scenarios/gen", f.Name)
			}
		}
	}
	committed, err := filepath.Glob("../*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range committed {
		if !made[filepath.Base(path)] {
			t.Errorf("%s is not generated: delete it or add its scenario", path)
		}
	}
}

func TestFixedID(t *testing.T) {
	// Values from flytepropeller's own tests and docs.
	for _, tc := range []struct {
		max   int
		parts []string
		want  string
	}{
		{50, []string{"al2j8c22ppzrgd924jqk", "n0", "0"}, "al2j8c22ppzrgd924jqk-n0-0"},
		{20, []string{"", "", "n0"}, "n0"},
	} {
		if got := kube.UniqueID(tc.max, tc.parts...); got != tc.want {
			t.Errorf("UniqueID(%v) = %s, want %s", tc.parts, got, tc.want)
		}
	}
	if got := childExecName("h3vz8qk5tn2wr9xm4bdf", "n0", "0"); len(got) != 14 || got[0] != 'f' {
		t.Errorf("hashed child name %q, want f + 13 chars", got)
	}
}

// Package casetest runs a rule family's golden cases: testdata/<RuleID>/<fires-*|quiet-*>/ with a
// snapshot.json and the golden want.json of the findings the whole table produces on it.
package casetest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// Update is -update: rewrite the goldens instead of comparing with them.
var Update = flag.Bool("update", false, "rewrite the want.json goldens")

// Run runs every case under testdata/ of the calling package. A fires case must have its rule as
// a root cause (of its category), or for a whole-snapshot rule produce it at all; a quiet case must not
// produce it. Every root cause of a fires case must be of the rule's category: no case is
// classified into a wrong category by some other rule.
func Run(t *testing.T) {
	table := rules.Table()
	dirs, err := filepath.Glob("testdata/FD*/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no cases under testdata/")
	}
	for _, dir := range dirs {
		ruleID, name := filepath.Base(filepath.Dir(dir)), filepath.Base(dir)
		t.Run(ruleID+"/"+name, func(t *testing.T) {
			rule := rules.Lookup(table, ruleID)
			if rule == nil {
				t.Fatalf("no rule %s in the table", ruleID)
			}
			snap := LoadSnapshot(t, filepath.Join(dir, "snapshot.json"))
			res := rules.Run(snap, table, rules.Config{})
			got, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			CheckGolden(t, filepath.Join(dir, "want.json"), got)

			var fired, rooted bool
			for _, f := range res.Findings {
				if f.RuleID == ruleID {
					fired = true
					rooted = rooted || f.RootCause
				}
				if f.RootCause && strings.HasPrefix(name, "fires") && rule.Scope == rules.PerSite && f.Category != rule.Category {
					t.Errorf("root cause %s (%s/%s), want category %s", f.RuleID, f.Category, f.Cause, rule.Category)
				}
			}
			switch {
			case strings.HasPrefix(name, "fires") && rule.Scope == rules.WholeSnapshot:
				// Whole-snapshot rules speak about the snapshot as a whole, never as a place's root cause.
				if !fired {
					t.Errorf("%s did not fire; findings: %s", ruleID, summaries(res))
				}
			case strings.HasPrefix(name, "fires"):
				if !rooted {
					t.Errorf("%s is not a root cause here; findings: %s", ruleID, summaries(res))
				}
			case strings.HasPrefix(name, "quiet"):
				if fired {
					t.Errorf("%s fired on a quiet case; findings: %s", ruleID, summaries(res))
				}
			default:
				t.Fatalf("case %s must be named fires-* or quiet-*", name)
			}
		})
	}
}

// LoadSnapshot reads a fixture; an unknown field fails, so fixtures keep the collectors' shape.
func LoadSnapshot(t testing.TB, path string) *evidence.Snapshot {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var snap evidence.Snapshot
	if err := dec.Decode(&snap); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &snap
}

// CheckGolden compares got with the file at path, or rewrites it under -update.
func CheckGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./rules/... -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("findings differ from %s (go test ./rules/... -update to accept):\n%s", path, got)
	}
}

func summaries(res *rules.Result) string {
	var s []string
	for _, f := range res.Findings {
		s = append(s, f.RuleID+" "+f.Category+"/"+f.Cause+": "+f.Summary)
	}
	return strings.Join(s, "; ")
}

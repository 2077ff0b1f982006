package rules

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

var update = flag.Bool("update", false, "rewrite the want.json goldens")

// Each case is testdata/cases/<RuleID>/<fires-*|quiet-*>/snapshot.json with a golden want.json of
// the findings. A fires case must have that rule as a root cause (of its category), or for a
// global rule produce it at all; a quiet case must not produce it.
func TestCases(t *testing.T) {
	table := Table()
	dirs, err := filepath.Glob("testdata/cases/FD*/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		ruleID, name := filepath.Base(filepath.Dir(dir)), filepath.Base(dir)
		t.Run(ruleID+"/"+name, func(t *testing.T) {
			rule := Lookup(table, ruleID)
			if rule == nil {
				t.Fatalf("no rule %s in the table", ruleID)
			}
			snap := loadSnapshot(t, filepath.Join(dir, "snapshot.json"))
			res := Run(snap, table, Config{})
			got, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			checkGolden(t, filepath.Join(dir, "want.json"), got)

			var fired, rooted bool
			for _, f := range res.Findings {
				if f.RuleID == ruleID {
					fired = true
					rooted = rooted || f.RootCause
				}
				if f.RootCause && f.RuleID == ruleID && f.Category != rule.Category {
					t.Errorf("root cause category %s, want %s", f.Category, rule.Category)
				}
			}
			switch {
			case strings.HasPrefix(name, "fires") && rule.Global != nil:
				// Global rules speak about the snapshot as a whole, never as a place's root cause.
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

// Every rule has at least one firing and one quiet case.
func TestEveryRuleHasCases(t *testing.T) {
	for _, r := range Table() {
		for _, kind := range []string{"fires", "quiet"} {
			m, _ := filepath.Glob(filepath.Join("testdata/cases", r.ID, kind+"*", "snapshot.json"))
			if len(m) == 0 {
				t.Errorf("%s (%s) has no %s case", r.ID, r.Name, kind)
			}
		}
	}
}

// Across all cases, every root cause names a category its rule owns: no case is classified
// into a wrong category by some other rule.
func TestNoWrongCategoryRootCause(t *testing.T) {
	table := Table()
	dirs, _ := filepath.Glob("testdata/cases/FD*/fires*")
	for _, dir := range dirs {
		want := Lookup(table, filepath.Base(filepath.Dir(dir)))
		if want == nil || want.Global != nil {
			continue
		}
		res := Run(loadSnapshot(t, filepath.Join(dir, "snapshot.json")), table, Config{})
		for _, f := range res.Findings {
			if f.RootCause && f.Category != want.Category {
				t.Errorf("%s: root cause %s (%s/%s), want category %s", dir, f.RuleID, f.Category, f.Cause, want.Category)
			}
		}
	}
}

func TestTableIsValid(t *testing.T) {
	if err := Validate(Table()); err != nil {
		t.Fatal(err)
	}
}

func loadSnapshot(t testing.TB, path string) *evidence.Snapshot {
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

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./rules -run TestCases -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("findings differ from %s (go test ./rules -update to accept):\n%s", path, got)
	}
}

func summaries(res *Result) string {
	var s []string
	for _, f := range res.Findings {
		s = append(s, f.RuleID+" "+f.Category+"/"+f.Cause+": "+f.Summary)
	}
	return strings.Join(s, "; ")
}

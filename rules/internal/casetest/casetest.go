// Package casetest runs a rule family's golden cases. A case is a snapshot.json, the golden
// want.json of what the whole table finds on it (GoldenResult), and a rule that fires there or
// stays quiet. A family's own cases are testdata/<RuleID>/<fires-*|quiet-*>/; a snapshot that serves
// several rules is a scenario, rules/testdata/scenarios/<name>/, whose cases.json says which rules
// fire on it and which stay quiet, so that a wording change rewrites one golden, not copies.
package casetest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// Update is -update: rewrite the goldens instead of comparing with them.
var Update = flag.Bool("update", false, "rewrite the want.json goldens")

// ScenarioDir is where scenarios live, under rules/.
const ScenarioDir = "testdata/scenarios"

// Case is one golden case.
type Case struct {
	Rule     string // "FD6001"
	Name     string // "fires-timeout-both-attempts": fires-* or quiet-*
	Dir      string // the case's folder, or the scenario's
	Scenario bool
	// Shares are the rules whose cases share the golden: Rule, or every rule of the scenario.
	Shares []string
}

// Snapshot is the path of the case's snapshot.json.
func (c Case) Snapshot() string { return filepath.Join(c.Dir, "snapshot.json") }

// Golden is the path of the case's want.json.
func (c Case) Golden() string { return filepath.Join(c.Dir, "want.json") }

// Manifest is a scenario's cases.json: the rules that fire on its snapshot and the rules that
// stay quiet, each with the case's name without its fires-/quiet- prefix.
type Manifest struct {
	Fires map[string]string `json:"fires,omitempty"`
	Quiet map[string]string `json:"quiet,omitempty"`
}

// Cases lists every case under root (the rules/ folder): the families' own, then each scenario's,
// once per rule its manifest names.
func Cases(root string) ([]Case, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "*", "testdata", "FD*", "*"))
	if err != nil {
		return nil, err
	}
	var out []Case
	for _, d := range dirs {
		id := filepath.Base(filepath.Dir(d))
		out = append(out, Case{Rule: id, Name: filepath.Base(d), Dir: d, Shares: []string{id}})
	}
	scenarios, err := filepath.Glob(filepath.Join(root, ScenarioDir, "*"))
	if err != nil {
		return nil, err
	}
	for _, d := range scenarios {
		m, err := ReadManifest(d)
		if err != nil {
			return nil, err
		}
		shares := append(sortedKeys(m.Fires), sortedKeys(m.Quiet)...)
		for _, kind := range []string{"fires", "quiet"} {
			names := m.Fires
			if kind == "quiet" {
				names = m.Quiet
			}
			for _, id := range sortedKeys(names) {
				out = append(out, Case{Rule: id, Name: kind + "-" + names[id], Dir: d, Scenario: true, Shares: shares})
			}
		}
	}
	return out, nil
}

// ReadManifest reads a scenario's cases.json; an unknown key fails.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, "cases.json"), err)
	}
	if len(m.Fires)+len(m.Quiet) < 2 {
		return nil, fmt.Errorf("%s: a scenario serves at least two rules; one rule's case belongs in its family's testdata", dir)
	}
	for id := range m.Fires {
		if _, both := m.Quiet[id]; both {
			return nil, fmt.Errorf("%s: %s both fires and stays quiet", dir, id)
		}
	}
	return &m, nil
}

// Snapshots lists every fixture snapshot under root once, however many rules it serves.
func Snapshots(root string) ([]string, error) {
	fam, err := filepath.Glob(filepath.Join(root, "*", "testdata", "FD*", "*", "snapshot.json"))
	if err != nil {
		return nil, err
	}
	sc, err := filepath.Glob(filepath.Join(root, ScenarioDir, "*", "snapshot.json"))
	return append(fam, sc...), err
}

// Family is the package a rule's Run is declared in: its family ("timeout").
func Family(r *rules.Rule) string {
	// The function's name will not do: the compiler names a closure after where its
	// constructor was inlined (rules.Table.NotFound.func1). Its source file stays.
	pc := reflect.ValueOf(r.Run).Pointer()
	file, _ := runtime.FuncForPC(pc).FileLine(pc)
	return filepath.Base(filepath.Dir(file))
}

// Run runs the cases of the calling family's rules: its own testdata and the scenarios' entries
// for them. A fires case must have its rule as a root cause (of its category), or for a
// whole-snapshot rule produce it at all; a quiet case must not produce it. Every root cause of a
// fires case must be of the rule's category: no case is classified into a wrong category by
// some other rule.
func Run(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	family := filepath.Base(wd)
	table := rules.Table()
	all, err := Cases("..")
	if err != nil {
		t.Fatal(err)
	}
	var cases []Case
	for _, c := range all {
		r := rules.Lookup(table, c.Rule)
		if r == nil {
			t.Errorf("%s: no rule %s in the table", c.Dir, c.Rule)
			continue
		}
		if Family(r) == family {
			cases = append(cases, c)
		}
	}
	if len(cases) == 0 {
		t.Fatal("no cases for this family's rules")
	}
	for _, c := range cases {
		ruleID, name, rule := c.Rule, c.Name, rules.Lookup(table, c.Rule)
		t.Run(ruleID+"/"+name, func(t *testing.T) {
			snap := LoadSnapshot(t, c.Snapshot())
			res := rules.Run(snap, table, rules.Config{})
			got, err := json.MarshalIndent(GoldenResult(res, c.Shares), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			CheckGolden(t, c.Golden(), got)

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

// GoldenResult is what a case's want.json records: the engine's result, with each not_evaluated
// entry's rule lists cut to the rules at stake — those whose cases share the golden and those
// with a finding — so that a new rule that reads or requires Kubernetes or storage evidence
// does not rewrite every golden where that layer was not collected. The engine's lists in full
// are tested where they are computed.
func GoldenResult(res *rules.Result, shares []string) *rules.Result {
	stake := map[string]bool{}
	for _, id := range shares {
		stake[id] = true
	}
	for _, f := range res.Findings {
		stake[f.RuleID] = true
		for _, id := range f.Corroborated {
			stake[id] = true
		}
	}
	for _, s := range res.Suppressed {
		stake[s.Finding.RuleID] = true
	}
	out := *res
	out.NotEvaluated = nil
	for _, n := range res.NotEvaluated {
		n.Rules = atStake(n.Rules, stake)
		n.Without = atStake(n.Without, stake)
		out.NotEvaluated = append(out.NotEvaluated, n)
	}
	return &out
}

func atStake(ids []string, stake map[string]bool) []string {
	out := []string{}
	for _, id := range ids {
		if stake[id] {
			out = append(out, id)
		}
	}
	return out
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

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

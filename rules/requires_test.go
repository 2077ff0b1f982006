package rules_test

import (
	"slices"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
	"github.com/flytedoctor/flytedoctor/rules/internal/casetest"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Requires is a promise the engine relies on to skip a rule: a rule that requires a layer never
// fires without it. Every fixture is classified again with each layer removed (its collector
// record still saying ok, so the engine runs every rule) and no rule requiring the layer may
// produce a finding, suppressed or not.
func TestRequiresIsTrue(t *testing.T) {
	paths, err := casetest.Snapshots(".")
	if err != nil || len(paths) < 100 {
		t.Fatalf("only %d fixtures: %v", len(paths), err)
	}
	table := rules.Table()
	strip := map[rule.Evidence]func(*evidence.Snapshot){
		rule.Kube:    func(s *evidence.Snapshot) { s.Kube = nil },
		rule.Storage: func(s *evidence.Snapshot) { s.Storage = nil },
	}
	for _, p := range paths {
		for layer, remove := range strip {
			snap := casetest.LoadSnapshot(t, p)
			remove(snap)
			res := rules.Run(snap, table, rules.Config{})
			for _, f := range res.Findings {
				r := rules.Lookup(table, f.RuleID)
				if slices.Contains(r.Requires, layer) {
					t.Errorf("%s: %s requires %s evidence but fired without it: %s", p, f.RuleID, layer, f.Summary)
				}
				for _, c := range f.Corroborated {
					if slices.Contains(rules.Lookup(table, c).Requires, layer) {
						t.Errorf("%s: %s requires %s evidence but matched without it", p, c, layer)
					}
				}
			}
		}
	}
}

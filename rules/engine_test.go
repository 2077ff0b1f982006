package rules_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/rules"
	"github.com/flytedoctor/flytedoctor/rules/internal/casetest"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func panicking(id string, global bool) *rule.Rule {
	r := &rule.Rule{ID: id, Name: "panics-" + strings.ToLower(id), Title: "Panics", Category: rule.CatSystem,
		Causes: []string{"bug"}, Severity: rule.Error, Doc: "Panics on purpose.", Fixes: []rule.Fix{{Action: "none"}}}
	if global {
		r.Scope = rule.WholeSnapshot
		r.Run = func(p *rule.Pass) { _ = p.Snapshot.Collection[len(p.Snapshot.Collection)] }
	} else {
		r.Run = func(p *rule.Pass) { var a []int; _ = a[len(p.Site.Texts())+3] }
	}
	return r
}

// A rule that panics is reported by ID, once per place it ran on, and the rest of the table
// classifies the snapshot exactly as it does without it.
func TestRulePanicIsRecovered(t *testing.T) {
	snap := casetest.LoadSnapshot(t, "memory/testdata/FD5001/fires-subworkflow-both-attempts/snapshot.json")
	want := rules.Run(snap, rules.Table(), rules.Config{})

	table := append([]*rule.Rule{panicking("FD8998", false)}, rules.Table()...)
	table = append(table, panicking("FD8999", true))
	got := rules.Run(casetest.LoadSnapshot(t, "memory/testdata/FD5001/fires-subworkflow-both-attempts/snapshot.json"), table, rules.Config{})

	wantJSON, _ := json.Marshal(want.Findings)
	gotJSON, _ := json.Marshal(got.Findings)
	if string(wantJSON) != string(gotJSON) {
		t.Errorf("findings changed by a panicking rule:\n got %s\nwant %s", gotJSON, wantJSON)
	}
	places := len(rules.Sites(snap))
	if places == 0 || len(got.Failed) != places+1 {
		t.Fatalf("failures = %+v, want one per place (%d) and one for the global rule", got.Failed, places)
	}
	// Whole-snapshot rules run before the places: find each failure by its rule.
	var site, global rules.RuleFailure
	for _, f := range got.Failed {
		switch {
		case f.RuleID == "FD8999":
			global = f
		case site.RuleID == "":
			site = f
		}
	}
	if site.RuleID != "FD8998" || site.Subject.Node == "" || !strings.Contains(site.Panic, "index out of range") {
		t.Errorf("site failure = %+v", site)
	}
	if global.RuleID != "FD8999" || global.Subject.Execution != "" || !strings.Contains(global.Panic, "index out of range") {
		t.Errorf("global failure = %+v", global)
	}
	if line := global.String(); !strings.HasPrefix(line, "rule FD8999 failed: ") || !strings.HasSuffix(line, " (please report)") || strings.Contains(line, "\n") {
		t.Errorf("line = %q", line)
	}
	if len(want.Failed) != 0 {
		t.Errorf("the real table fails: %+v", want.Failed)
	}
}

// A panic value is clipped to one short line however large it is.
func TestRulePanicIsClipped(t *testing.T) {
	snap := casetest.LoadSnapshot(t, "memory/testdata/FD5001/fires-subworkflow-both-attempts/snapshot.json")
	r := panicking("FD8999", true)
	r.Run = func(*rule.Pass) { panic(strings.Repeat("line\n", 10000)) }
	res := rules.Run(snap, []*rule.Rule{r}, rules.Config{})
	if len(res.Failed) != 1 || len(res.Failed[0].Panic) > 210 || strings.Contains(res.Failed[0].Panic, "\n") {
		t.Fatalf("failures = %d, panic %d bytes", len(res.Failed), len(res.Failed[0].Panic))
	}
}

// FD8003 declares that it supersedes the system-error fallback: without the declaration both
// match the place, with it only FD8003 does, and disabling FD8003 does not hand it to FD8901.
func TestSupersedesIsApplied(t *testing.T) {
	const fixture = "testdata/scenarios/event-too-large/snapshot.json"
	ids := func(res *rules.Result) []string {
		var out []string
		for _, f := range res.Findings {
			out = append(append(out, f.RuleID), f.Corroborated...)
		}
		return out
	}
	table := rules.Table()
	if got := ids(rules.Run(casetest.LoadSnapshot(t, fixture), table, rules.Config{})); !slices.Contains(got, "FD8003") || slices.Contains(got, "FD8901") {
		t.Fatalf("with Supersedes: %v", got)
	}
	res := rules.Run(casetest.LoadSnapshot(t, fixture), table, rules.Config{Disabled: map[string]string{"FD8003": "known"}})
	if got := ids(res); slices.Contains(got, "FD8901") || len(res.Suppressed) != 1 {
		t.Fatalf("FD8003 disabled: findings %v, %d suppressed", got, len(res.Suppressed))
	}
	r := rules.Lookup(table, "FD8003")
	r.Supersedes = nil
	if got := ids(rules.Run(casetest.LoadSnapshot(t, fixture), table, rules.Config{})); !slices.Contains(got, "FD8901") {
		t.Fatalf("without Supersedes FD8901 must match too: %v", got)
	}
}

// Every hit a pass reports becomes a finding, site and whole-snapshot rules alike; a rule that
// panics after reporting loses that pass's hits (it stopped half-way) and is named instead.
func TestPassReports(t *testing.T) {
	snap := casetest.LoadSnapshot(t, "memory/testdata/FD5001/fires-subworkflow-both-attempts/snapshot.json")
	mk := func(id string, scope rule.Scope, run func(*rule.Pass)) *rule.Rule {
		r := panicking(id, false)
		r.Severity, r.Scope, r.Run = rule.Warning, scope, run
		return r
	}
	twice := mk("FD8997", rule.WholeSnapshot, func(p *rule.Pass) {
		if p.Site != nil || p.Snapshot == nil {
			panic("whole-snapshot pass must have the snapshot and no site")
		}
		p.Report(rule.Hit{Summary: "one"})
		p.Report(rule.Hit{Summary: "two"})
	})
	half := mk("FD8998", rule.PerSite, func(p *rule.Pass) {
		p.Report(rule.Hit{Summary: "lost"})
		panic("half-way")
	})
	res := rules.Run(snap, []*rule.Rule{half, twice}, rules.Config{})
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.RuleID+" "+f.Summary)
	}
	if want := []string{"FD8997 one", "FD8997 two"}; !slices.Equal(got, want) {
		t.Errorf("findings = %q, want %q", got, want)
	}
	if len(res.Failed) != len(rules.Sites(snap)) || res.Failed[0].RuleID != "FD8998" || res.Failed[0].Panic != "half-way" {
		t.Errorf("failures = %+v", res.Failed)
	}
}

// Where a layer was not collected, not_evaluated names every rule that requires it and every
// other rule that reads it, in table order, with the collector's reason. (The goldens keep only
// the rules at stake in their case; this checks the lists in full.)
func TestNotEvaluatedNamesTheTablesRules(t *testing.T) {
	snap := casetest.LoadSnapshot(t, "testdata/scenarios/user-skipped-collectors/snapshot.json")
	table := rules.Table()
	res := rules.Run(snap, table, rules.Config{})
	if len(res.NotEvaluated) != 2 {
		t.Fatalf("not evaluated = %+v, want kube and storage", res.NotEvaluated)
	}
	// A rule that requires either missing layer does not run at all, so it runs without neither.
	skipped := func(r *rule.Rule) bool {
		return slices.Contains(r.Requires, rule.Kube) || slices.Contains(r.Requires, rule.Storage)
	}
	for _, n := range res.NotEvaluated {
		var requires, reads []string
		for _, r := range table {
			switch {
			case slices.Contains(r.Requires, n.Evidence):
				requires = append(requires, r.ID)
			case slices.Contains(r.Reads, n.Evidence) && !skipped(r):
				reads = append(reads, r.ID)
			}
		}
		if !slices.Equal(n.Rules, requires) || !slices.Equal(n.Without, reads) || n.Reason != "--skip "+n.Evidence.Collector() {
			t.Errorf("%s: rules %v without %v (%q), want %v without %v", n.Evidence, n.Rules, n.Without, n.Reason, requires, reads)
		}
	}
}

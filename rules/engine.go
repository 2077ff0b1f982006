package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Finding is a classified problem. Its JSON keys are part of the report contract.
type Finding struct {
	RuleID   string        `json:"rule_id"`
	Category string        `json:"category"`
	Cause    string        `json:"cause"`
	Severity rule.Severity `json:"severity"`
	// RootCause marks the one finding that explains a failing place; the rest corroborate
	// or add context.
	RootCause bool         `json:"root_cause"`
	Summary   string       `json:"summary"`
	Detail    string       `json:"detail,omitempty"`
	Subject   rule.Subject `json:"subject"`
	Evidence  []string     `json:"evidence,omitempty"`
	Fixes     []rule.Fix   `json:"fixes"`
	DocsURL   string       `json:"docs_url"`
	// Corroborated lists other rules of the same category that matched the same place.
	Corroborated []string `json:"corroborated_by,omitempty"`
	// Places lists every place when one cause with one fix hit several (Subject is the
	// first); PlacesSummary names them for a person: "3 of 1,000 children of n0: dn17, ...".
	Places        []Place `json:"places,omitempty"`
	PlacesSummary string  `json:"places_summary,omitempty"`
}

// Suppressed is a finding a user turned off, with their reason.
type Suppressed struct {
	Finding Finding `json:"finding"`
	Reason  string  `json:"reason"`
}

// Config lets users disable or re-rate rules; every suppression carries a reason.
type Config struct {
	Disabled map[string]string        // rule ID → reason
	Severity map[string]rule.Severity // rule ID → severity
}

// Result is the engine's output: findings ordered root causes first.
type Result struct {
	Findings   []Finding    `json:"findings"`
	Suppressed []Suppressed `json:"suppressed,omitempty"`
	// Failed lists rules that panicked: a bug in flytedoctor, reported instead of crashing,
	// so the other rules' findings still reach the user.
	Failed []RuleFailure `json:"rules_failed,omitempty"`
	// NotEvaluated lists, per layer of evidence that was not collected, the rules that need it
	// and so did not run: quiet because they could not look, not because all is well.
	NotEvaluated []NotEvaluated `json:"not_evaluated,omitempty"`
	// Timelines are the attempts over time of every place with a root cause, in order.
	Timelines []PlaceTimeline `json:"timelines,omitempty"`
}

// NotEvaluated is one layer of evidence that was not collected and the rules it silenced.
type NotEvaluated struct {
	Evidence rule.Evidence `json:"evidence"`
	// Reason is the collector's: its skip reason, or its first error.
	Reason string   `json:"reason"`
	Rules  []string `json:"rules"`
	// Without lists the rules that ran anyway, judging on the other layers alone.
	Without []string `json:"ran_without_it,omitempty"`
}

// String is the one line a report prints for the layer.
func (n NotEvaluated) String() string {
	s := plural(len(n.Rules), "rule") + " not evaluated: " + n.Evidence.Title() + " evidence was not collected"
	if n.Reason != "" {
		s += " (" + n.Reason + ")"
	}
	if len(n.Without) > 0 {
		s += "; " + plural(len(n.Without), "rule") + " ran without it"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprint(n) + " " + word + "s"
}

// uncollected finds the layers of evidence the snapshot lacks, with the collector's reason: its
// record says skipped or failed and the layer is absent. A layer with no record, or with data
// despite a failed record, counts as collected: rules judge what is there.
func uncollected(snap *evidence.Snapshot) map[rule.Evidence]string {
	absent := map[rule.Evidence]bool{
		rule.Admin: snap.Execution == nil, rule.Kube: snap.Kube == nil, rule.Storage: snap.Storage == nil,
	}
	out := map[rule.Evidence]string{}
	for _, e := range rule.EvidenceLayers {
		for _, rec := range snap.Collection {
			if rec.Collector != e.Collector() || !absent[e] {
				continue
			}
			switch rec.Status {
			case evidence.StatusSkipped:
				out[e] = oneline.Clip(rec.SkipReason, 120)
			case evidence.StatusFailed:
				why := "failed"
				if len(rec.Errors) > 0 {
					why = "failed: " + rec.Errors[0].Code
				}
				out[e] = oneline.Clip(why, 120)
			}
		}
	}
	return out
}

// notEvaluated sorts the table's rules against the uncollected layers; skip says which rules
// must not run.
func notEvaluated(table []*rule.Rule, missing map[rule.Evidence]string) (skip map[string]bool, out []NotEvaluated) {
	skip = map[string]bool{}
	for _, e := range rule.EvidenceLayers {
		why, ok := missing[e]
		if !ok {
			continue
		}
		n := NotEvaluated{Evidence: e, Reason: why}
		for _, r := range table {
			switch {
			case slices.Contains(r.Requires, e):
				n.Rules = append(n.Rules, r.ID)
				skip[r.ID] = true
			case slices.Contains(r.Reads, e):
				n.Without = append(n.Without, r.ID)
			}
		}
		if len(n.Rules) > 0 {
			out = append(out, n)
		}
	}
	// A rule skipped for one layer does not also run "without" another.
	for i := range out {
		out[i].Without = slices.DeleteFunc(out[i].Without, func(id string) bool { return skip[id] })
	}
	return skip, out
}

// RuleFailure is one rule's panic, once per place (or once for a whole-snapshot rule).
type RuleFailure struct {
	RuleID string `json:"rule_id"`
	// Subject is the place the rule was classifying; empty for a whole-snapshot rule.
	Subject rule.Subject `json:"subject,omitzero"`
	Panic   string       `json:"panic"`
}

// String is the one line a report prints for the failure.
func (f RuleFailure) String() string {
	return "rule " + f.RuleID + " failed: " + f.Panic + " (please report)"
}

// recovered turns a rule's panic into a RuleFailure; the value is clipped so a panic quoting
// a huge message stays one line.
func recovered(id string, sub rule.Subject, v any) RuleFailure {
	return RuleFailure{RuleID: id, Subject: sub, Panic: oneline.Clip(fmt.Sprint(v), 200)}
}

// run runs one rule on one pass, recovering a panic into res.Failed: the hits the rule
// reported before it panicked are dropped with it, since it stopped half-way.
func run(r *rule.Rule, pass *rule.Pass, res *Result) (hits []rule.Hit) {
	defer func() {
		if v := recover(); v != nil {
			var sub rule.Subject
			if pass.Site != nil {
				sub = pass.Site.Subject()
			}
			res.Failed = append(res.Failed, recovered(r.ID, sub, v))
			hits = nil
		}
	}()
	r.Run(pass)
	return pass.Hits()
}

// Worst returns the highest severity among the findings, and whether there is any.
func (r *Result) Worst() (rule.Severity, bool) {
	worst, any := rule.Info, false
	for _, f := range r.Findings {
		if !any || f.Severity > worst {
			worst, any = f.Severity, true
		}
	}
	return worst, any
}

// Run classifies the snapshot with the table's rules.
func Run(snap *evidence.Snapshot, table []*rule.Rule, cfg Config) *Result {
	res := &Result{Findings: []Finding{}}
	skip, notRun := notEvaluated(table, uncollected(snap))
	res.NotEvaluated = notRun
	var roots []rooted
	var others []Finding
	emit := func(f Finding, into *[]Finding) {
		if why, off := cfg.Disabled[f.RuleID]; off {
			res.Suppressed = append(res.Suppressed, Suppressed{Finding: f, Reason: why})
			return
		}
		*into = append(*into, f)
	}
	x := evidence.NewIndex(snap)
	// Whole-snapshot rules run first: a hit of theirs about one place supersedes there, as a
	// site rule's does ("Admin and the cluster disagree" explains a place better than "stuck").
	type global struct {
		r *rule.Rule
		h rule.Hit
	}
	var globals []global
	supersededAt := map[string][]string{}
	for _, r := range table {
		if r.Scope != rule.WholeSnapshot || skip[r.ID] {
			continue
		}
		for _, h := range run(r, rule.NewPass(snap, nil), res) {
			globals = append(globals, global{r, h})
			if len(r.Supersedes) > 0 && len(h.Subject.Path) > 0 {
				k := placeOf(h.Subject)
				supersededAt[k] = append(supersededAt[k], r.Supersedes...)
			}
		}
	}
	for _, site := range sitesIn(snap, x) {
		var hits, disabled []Finding
		superseded := map[string]bool{}
		for _, id := range supersededAt[placeOf(site.Subject())] {
			superseded[id] = true
		}
		for _, r := range table {
			if r.Scope != rule.PerSite || skip[r.ID] {
				continue
			}
			found := run(r, rule.NewPass(snap, site), res)
			if len(found) == 0 {
				continue
			}
			// A disabled rule still supersedes: turning it off hides its finding, it does
			// not hand the place to the rule it outranks.
			for _, id := range r.Supersedes {
				superseded[id] = true
			}
			for _, h := range found {
				if h.Subject.Execution == "" {
					h.Subject = site.Subject()
				}
				f := finding(r, h, cfg)
				if _, off := cfg.Disabled[r.ID]; off {
					disabled = append(disabled, f)
					continue
				}
				hits = append(hits, f)
			}
		}
		notSuperseded := func(f Finding) bool { return superseded[f.RuleID] }
		for _, f := range slices.DeleteFunc(disabled, notSuperseded) {
			emit(f, &others)
		}
		hits = withoutFallbacks(slices.DeleteFunc(hits, notSuperseded), table)
		if len(hits) == 0 {
			continue
		}
		// The root cause is the most severe hit, ties going to the earlier (more specific) rule.
		best := 0
		for i, f := range hits {
			if f.Severity > hits[best].Severity {
				best = i
			}
		}
		root := hits[best]
		root.RootCause = true
		// One root cause per place: other hits of its category, and other errors that explain
		// the same failure from another layer, fold into it; milder hits stay as context.
		for i, f := range hits {
			switch {
			case i == best:
			case f.Category == root.Category || f.Severity == rule.Error:
				root.Corroborated = append(root.Corroborated, f.RuleID)
			default:
				emit(f, &others)
			}
		}
		if why, off := cfg.Disabled[root.RuleID]; off {
			res.Suppressed = append(res.Suppressed, Suppressed{Finding: root, Reason: why})
			continue
		}
		roots = append(roots, rooted{f: root, site: site})
	}
	for _, g := range globals {
		emit(finding(g.r, g.h, cfg), &others)
	}
	sort.SliceStable(others, func(i, j int) bool { return others[i].Severity > others[j].Severity })
	res.Timelines = timelines(roots, x)
	res.Findings = append(append(res.Findings, group(roots, snap)...), others...)
	return res
}

// placeOf names a place by its execution and node path, the part of a subject every rule
// that reports the place agrees on.
func placeOf(s rule.Subject) string {
	return s.Execution + "\x00" + strings.Join(s.Path, "/")
}

func finding(r *rule.Rule, h rule.Hit, cfg Config) Finding {
	f := Finding{
		RuleID: r.ID, Category: r.Category, Cause: h.Cause, Severity: r.Severity,
		Summary: h.Summary, Detail: h.Detail, Subject: h.Subject, Evidence: h.Evidence,
		Fixes: h.Fixes, DocsURL: r.DocsURL(),
	}
	if f.Cause == "" {
		f.Cause = r.Causes[0]
	}
	if f.Fixes == nil {
		f.Fixes = r.Fixes
	}
	if h.Severity != nil {
		f.Severity = *h.Severity
	}
	if s, ok := cfg.Severity[r.ID]; ok {
		f.Severity = s
	}
	return f
}

// withoutFallbacks drops fallback hits when a specific rule explained the site, however
// mildly: an aborted child explains its parent's failure better than "a user error" does.
func withoutFallbacks(hits []Finding, table []*rule.Rule) []Finding {
	var specific []Finding
	for _, f := range hits {
		if r := Lookup(table, f.RuleID); r != nil && !r.Fallback {
			specific = append(specific, f)
		}
	}
	if len(specific) == 0 {
		return hits
	}
	return specific
}

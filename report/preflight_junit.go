package report

import (
	"maps"
	"slices"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// junitSkipped marks a test case that did not run, with why.
type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// junitPreflightSuite is a preflight run as a test suite: a test case per check and subject.
// A failed check is a failure; a warning is one only when it fails the run (--fail-on
// warning), else a passing case that says why in system-out; a skipped check is skipped with
// its reason. Names are the check's title and subject and class names preflight.<ID>, the
// same from one run to the next, so CI can follow a check across runs.
func junitPreflightSuite(r *Report, o Options) junitSuite {
	snap := r.Snapshot
	c := snap.Checks
	sp := &c.Spec
	s := junitSuite{Name: "preflight " + sp.Project + "/" + sp.Domain}
	if !snap.CollectedAt.IsZero() {
		s.Timestamp = snap.CollectedAt.UTC().Format("2006-01-02T15:04:05")
	}
	prop := func(k, v string) {
		if v != "" {
			s.Properties = append(s.Properties, junitProperty{k, v})
		}
	}
	prop("project", sp.Project)
	prop("domain", sp.Domain)
	prop("namespace", sp.Namespace)
	prop("admin_endpoint", sp.AdminEndpoint)
	prop("package", sp.Package)
	prop("flytedoctor", snap.Tool.Version)
	s.Cases, s.Failures, s.Skipped = checkCases(c, o)
	s.Tests = len(s.Cases)
	s.Time = seconds(0)
	out := []string{"preflight: " + PreflightTally(c.Results)}
	for _, n := range sp.Notes {
		out = append(out, "note: "+n)
	}
	for _, l := range slices.Sorted(maps.Keys(sp.Skipped)) {
		out = append(out, "not checked: "+l+" ("+sp.Skipped[l]+")")
	}
	if c.Stopped != "" {
		out = append(out, "the run "+c.Stopped+" before every check had run: the checks it cut short are skipped")
	}
	s.SystemOut = &junitText{xmlSafe(strings.Join(out, "\n"))}
	return s
}

// checkCases are the test cases of a run's results, with how many fail and are skipped.
func checkCases(c *evidence.Checks, o Options) (cases []junitCase, failures, skipped int) {
	for _, res := range c.Results {
		name := res.Title + ": " + res.Subject
		if res.Task != "" {
			name += " (" + res.Task + ")"
		}
		tc := junitCase{Name: xmlSafe(name), Classname: "preflight." + res.ID, Time: seconds(0)}
		switch {
		case res.Status == evidence.CheckFail || (res.Status == evidence.CheckWarn && o.WarningsFail):
			tc.Failure = &junitFailure{Message: xmlSafe(res.Summary), Type: res.ID + " " + verdictWord(res.Status), Text: xmlSafe(checkText(res))}
			failures++
		case res.Status == evidence.CheckWarn:
			tc.SystemOut = &junitText{xmlSafe("warning: " + checkText(res))}
		case res.Status == evidence.CheckSkip:
			tc.Skipped = &junitSkipped{Message: xmlSafe(res.Summary)}
			skipped++
		}
		cases = append(cases, tc)
	}
	return cases, failures, skipped
}

// checkText is a check's verdict in full: what, why, the fix and its commands.
func checkText(r evidence.CheckResult) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	head := "[" + r.ID + "] " + r.Title + ": " + r.Subject
	if r.Task != "" {
		head += " (" + r.Task + ")"
	}
	line(head)
	line(r.Summary)
	if r.Detail != "" {
		line("")
		line(strings.TrimRight(r.Detail, "\n"))
	}
	if r.Fix != "" {
		line("")
		line("fix: " + r.Fix)
	}
	for _, c := range r.Commands {
		line("  $ " + c)
	}
	return b.String()
}

package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

type junitRenderer struct{}

func (junitRenderer) Name() string { return "junit" }
func (junitRenderer) Description() string {
	return "JUnit XML for CI test reports: a test case per failing place"
}

// The common JUnit XML shape that GitLab, Jenkins and GitHub Actions reporters read:
// testsuites > testsuite > testcase, a failure element with message and type, and counts.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitText      `xml:"system-out,omitempty"`
}

// junitText is element text kept readable (CDATA, line breaks as they are).
type junitText struct {
	Text string `xml:",cdata"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// Render writes one testsuites document, a testsuite per report (execution). Each failing
// place (a root cause) is a test case whose failure message is the finding's summary; an
// error finding that is no place's root cause (a bucket that does not exist) is a failing
// test case of its own; warnings and notes go to the suite's system-out. A run with nothing
// wrong is one passing test case, so CI shows it as passed rather than empty. Test case names
// are node paths and class names the launch plan, which stay the same from one run of a
// workflow to the next, so CI can follow a place across runs.
func (junitRenderer) Render(w io.Writer, reports []*Report, _ Options) error {
	doc := junitSuites{Name: "flytedoctor"}
	var total time.Duration
	for _, r := range reports {
		s, d := junitSuiteOf(r)
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		total += d
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitSuiteOf(r *Report) (junitSuite, time.Duration) {
	snap := r.Snapshot
	s := junitSuite{Name: snap.Target.String()}
	class := snap.Target.Project + "." + snap.Target.Domain
	var took time.Duration
	if ex := snap.Execution; ex != nil {
		took = ex.Duration.Std()
		if !ex.LaunchPlan.IsZero() {
			class = ex.LaunchPlan.Name
		}
		if !ex.StartedAt.IsZero() {
			s.Timestamp = ex.StartedAt.UTC().Format("2006-01-02T15:04:05")
		}
		s.Properties = append(s.Properties, junitProperty{"phase", ex.Phase})
		if !ex.LaunchPlan.IsZero() {
			s.Properties = append(s.Properties, junitProperty{"launch_plan", ex.LaunchPlan.Name + "@" + ex.LaunchPlan.Version})
		}
	}
	s.Properties = append(s.Properties, junitProperty{"flytedoctor", snap.Tool.Version})
	var out []string
	for _, f := range r.Findings {
		if !f.RootCause && f.Severity != rules.Error {
			out = append(out, fmt.Sprintf("%s [%s] %s", f.Severity, f.RuleID, f.Summary))
			continue
		}
		name := placeName(f.Subject)
		if !f.RootCause {
			name = f.RuleID + " " + name
		}
		c := junitCase{Name: strings.TrimSpace(name), Classname: class, Time: seconds(placeDuration(snap, f.Subject))}
		if f.Severity >= rules.Warning {
			c.Failure = &junitFailure{Message: f.Summary, Type: f.RuleID + " " + string(f.Category) + "/" + f.Cause + " (" + f.Severity.String() + ")", Text: xmlSafe(failureText(r, f))}
			s.Failures++
		} else {
			c.SystemOut = &junitText{xmlSafe(failureText(r, f))}
		}
		s.Cases = append(s.Cases, c)
	}
	for _, sp := range r.Suppressed {
		out = append(out, fmt.Sprintf("suppressed [%s] %s: %s", sp.Finding.RuleID, sp.Finding.Summary, sp.Reason))
	}
	for _, fl := range r.Failed {
		out = append(out, fl.String())
	}
	for _, n := range r.NotEvaluated {
		out = append(out, n.String())
	}
	if len(s.Cases) == 0 {
		s.Cases = append(s.Cases, junitCase{Name: "execution", Classname: class, Time: seconds(took)})
	}
	s.Tests = len(s.Cases)
	s.Time = seconds(took)
	if len(out) > 0 {
		s.SystemOut = &junitText{xmlSafe(strings.Join(out, "\n"))}
	}
	return s, took
}

// placeName names a failing place by its node path, the same from run to run.
func placeName(sub rules.Subject) string {
	switch {
	case len(sub.Path) > 0:
		return strings.Join(sub.Path, "/")
	case sub.Node != "":
		return sub.Node
	case sub.Bucket != "":
		return "s3://" + sub.Bucket + "/" + sub.Key
	}
	return "execution"
}

// placeDuration is how long the finding's node ran, or 0 when it names none.
func placeDuration(snap *evidence.Snapshot, sub rules.Subject) time.Duration {
	if snap.Execution == nil || sub.Node == "" {
		return 0
	}
	var d time.Duration
	snap.Execution.Walk(func(path []evidence.Step) bool {
		st := path[len(path)-1]
		if st.Node.ID == sub.Node && (sub.Execution == "" || st.Execution.ID.String() == sub.Execution) {
			d = st.Node.Duration.Std()
			return false
		}
		return true
	})
	return d
}

// failureText is the failure's body: where, what, the evidence, the fixes, the rule's docs.
func failureText(r *Report, f rules.Finding) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	line(fmt.Sprintf("[%s] %s", f.RuleID, f.Summary))
	where := string(f.Category) + "/" + f.Cause
	if loc := subjectLine(f.Subject); loc != "" {
		where = loc + " · " + where
	}
	line(where)
	if f.Detail != "" {
		line("")
		line(strings.TrimRight(f.Detail, "\n"))
	}
	if len(f.Evidence) > 0 {
		line("")
		line("evidence:")
		for _, e := range f.Evidence {
			line("  - " + e)
		}
	}
	for i, fix := range f.Fixes {
		if i == 0 {
			line("")
		}
		line("fix: " + fix.Action)
		for _, c := range fix.Commands {
			line("  $ " + c)
		}
	}
	if info := r.Rule(f.RuleID); info != nil && info.DocsURL != "" {
		line("")
		line("docs: " + info.DocsURL)
	}
	return b.String()
}

// xmlSafe replaces what XML 1.0 cannot carry, even in CDATA (control characters such as
// the ANSI colours of a log line, invalid UTF-8), with U+FFFD; attributes are escaped by
// the encoder, which does the same.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

//go:embed html.tmpl
var htmlSource string

type htmlRenderer struct{}

func (htmlRenderer) Name() string { return "html" }
func (htmlRenderer) Description() string {
	return "one self-contained page: findings, a timeline of the attempts, the failing path"
}

// Render writes one HTML document for all the reports: no scripts, and nothing loaded from
// elsewhere (styles are inline, bars are CSS), so the file opens offline and can be attached
// to a ticket. html/template escapes every text from the execution for where it lands (text,
// attribute, URL).
func (htmlRenderer) Render(w io.Writer, reports []*Report, o Options) error {
	t, err := template.New("html").Funcs(template.FuncMap{"pct": pct, "indent": indent}).Parse(htmlSource)
	if err != nil {
		return err
	}
	doc := htmlDoc{Title: "flytedoctor"}
	for i, r := range reports {
		v := newHTMLReport(r, i, o.title(i))
		doc.Reports = append(doc.Reports, v)
	}
	if len(reports) == 1 {
		doc.Title = "flytedoctor: " + reports[0].Snapshot.Target.String() + " " + doc.Reports[0].Phase
	}
	var b bytes.Buffer
	if err := t.Execute(&b, doc); err != nil {
		return err
	}
	_, err = w.Write(cleanText(b.Bytes()))
	return err
}

// cleanText replaces what no HTML text may hold (control characters such as ANSI colours in
// logs, invalid UTF-8) with U+FFFD, after escaping: the template only adds valid text.
func cleanText(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1, (r < 0x20 && r != '\n' && r != '\t'), r == 0x7f, r >= 0x80 && r < 0xa0:
			if r != '\r' {
				out = utf8.AppendRune(out, '\uFFFD')
			}
		default:
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

// indent is a timeline label's left padding in rem, by depth in the tree.
func indent(depth int) string { return strconv.FormatFloat(0.6+float64(depth), 'f', 1, 64) }

// pct prints a percentage for a style attribute: short, and never an exponent.
func pct(v float64) string {
	return strconv.FormatFloat(min(max(v, 0), 100), 'f', 3, 64)
}

type htmlDoc struct {
	Title   string
	Reports []htmlReport
}

type htmlReport struct {
	ID       string // prefix of the section's element ids
	Title    string
	Target   string
	Phase    string
	PhaseCls string
	Took     string
	Fields   []htmlField
	Roots    []htmlFinding
	Rest     []htmlFinding
	// Nothing is set when no finding, suppression or failed rule was reported.
	Nothing    bool
	Suppressed []string
	Warnings   []string
	Notes      []string
	Timeline   *htmlTimeline
	Preflight  *htmlPreflight
	PathTitle  string
	Path       string
	Collection string
}

type htmlField struct {
	Label, Value string
	Pre          bool
}

type htmlFinding struct {
	Root                       bool
	RuleID, RuleTitle, DocsURL string
	Severity, SevCls           string
	Summary, Where, Cause      string
	Places                     string
	Detail                     string
	DetailPre                  bool
	Evidence                   []string
	Fixes                      []rules.Fix
	Also                       []htmlLink
}

type htmlLink struct{ Text, URL string }

func newHTMLReport(r *Report, i int, title string) htmlReport {
	snap := r.Snapshot
	v := htmlReport{ID: fmt.Sprintf("r%d", i+1), Title: title, Target: snap.Target.String(), Phase: "NOT READ", PhaseCls: "warn"}
	if ex := snap.Execution; ex != nil {
		v.Phase, v.PhaseCls = ex.Phase, phaseClass(ex.Phase)
		if d := ex.Duration.Std(); d > 0 {
			v.Took = roundDuration(d)
		}
		v.Fields = executionFields(ex)
	}
	for _, f := range r.Findings {
		h := htmlFindingOf(r, f)
		if f.RootCause {
			v.Roots = append(v.Roots, h)
		} else {
			v.Rest = append(v.Rest, h)
		}
	}
	for _, s := range r.Suppressed {
		v.Suppressed = append(v.Suppressed, fmt.Sprintf("[%s] %s — %s", s.Finding.RuleID, s.Finding.Summary, s.Reason))
	}
	for _, f := range r.Failed {
		v.Warnings = append(v.Warnings, f.String())
	}
	for _, n := range r.NotEvaluated {
		v.Notes = append(v.Notes, n.String())
	}
	v.Nothing = len(r.Findings)+len(r.Suppressed)+len(r.Failed) == 0
	if r.Preflight() {
		v.Preflight, v.Nothing = newHTMLPreflight(v.ID, snap.Checks), false
		sp := &snap.Checks.Spec
		v.Target = "preflight " + sp.Project + "/" + sp.Domain
		v.Phase, v.PhaseCls = preflightVerdict(snap.Checks.Results)
	}
	v.Timeline = newTimeline(snap)
	v.PathTitle, v.Path, v.Collection = evidenceText(snap)
	return v
}

func executionFields(ex *evidence.Execution) []htmlField {
	var out []htmlField
	add := func(label, value string) {
		if value != "" {
			out = append(out, htmlField{Label: label, Value: value})
		}
	}
	if !ex.LaunchPlan.IsZero() {
		add("launch plan", ex.LaunchPlan.Name+" @ "+ex.LaunchPlan.Version)
	}
	if !ex.StartedAt.IsZero() {
		add("started", ex.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	add("namespace", ex.Namespace)
	if e := ex.Error; e != nil {
		out = append(out, htmlField{Label: "error", Value: strings.TrimSpace(errorHead(e) + "\n" + strings.TrimRight(e.Message, "\n")), Pre: true})
	}
	if ex.AbortCause != "" {
		cause := ex.AbortCause
		if ex.AbortPrincipal != "" {
			cause += " (by " + ex.AbortPrincipal + ")"
		}
		add("aborted", cause)
	}
	add("nodes", phaseCounts(ex))
	return out
}

func htmlFindingOf(r *Report, f rules.Finding) htmlFinding {
	h := htmlFinding{Root: f.RootCause, RuleID: f.RuleID, Severity: f.Severity.String(), SevCls: sevClass(f.Severity), Summary: f.Summary,
		Where: strings.TrimPrefix(subjectLine(f.Subject), "at "), Cause: f.Category + "/" + f.Cause, Places: f.PlacesSummary,
		Detail: strings.TrimRight(f.Detail, "\n"), Evidence: f.Evidence, Fixes: f.Fixes, DocsURL: f.DocsURL}
	h.DetailPre = strings.Contains(h.Detail, "\n")
	if info := r.Rule(f.RuleID); info != nil {
		h.RuleTitle = info.Title
		if h.DocsURL == "" {
			h.DocsURL = info.DocsURL
		}
	}
	for _, id := range f.Corroborated {
		l := htmlLink{Text: id}
		if info := r.Rule(id); info != nil {
			l.URL = info.DocsURL
			l.Text += " " + info.Title
		}
		h.Also = append(h.Also, l)
	}
	return h
}

// evidenceText is the failing path (or what has not finished) and the collection records as
// the text report prints them, without colour and with messages whole.
func evidenceText(snap *evidence.Snapshot) (title, tree, coll string) {
	var tb, cb bytes.Buffer
	t := &textWriter{w: &tb, o: TextOptions{MaxMessageLines: 1 << 30}, k: newKubeIndex(snap)}
	title = "Execution"
	if ex := snap.Execution; ex != nil {
		t.tree(ex)
		if len(ex.FailurePaths()) > 0 {
			title = "Failing path"
		} else {
			title = "Unfinished nodes"
		}
	}
	t.w = &cb
	t.collection(snap)
	// The text view heads its tree with its title; the page has its own heading.
	tree = strings.Trim(tb.String(), "\n")
	if first, rest, ok := strings.Cut(tree, "\n"); ok && first == title {
		tree = rest
	}
	return title, tree, strings.Trim(cb.String(), "\n")
}

func sevClass(s rules.Severity) string {
	switch s {
	case rules.Error:
		return "bad"
	case rules.Warning:
		return "warn"
	}
	return "info"
}

// phaseClass groups Flyte phases by what they mean, for colour.
func phaseClass(p string) string {
	switch {
	case evidence.Failed(p):
		return "bad"
	case evidence.Succeeded(p):
		return "ok"
	case p == "ABORTED" || p == "ABORTING":
		return "off"
	}
	return "run"
}

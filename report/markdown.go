package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

type markdownRenderer struct{}

func (markdownRenderer) Name() string { return "markdown" }
func (markdownRenderer) Description() string {
	return "for a ticket or a chat: a summary table, each finding with evidence and fix, the failing path folded"
}

// Render writes GitHub-flavoured Markdown: per report a heading, a summary table (one row
// per failing place), each finding with its evidence and fixes, and the failing path and
// the collection in collapsible <details>. What comes from the execution (messages, names)
// is escaped so that it reads as text: it can neither break the table nor start markup.
func (markdownRenderer) Render(w io.Writer, reports []*Report, o Options) error {
	m := &mdWriter{}
	for i, r := range reports {
		if i > 0 {
			m.line("")
			m.line("---")
			m.line("")
		}
		m.report(r, o.title(i))
	}
	_, err := w.Write(m.b.Bytes())
	return err
}

type mdWriter struct{ b bytes.Buffer }

func (m *mdWriter) line(s string) { m.b.WriteString(s + "\n") }

func (m *mdWriter) linef(format string, a ...any) { m.line(fmt.Sprintf(format, a...)) }

func (m *mdWriter) report(r *Report, title string) {
	if r.Preflight() {
		m.preflight(r, title)
		return
	}
	snap := r.Snapshot
	phase := "NOT READ"
	if snap.Execution != nil {
		phase = snap.Execution.Phase
	}
	if title != "" {
		m.linef("## %s", mdText(title))
		m.line("")
		m.linef("`flytedoctor %s`: %s", snap.Target, mdText(phase))
	} else {
		m.linef("## flytedoctor: %s %s", mdText(snap.Target.String()), mdText(phase))
	}
	m.line("")

	roots, rest := r.Split()
	m.summary(r, roots, phase)
	if len(roots) > 0 {
		m.line("")
		m.line("### Root cause" + plural(len(roots), "", "s"))
		for _, f := range roots {
			m.finding(r, f)
		}
	}
	if len(rest) > 0 {
		m.line("")
		m.line("### Also found")
		for _, f := range rest {
			m.finding(r, f)
		}
	}
	if len(r.Suppressed) > 0 {
		m.line("")
		m.line("### Suppressed")
		m.line("")
		for _, s := range r.Suppressed {
			m.linef("- **%s** %s — %s", mdText(s.Finding.RuleID), mdText(s.Finding.Summary), mdText(s.Reason))
		}
	}
	if len(r.Failed)+len(r.NotEvaluated) > 0 {
		m.line("")
		for _, f := range r.Failed {
			m.linef("> [!WARNING]\n> %s", mdText(f.String()))
		}
		for _, n := range r.NotEvaluated {
			m.linef("- %s", mdText(n.String()))
		}
	}
	if snap.Checks != nil {
		m.line("")
		m.line("### Preflight checks")
		m.line("")
		m.checks(snap)
	}
	m.evidence(snap)
}

// summary is the table: one row per failing place, or one saying nothing was found.
func (m *mdWriter) summary(r *Report, roots []rules.Finding, phase string) {
	m.line("| Execution | Phase | Root cause | Rule | Where |")
	m.line("|---|---|---|---|---|")
	target := mdCell(r.Snapshot.Target.String())
	if len(roots) == 0 {
		what := "no problem found"
		if len(r.Findings) > 0 {
			what = fmt.Sprintf("no failing place; %s below", plural(len(r.Findings), "1 finding", fmt.Sprintf("%d findings", len(r.Findings))))
		}
		m.linef("| %s | %s | %s | — | — |", target, mdCell(phase), what)
		return
	}
	for _, f := range roots {
		m.linef("| %s | %s | %s %s | %s | %s |", target, mdCell(phase), severityIcon(f.Severity), mdCell(f.Summary),
			m.ruleLink(r, f.RuleID), mdCell(strings.TrimPrefix(subjectLine(f.Subject), "at ")))
	}
}

func (m *mdWriter) ruleLink(r *Report, id string) string {
	if info := r.Rule(id); info != nil && info.DocsURL != "" {
		return "[" + mdText(id) + "](" + mdURL(info.DocsURL) + ")"
	}
	return mdText(id)
}

func severityIcon(s rules.Severity) string {
	switch s {
	case rules.Error:
		return "❌"
	case rules.Warning:
		return "⚠️"
	}
	return "ℹ️"
}

func (m *mdWriter) finding(r *Report, f rules.Finding) {
	m.line("")
	m.linef("#### %s %s: %s", severityIcon(f.Severity), mdText(f.RuleID), mdText(f.Summary))
	m.line("")
	where := "`" + string(f.Category) + "/" + f.Cause + "`" // slugs: [a-z0-9-] only
	if loc := subjectLine(f.Subject); loc != "" {
		where = mdText(strings.TrimPrefix(loc, "at ")) + " · " + where
	}
	m.linef("**Where:** %s  ", where)
	rule := "**Rule:** " + m.ruleLink(r, f.RuleID)
	if info := r.Rule(f.RuleID); info != nil {
		rule += " " + mdText(info.Title)
	}
	m.linef("%s (%s)", rule, f.Severity)
	if len(f.Corroborated) > 0 {
		var ids []string
		for _, id := range f.Corroborated {
			ids = append(ids, m.ruleLink(r, id))
		}
		m.line("")
		m.linef("Also matched: %s", strings.Join(ids, ", "))
	}
	if f.Detail != "" {
		m.line("")
		if strings.Contains(strings.TrimSpace(f.Detail), "\n") {
			m.code("text", strings.TrimRight(f.Detail, "\n"), "")
		} else {
			m.line(mdText(f.Detail))
		}
	}
	if len(f.Evidence) > 0 {
		m.line("")
		m.line("**Evidence**")
		m.line("")
		for _, e := range f.Evidence {
			m.linef("- %s", mdText(e))
		}
	}
	if len(f.Fixes) > 0 {
		m.line("")
		m.line("**Fix**")
		m.line("")
		for i, fix := range f.Fixes {
			m.linef("%d. %s", i+1, mdText(fix.Action))
			if len(fix.Commands) > 0 {
				// Inside the list item: the fence is indented as the item's text.
				ind := strings.Repeat(" ", len(fmt.Sprintf("%d. ", i+1)))
				m.code("sh", strings.Join(fix.Commands, "\n"), ind)
			}
		}
	}
}

// evidence folds the failing path (or what has not finished) and the collection records
// into <details>, as the text report prints them.
func (m *mdWriter) evidence(snap *evidence.Snapshot) {
	var tree, coll bytes.Buffer
	t := &textWriter{w: &tree, o: TextOptions{MaxMessageLines: 1 << 30}, k: newKubeIndex(snap)}
	if ex := snap.Execution; ex != nil {
		t.header(ex)
		t.tree(ex)
	}
	t.w = &coll
	t.collection(snap)
	title := "Failing path"
	if snap.Execution == nil || len(snap.Execution.FailurePaths()) == 0 {
		title = "Execution"
	}
	for _, d := range []struct {
		summary string
		text    string
	}{{title, tree.String()}, {"How it was collected", coll.String()}} {
		text := strings.Trim(d.text, "\n")
		if text == "" {
			continue
		}
		m.line("")
		m.line("<details>")
		m.linef("<summary>%s</summary>", d.summary)
		m.line("")
		m.code("text", text, "")
		m.line("")
		m.line("</details>")
	}
}

// code writes a fenced block whose fence is longer than any run of backticks in text, so
// nothing in it can close it; ind indents every line (inside a list item).
func (m *mdWriter) code(lang, text, ind string) {
	text = strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			return '\uFFFD' // control characters (ANSI colours in logs) would garble the block
		}
		return r
	}, strings.ToValidUTF8(strings.ReplaceAll(text, "\r\n", "\n"), "\uFFFD"))
	fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
	m.line(ind + fence + lang)
	for _, l := range strings.Split(text, "\n") {
		m.line(strings.TrimRight(ind+l, " \t"))
	}
	m.line(ind + fence)
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// mdText escapes text for a Markdown paragraph or list item: every character that could
// start markup (emphasis, code, links, HTML, tables, headings) is escaped, and line breaks
// become <br>, so the text stays on its line and reads as it was written.
func mdText(s string) string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '{', '}', '#', '|', '~', '!', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\n':
			b.WriteString("<br>")
		case '\r', '\t':
			b.WriteByte(' ')
		case '-', '+', '=':
			if i == 0 { // would start a list or underline a heading
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteRune('\uFFFD') // control characters (ANSI colours in logs)
				continue
			}
			b.WriteRune(r)
		}
	}
	out := b.String()
	// "1. " or "1) " at the start would make an ordered list.
	if n := len(out) - len(strings.TrimLeft(out, "0123456789")); n > 0 && n < len(out) && (out[n] == '.' || out[n] == ')') {
		out = out[:n] + "\\" + out[n:]
	}
	return out
}

// mdCell is mdText for a table cell.
func mdCell(s string) string { return mdText(s) }

// mdURL keeps a link target from ending early.
func mdURL(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(u)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

package report

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// preflight writes a preflight run's report: a heading with the command, the tally, then per
// layer a table (check, verdict, what, reason, fix), what was checked and how it was
// collected folded. Everything from the spec and the probes is escaped as a diagnosis's
// messages are.
func (m *mdWriter) preflight(r *Report, title string) {
	c := r.Snapshot.Checks
	sp := &c.Spec
	if title != "" {
		m.linef("## %s", mdText(title))
	} else {
		m.linef("## flytedoctor preflight: %s", mdText(sp.Project+"/"+sp.Domain))
	}
	m.line("")
	m.line(mdCode(PreflightCommand(c)))
	m.line("")
	m.checks(r.Snapshot)
	m.evidence(r.Snapshot)
}

// checks is the tally, the run's context, and a table per layer.
func (m *mdWriter) checks(snap *evidence.Snapshot) {
	c := snap.Checks
	sp := &c.Spec
	var tally []string
	for _, p := range tallyParts(c.Results) {
		tally = append(tally, verdictIcon(p.status)+" "+p.text)
	}
	m.linef("**Result:** %s  ", strings.Join(tally, ", "))
	ctx := "**Namespace:** " + mdText(cmp.Or(sp.Namespace, "?"))
	if sp.AdminEndpoint != "" {
		ctx += " · **Flyte Admin:** " + mdText(sp.AdminEndpoint)
		if snap.Admin != nil && snap.Admin.Version != "" {
			ctx += " " + mdText(snap.Admin.Version)
		}
	}
	if sp.Package != "" {
		m.line(ctx + "  ")
		var names []string
		for _, t := range sp.Tasks {
			names = append(names, t.Name)
		}
		m.linef("**Tasks:** %d from %s: %s", len(sp.Tasks), mdText(sp.Package), mdText(strings.Join(names, ", ")))
	} else {
		m.line(ctx)
	}
	if len(sp.Notes) > 0 || len(sp.Skipped) > 0 {
		m.line("")
		for _, n := range sp.Notes {
			m.linef("- note: %s", mdText(n))
		}
		for _, l := range slices.Sorted(maps.Keys(sp.Skipped)) {
			m.linef("- not checked: %s (%s)", mdText(l), mdText(sp.Skipped[l]))
		}
	}
	if c.Stopped != "" {
		m.line("")
		m.linef("> [!WARNING]\n> the run %s before every check had run: the checks it cut short are skipped", mdText(c.Stopped))
	}
	layer := ""
	for _, res := range c.Results {
		if l := layerOf(res.ID); l != layer {
			layer = l
			m.line("")
			m.linef("### %s", mdText(l))
			m.line("")
			m.line("| Check | Verdict | What | Reason | Fix |")
			m.line("|---|---|---|---|---|")
		}
		m.checkRow(res)
	}
	m.specDetails(sp)
}

func (m *mdWriter) checkRow(r evidence.CheckResult) {
	what := mdCell(r.Subject)
	if r.Task != "" {
		what += " · " + plural(strings.Count(r.Task, ", ")+1, "task ", "tasks ") + mdCell(r.Task)
	}
	reason := mdCell(r.Summary)
	if r.Detail != "" {
		reason += "<br>" + mdCell(r.Detail)
	}
	var fix []string
	if r.Fix != "" {
		fix = append(fix, mdCell(r.Fix))
	}
	for _, c := range r.Commands {
		fix = append(fix, mdCode(c))
	}
	if len(fix) == 0 {
		fix = []string{"—"}
	}
	m.linef("| %s %s | %s %s | %s | %s | %s |", mdCell(r.ID), mdCell(r.Title), verdictIcon(r.Status), verdictWord(r.Status),
		what, reason, strings.Join(fix, "<br>"))
}

func verdictIcon(status string) string {
	switch status {
	case evidence.CheckPass:
		return "✅"
	case evidence.CheckWarn:
		return "⚠️"
	case evidence.CheckFail:
		return "❌"
	}
	return "➖"
}

func verdictWord(status string) string {
	switch status {
	case evidence.CheckPass:
		return "passed"
	case evidence.CheckWarn:
		return "warning"
	case evidence.CheckFail:
		return "failed"
	}
	return "skipped"
}

// specDetails folds what was checked: each task's images, resources and security context.
func (m *mdWriter) specDetails(sp *evidence.PreflightSpec) {
	var b bytes.Buffer
	for i, t := range sp.Tasks {
		if i > 0 {
			b.WriteString("\n")
		}
		name := cmp.Or(t.Name, "the task")
		if t.From != "" {
			name += " (" + t.From + ")"
		}
		b.WriteString(name + "\n")
		field := func(k, v string) {
			if v != "" {
				fmt.Fprintf(&b, "  %-18s %s\n", k, v)
			}
		}
		field("images", strings.Join(t.Images, ", "))
		field("platform", t.Platform)
		field("requests", resourceList(t.Requests))
		field("limits", resourceList(t.Limits))
		field("service account", t.ServiceAccount)
		field("iam role", t.IAMRole)
		field("raw output prefix", t.RawOutputPrefix)
		var secrets []string
		for _, s := range t.Secrets {
			secrets = append(secrets, s.String())
		}
		field("secrets", strings.Join(secrets, ", "))
	}
	if b.Len() == 0 {
		return
	}
	m.line("")
	m.line("<details>")
	m.line("<summary>What was checked</summary>")
	m.line("")
	m.code("text", strings.TrimRight(b.String(), "\n"), "")
	m.line("")
	m.line("</details>")
}

// mdCode is s as inline code that reads as written, in a paragraph or a table cell: a fence
// longer than any run of backticks in s (padded where s starts or ends with one), "|"
// escaped because GFM splits a table row into cells before it reads code spans, and line
// breaks and control characters, which a code span cannot carry, as spaces and U+FFFD.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f:
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || (strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.TrimSpace(s) != "") {
		s = " " + s + " "
	}
	return fence + strings.ReplaceAll(s, "|", `\|`) + fence
}

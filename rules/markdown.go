package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Markdown renders the rule table as docs/rules.md: an index by category, then one section
// per rule with its doc, causes, evidence and fixes.
func Markdown(table []*rule.Rule) string {
	var b strings.Builder
	b.WriteString("# flytedoctor rules\n\n")
	b.WriteString("Generated from the rule table (`rules/catalog.go`) by `go test ./rules -run TestRulesDoc -update`; do not edit by hand.\n")
	b.WriteString("`flytedoctor rules list` and `flytedoctor rules explain ID` show the same text.\n\n")
	b.WriteString("| ID | category | causes | severity | title |\n|---|---|---|---|---|\n")
	for _, r := range table {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s |\n", r.ID, strings.ToLower(r.ID), r.Category,
			strings.Join(r.Causes, ", "), r.Severity, r.Title)
	}
	// Docs quote Flyte texts such as USER:<ExceptionType>; Markdown would take those for HTML.
	html := strings.NewReplacer("<", "&lt;", ">", "&gt;")
	for _, r := range table {
		fmt.Fprintf(&b, "\n## %s\n\n", r.ID)
		b.WriteString(html.Replace(Explain(r)))
	}
	return b.String()
}

// Explain is one rule's documentation, as `flytedoctor rules explain` prints it.
func Explain(r *rule.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** (`%s`)\n\n", r.Title, r.Name)
	fmt.Fprintf(&b, "- category: `%s`; causes: %s\n", r.Category, "`"+strings.Join(r.Causes, "`, `")+"`")
	fmt.Fprintf(&b, "- severity: %s", r.Severity)
	if r.Fallback {
		b.WriteString(" (fallback: only where no specific rule matched)")
	}
	b.WriteString("\n")
	if reads := evidenceRead(r); reads != "" {
		fmt.Fprintf(&b, "- reads: %s\n", reads)
	}
	b.WriteString("\n")
	b.WriteString(strings.TrimSpace(dedent(r.Doc)))
	b.WriteString("\n\nFixes:\n\n")
	for _, f := range r.Fixes {
		fmt.Fprintf(&b, "- %s\n", f.Action)
		for _, c := range f.Commands {
			fmt.Fprintf(&b, "  `%s`\n", c)
		}
	}
	return b.String()
}

// dedent joins a raw-string doc's lines into paragraphs, dropping source indentation.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}

// evidenceRead says what the rule reads: "admin evidence", "admin evidence, and kube evidence
// when collected"; "" for a rule that reads only the collection records.
func evidenceRead(r *rule.Rule) string {
	names := func(es []rule.Evidence) string {
		var out []string
		for _, e := range rule.EvidenceLayers {
			if slices.Contains(es, e) {
				out = append(out, string(e))
			}
		}
		return strings.Join(out, ", ")
	}
	req, opt := names(r.Requires), names(r.Reads)
	switch {
	case req != "" && opt != "":
		return req + " evidence, and " + opt + " evidence when collected"
	case opt != "":
		return opt + " evidence when collected"
	case req != "":
		return req + " evidence"
	}
	return ""
}

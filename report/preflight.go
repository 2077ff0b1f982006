package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Preflight results are rendered here, text and JSON, from the snapshot alone.

// WritePreflightText writes a preflight run's results by layer, then the tally: passes on one
// line each, warnings, failures and skips with their reason and fix.
func WritePreflightText(w io.Writer, snap *evidence.Snapshot, o TextOptions) error {
	t := &textWriter{w: w, o: o, s: o.Style}
	c := snap.Checks
	if c == nil {
		t.printf("no preflight results in this snapshot\n")
		return t.err
	}
	sp := c.Spec
	head := t.s.Bold("Preflight "+sp.Project+"/"+sp.Domain) + "  " + t.s.Dim("namespace "+preflightOr(sp.Namespace, "?"))
	t.printf("%s\n", head)
	if sp.Package != "" {
		var names []string
		for _, tk := range sp.Tasks {
			names = append(names, tk.Name)
		}
		t.printf("  %s\n", t.s.Dim(fmt.Sprintf("%d task(s) from %s: %s", len(sp.Tasks), sp.Package, strings.Join(names, ", "))))
	}
	for _, n := range sp.Notes {
		t.printf("  %s\n", t.s.Dim("note: "+n))
	}
	layer := ""
	for _, r := range c.Results {
		if l := layerOf(r.ID); l != layer {
			layer = l
			t.printf("\n%s\n", t.s.Bold(l))
		}
		t.checkResult(r)
	}
	n := map[string]int{}
	for _, r := range c.Results {
		n[r.Status]++
	}
	t.printf("\n%s\n", t.tally(n))
	return t.err
}

func preflightOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// layerOf names a check's layer from its ID's digit (FDP1xx Admin, 2 images, 3 Kubernetes, 4 storage).
func layerOf(id string) string {
	if len(id) > 3 {
		switch id[3] {
		case '1':
			return "Flyte Admin"
		case '2':
			return "Images"
		case '3':
			return "Kubernetes"
		case '4':
			return "Storage"
		}
	}
	return "Other"
}

func (t *textWriter) checkResult(r evidence.CheckResult) {
	var mark string
	switch r.Status {
	case evidence.CheckPass:
		mark = paint(t.s.good, "✓")
	case evidence.CheckWarn:
		mark = t.s.warnText("!")
	case evidence.CheckFail:
		mark = t.s.badText("✗")
	default:
		mark = t.s.Dim("-")
	}
	subject := r.Subject
	if r.Task != "" {
		subject += t.s.Dim(" (" + r.Task + ")")
	}
	line := fmt.Sprintf("  %s [%s] %s: %s", mark, r.ID, r.Title, subject)
	if r.Status == evidence.CheckPass || r.Status == evidence.CheckSkip {
		summary := r.Summary
		if r.Status == evidence.CheckSkip {
			summary = t.s.Dim(summary)
		}
		t.printf("%s — %s\n", line, summary)
		return
	}
	t.printf("%s\n", line)
	t.printf("      %s\n", r.Summary)
	if r.Detail != "" {
		t.printf("      %s\n", t.s.Dim(r.Detail))
	}
	if r.Fix != "" {
		t.printf("      fix: %s\n", r.Fix)
	}
	for _, c := range r.Commands {
		t.printf("        $ %s\n", c)
	}
}

func (t *textWriter) tally(n map[string]int) string {
	parts := []string{fmt.Sprintf("%d passed", n[evidence.CheckPass])}
	if k := n[evidence.CheckWarn]; k > 0 {
		parts = append(parts, t.s.warnText(fmt.Sprintf("%d %s", k, preflightPlural(k, "warning"))))
	}
	if k := n[evidence.CheckFail]; k > 0 {
		parts = append(parts, t.s.badText(fmt.Sprintf("%d failed", k)))
	}
	if k := n[evidence.CheckSkip]; k > 0 {
		parts = append(parts, t.s.Dim(fmt.Sprintf("%d skipped", k)))
	}
	return "preflight: " + strings.Join(parts, ", ")
}

func preflightPlural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// WritePreflightJSON writes the snapshot, checks included, as indented JSON (two spaces, HTML
// characters as they are).
func WritePreflightJSON(w io.Writer, snap *evidence.Snapshot) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(snap)
}

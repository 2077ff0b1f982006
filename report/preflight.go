package report

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// A preflight run's results are a Report like a diagnosis: its snapshot carries Checks and no
// execution, and every renderer shows the checks where a snapshot has them. JSON and YAML
// write it as they write any report (flytedoctor.report/v1).

// NewPreflight is the report of a preflight run's snapshot. No rule judges it: the checks'
// verdicts are in the snapshot.
func NewPreflight(snap *evidence.Snapshot) *Report {
	return &Report{SchemaVersion: SchemaVersion, Result: rules.Result{Findings: []rules.Finding{}}, Rules: []RuleInfo{}, Snapshot: snap}
}

// Preflight reports whether r is a preflight run's: checks, and no execution to diagnose.
func (r *Report) Preflight() bool {
	return r.Snapshot != nil && r.Snapshot.Checks != nil && r.Snapshot.Execution == nil
}

// PreflightCommand is the command line that runs the checks of c again, as far as the spec
// says: the tasks of a package, or what the flags described.
func PreflightCommand(c *evidence.Checks) string {
	sp := &c.Spec
	args := []string{"flytedoctor", "preflight", "-p", sp.Project, "-d", sp.Domain}
	add := func(flag, v string) {
		if v != "" {
			args = append(args, flag, shellWord(v))
		}
	}
	if sp.Package != "" {
		add("--package", sp.Package)
	} else if len(sp.Tasks) == 1 {
		t := sp.Tasks[0]
		for _, img := range t.Images {
			add("--image", img)
		}
		add("--requests", resourceList(t.Requests))
		add("--limits", resourceList(t.Limits))
		if t.ServiceAccount != "default" {
			add("--service-account", t.ServiceAccount)
		}
		add("--iam-role", t.IAMRole)
		add("--raw-output-prefix", t.RawOutputPrefix)
		for _, s := range t.Secrets {
			add("--secret", s.String())
		}
		if t.Platform != "linux/amd64" {
			add("--platform", t.Platform)
		}
	}
	if sp.WriteProbe {
		args = append(args, "--write-probe")
	}
	if sp.AsTaskRole {
		args = append(args, "--as-task-role")
	}
	if len(sp.Skipped) > 0 {
		args = append(args, "--skip", strings.Join(slices.Sorted(maps.Keys(sp.Skipped)), ","))
	}
	return strings.Join(args, " ")
}

func resourceList(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// shellWord quotes v for a POSIX shell when it holds anything but the characters of names,
// references and quantities.
func shellWord(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/=@+%") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// PreflightTally is a run's results in one line: "24 passed, 3 warnings, 4 failed, 3 skipped".
func PreflightTally(results []evidence.CheckResult) string {
	var parts []string
	for _, p := range tallyParts(results) {
		parts = append(parts, p.text)
	}
	return strings.Join(parts, ", ")
}

type tallyPart struct{ status, text string }

// tallyParts counts the results by status; passes always, the others when there are some.
func tallyParts(results []evidence.CheckResult) []tallyPart {
	n := map[string]int{}
	for _, r := range results {
		n[r.Status]++
	}
	parts := []tallyPart{{evidence.CheckPass, fmt.Sprintf("%d passed", n[evidence.CheckPass])}}
	if k := n[evidence.CheckWarn]; k > 0 {
		parts = append(parts, tallyPart{evidence.CheckWarn, fmt.Sprintf("%d %s", k, plural(k, "warning", "warnings"))})
	}
	if k := n[evidence.CheckFail]; k > 0 {
		parts = append(parts, tallyPart{evidence.CheckFail, fmt.Sprintf("%d failed", k)})
	}
	if k := n[evidence.CheckSkip]; k > 0 {
		parts = append(parts, tallyPart{evidence.CheckSkip, fmt.Sprintf("%d skipped", k)})
	}
	return parts
}

// WritePreflightText writes a preflight run's results by layer, then the tally: passes on one
// line each, warnings, failures and skips with their reason and fix. What registries and
// servers said reaches the terminal as text, as in WriteText.
func WritePreflightText(w io.Writer, snap *evidence.Snapshot, o TextOptions) error {
	t := &textWriter{w: &termSafe{w: w, color: o.Style.on}, o: o, s: o.Style}
	c := snap.Checks
	if c == nil {
		t.printf("no preflight results in this snapshot\n")
		return t.err
	}
	sp := c.Spec
	head := t.s.Bold("Preflight "+sp.Project+"/"+sp.Domain) + "  " + t.s.Dim("namespace "+cmp.Or(sp.Namespace, "?"))
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
	t.printf("\n%s\n", t.tally(c.Results))
	return t.err
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

func (t *textWriter) tally(results []evidence.CheckResult) string {
	var parts []string
	for _, p := range tallyParts(results) {
		switch p.status {
		case evidence.CheckWarn:
			p.text = t.s.warnText(p.text)
		case evidence.CheckFail:
			p.text = t.s.badText(p.text)
		case evidence.CheckSkip:
			p.text = t.s.Dim(p.text)
		}
		parts = append(parts, p.text)
	}
	return "preflight: " + strings.Join(parts, ", ")
}

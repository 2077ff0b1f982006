package report

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules"
)

// writeFindings prints the root causes first, then what else was found, then suppressions.
func (t *textWriter) writeFindings(r *Report) {
	roots, rest := r.Split()
	if len(roots) > 0 {
		title := "Root cause"
		if len(roots) > 1 {
			title = fmt.Sprintf("Root causes (%d failing places)", len(roots))
		}
		t.printf("%s\n", t.s.Bold(title))
		for _, f := range roots {
			t.finding(f)
		}
	}
	if len(rest) > 0 {
		if len(roots) > 0 {
			t.printf("\n")
		}
		t.printf("%s\n", t.s.Bold("Also found"))
		for _, f := range rest {
			t.finding(f)
		}
	}
	if len(r.Suppressed) > 0 {
		t.printf("\n%s\n", t.s.Dim("Suppressed"))
		for _, s := range r.Suppressed {
			t.printf("  %s\n", t.s.Dim(fmt.Sprintf("[%s] %s — %s", s.Finding.RuleID, s.Finding.Summary, s.Reason)))
		}
	}
	if len(r.Failed) > 0 {
		t.printf("\n")
		for _, f := range r.Failed {
			t.printf("%s\n", t.s.warnText(f.String()))
		}
	}
	if len(r.NotEvaluated) > 0 {
		t.printf("\n")
		for _, n := range r.NotEvaluated {
			t.printf("%s\n", t.s.Dim(n.String()))
		}
	}
	if len(roots)+len(rest)+len(r.Suppressed)+len(r.Failed)+len(r.NotEvaluated) > 0 {
		t.printf("\n")
	}
}

func (t *textWriter) finding(f rules.Finding) {
	icon := map[rules.Severity]string{rules.Error: t.s.badText("✗"), rules.Warning: t.s.warnText("!"), rules.Info: t.s.Dim("i")}[f.Severity]
	t.printf("  %s [%s] %s\n", icon, f.RuleID, f.Summary)
	ind := "      "
	where := []string{f.Category + "/" + f.Cause}
	if loc := subjectLine(f.Subject); loc != "" {
		where = append([]string{loc}, where...)
	}
	t.printf("%s%s\n", ind, t.s.Dim(strings.Join(where, " · ")))
	if f.PlacesSummary != "" {
		t.printf("%s%s\n", ind, "at "+f.PlacesSummary)
	}
	if f.Detail != "" {
		for _, l := range strings.Split(t.clip(f.Detail), "\n") {
			t.printf("%s%s\n", ind, l)
		}
	}
	for i, fix := range f.Fixes {
		label := "fix: "
		if i > 0 {
			label = "     "
		}
		t.printf("%s%s%s\n", ind, t.s.Bold(label), fix.Action)
		for _, c := range fix.Commands {
			t.printf("%s       %s\n", ind, t.s.Dim("$ ")+c)
		}
	}
}

// subjectLine says where a finding is: node path, attempts, pod, object.
func subjectLine(s rules.Subject) string {
	var parts []string
	if len(s.Path) > 0 {
		parts = append(parts, "at "+strings.Join(s.Path, " › "))
	} else if s.Node != "" {
		parts = append(parts, "at "+s.Node)
	}
	switch len(s.Attempts) {
	case 0:
	case 1:
		parts = append(parts, fmt.Sprintf("attempt %d", s.Attempts[0]))
	default:
		parts = append(parts, fmt.Sprintf("%d attempts", len(s.Attempts)))
	}
	if s.Pod != "" {
		parts = append(parts, "pod "+s.Pod)
	}
	if s.Bucket != "" {
		parts = append(parts, "s3://"+s.Bucket+"/"+s.Key)
	}
	return strings.Join(parts, ", ")
}

package compare

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flytedoctor/flytedoctor/internal/jsonout"
)

// WriteJSON writes the result as indented JSON (schema flytedoctor.diff/v1).
func WriteJSON(w io.Writer, r *Result) error { return jsonout.Write(w, r) }

var whatNames = map[string]string{
	"launch-plan-version": "launch plan version", "launch-plan": "launch plan", "workflow-version": "workflow version",
	"task-version": "version", "image": "image", "resources": "resources", "task": "task",
	"input": "input", "inputs-size": "inputs", "service-account": "service account", "iam-role": "IAM role",
	"cluster": "cluster", "node-pools": "node pools", "raw-output-prefix": "raw output prefix",
	"env": "env", "labels": "labels", "setting": "setting", "kind": "node kind", "cache-status": "cache status",
}

func label(c Change) string {
	name := whatNames[c.What]
	if name == "" {
		name = c.What
	}
	switch c.What {
	case "task-version", "image", "resources":
		return name + " of " + c.Subject
	case "input", "setting", "task":
		return name + " " + c.Subject
	}
	return name
}

// WriteText writes the result for a terminal: the two runs, what changed (B → A), the failing
// node's comparison, and the durations per node.
func WriteText(w io.Writer, r *Result) error {
	var b strings.Builder
	side := func(tag string, i RunInfo) {
		fmt.Fprintf(&b, "%s  %s  %s", tag, i.Execution, i.Phase)
		if !i.CreatedAt.IsZero() {
			fmt.Fprintf(&b, "  created %s", i.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"))
		}
		if i.Duration > 0 {
			fmt.Fprintf(&b, "  ran %s", short(i.Duration.Std()))
		}
		if i.LaunchPlan.Name != "" {
			fmt.Fprintf(&b, "  launch plan %s @ %s", i.LaunchPlan.Name, i.LaunchPlan.Version)
		}
		fmt.Fprintf(&b, "  (%s)\n", i.Source)
	}
	side("A", r.A)
	side("B", r.B)
	b.WriteString("\n")
	if len(r.Changes) == 0 {
		b.WriteString("What changed from B to A: nothing flytedoctor compares\n")
	} else {
		b.WriteString("What changed from B to A\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, c := range r.Changes {
			fmt.Fprintf(tw, "  %s\t%s\t→ %s\n", label(c), c.B, c.A)
		}
		tw.Flush()
	}
	if len(r.Same) > 0 {
		fmt.Fprintf(&b, "  same: %s\n", strings.Join(r.Same, ", "))
	}
	for _, u := range r.Unknown {
		fmt.Fprintf(&b, "  not compared: %s\n", u)
	}
	if n := r.FailingNode; n != nil {
		b.WriteString("\nFailing node\n")
		task := ""
		if n.Task != "" {
			task = "  task " + n.Task
		}
		fmt.Fprintf(&b, "  %s%s\n", strings.Join(n.Path, " › "), task)
		if n.DivergesAt != "" {
			fmt.Fprintf(&b, "  first divergence at %s:\n", n.DivergesAt)
			for _, c := range n.Changes {
				fmt.Fprintf(&b, "    %s  %s → %s\n", label(c), c.B, c.A)
			}
		}
		fmt.Fprintf(&b, "  B  %s\n  A  %s\n", nodeText(n.B), nodeText(n.A))
		if n.Note != "" {
			fmt.Fprintf(&b, "  %s\n", n.Note)
		}
	}
	if len(r.Durations) > 0 {
		b.WriteString("\nDurations\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  node\tB\tA\t\n")
		for _, d := range r.Durations {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", d.Node, phaseDur(d.BPhase, d.B.Std()), phaseDur(d.APhase, d.A.Std()), delta(d))
		}
		tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func nodeText(n NodeRun) string {
	if !n.Found {
		return "not read"
	}
	s := n.Phase
	if n.Duration > 0 {
		s += " in " + short(n.Duration.Std())
	}
	if n.Attempts > 0 {
		s += ", " + plural(n.Attempts, "attempt")
	}
	if n.Error != "" {
		s += ": " + n.Error
	}
	return s
}

func phaseDur(phase string, d time.Duration) string {
	if phase == "" {
		return "-"
	}
	if phase == "SUCCEEDED" {
		return short(d)
	}
	return short(d) + " " + phase
}

func delta(d NodeDurations) string {
	if d.APhase == "" || d.BPhase == "" || d.B == 0 {
		return ""
	}
	diff := d.A.Std() - d.B.Std()
	if diff < 0 {
		return "-" + short(-diff)
	}
	return "+" + short(diff)
}

// short is a duration to the second (to the millisecond under a second).
func short(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

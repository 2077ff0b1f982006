package report

import (
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// htmlPreflight is a preflight run's page part: the tally, the command that runs it again and
// a table per layer, as the markdown format has them.
type htmlPreflight struct {
	ID      string // the section's element id
	Command string
	Tally   string
	Layers  []htmlCheckLayer
	Stopped string
}

type htmlCheckLayer struct {
	Name   string
	Checks []htmlCheck
}

type htmlCheck struct {
	ID, Title, Verdict, Cls string
	What, Summary, Detail   string
	Fix                     string
	Commands                []string
}

func newHTMLPreflight(id string, c *evidence.Checks) *htmlPreflight {
	p := &htmlPreflight{ID: id + "-checks", Command: PreflightCommand(c), Tally: PreflightTally(c.Results), Stopped: c.Stopped}
	for _, r := range c.Results {
		l := layerOf(r.ID)
		if len(p.Layers) == 0 || p.Layers[len(p.Layers)-1].Name != l {
			p.Layers = append(p.Layers, htmlCheckLayer{Name: l})
		}
		what := r.Subject
		if r.Task != "" {
			what += " · " + plural(strings.Count(r.Task, ", ")+1, "task ", "tasks ") + r.Task
		}
		layer := &p.Layers[len(p.Layers)-1]
		layer.Checks = append(layer.Checks, htmlCheck{ID: r.ID, Title: r.Title, Verdict: verdictWord(r.Status), Cls: checkClass(r.Status),
			What: what, Summary: r.Summary, Detail: r.Detail, Fix: r.Fix, Commands: r.Commands})
	}
	return p
}

// checkClass is the colour class of a verdict, the one findings and phases use.
func checkClass(status string) string {
	switch status {
	case evidence.CheckPass:
		return "ok"
	case evidence.CheckWarn:
		return "warn"
	case evidence.CheckFail:
		return "bad"
	}
	return "off"
}

// preflightVerdict is the page's badge: the worst verdict of the run.
func preflightVerdict(results []evidence.CheckResult) (word, class string) {
	word, class = "PASSED", "ok"
	for _, r := range results {
		switch r.Status {
		case evidence.CheckFail:
			return "FAILED", "bad"
		case evidence.CheckWarn:
			word, class = "WARNINGS", "warn"
		}
	}
	return word, class
}

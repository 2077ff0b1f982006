package report

import "github.com/fatih/color"

// Style colours text. The zero value prints plain text; colour is decided once by the caller
// (TTY, --no-color, NO_COLOR) and never by reading fatih/color's package globals.
type Style struct {
	bad, warn, good, dim, bold *color.Color
	on                         bool
}

// NewStyle returns a Style that colours when enabled is true.
func NewStyle(enabled bool) Style {
	mk := func(a ...color.Attribute) *color.Color {
		c := color.New(a...)
		if enabled {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return Style{
		bad: mk(color.FgRed, color.Bold), warn: mk(color.FgYellow), good: mk(color.FgGreen),
		dim: mk(color.Faint), bold: mk(color.Bold), on: enabled,
	}
}

func paint(c *color.Color, s string) string {
	if c == nil {
		return s
	}
	return c.Sprint(s)
}

// Phase colours a Flyte phase name by what it means.
func (s Style) Phase(p string) string {
	switch p {
	case "FAILED", "FAILING", "TIMED_OUT", "RETRYABLE_FAILED":
		return paint(s.bad, p)
	case "SUCCEEDED", "RECOVERED":
		return paint(s.good, p)
	case "ABORTED", "ABORTING", "SKIPPED":
		return paint(s.dim, p)
	default:
		return paint(s.warn, p)
	}
}

// KubePhase colours a Kubernetes pod phase (Pending, Running, Succeeded, Failed, Unknown).
func (s Style) KubePhase(p string) string {
	switch p {
	case "Failed":
		return paint(s.bad, p)
	case "Succeeded":
		return paint(s.good, p)
	case "Pending", "Unknown":
		return paint(s.warn, p)
	}
	return p
}

func (s Style) badText(t string) string { return paint(s.bad, t) }

func (s Style) warnText(t string) string { return paint(s.warn, t) }

// Dim de-emphasises secondary text.
func (s Style) Dim(t string) string { return paint(s.dim, t) }

// Bold emphasises headings.
func (s Style) Bold(t string) string { return paint(s.bold, t) }

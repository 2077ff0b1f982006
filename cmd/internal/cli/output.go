package cli

import (
	"github.com/spf13/cobra"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/report"
)

// outputHelp is the -o flag's help, from the renderers' registry.
func outputHelp() string {
	return "output format: " + joinOr(report.Names())
}

func joinOr(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	s := names[0]
	for _, n := range names[1 : len(names)-1] {
		s += ", " + n
	}
	return s + " or " + names[len(names)-1]
}

// lookupFormat is the renderer of -o, or the usage error that lists the formats there are.
func lookupFormat(name string) (report.Renderer, error) {
	r, err := report.Lookup(name)
	if err != nil {
		return nil, usagef("unknown output format %s: %v", userinput.Quote(name), err)
	}
	return r, nil
}

// completeFormats completes -o from the registry, with each format's description.
func completeFormats(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, r := range report.Renderers() {
		if len(toComplete) <= len(r.Name()) && r.Name()[:len(toComplete)] == toComplete {
			out = append(out, cobra.CompletionWithDesc(r.Name(), r.Description()))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// writeReports renders the reports to stdout in the chosen format; colour only in text
// on a terminal that wants it.
func writeReports(f *Factory, r report.Renderer, noColor bool, reports []*report.Report, titles []string) error {
	o := report.Options{Titles: titles}
	if r.Name() == "text" {
		o.Style = report.NewStyle(f.IO.ColorEnabled(noColor, f.Getenv))
	}
	return r.Render(f.IO.Out, reports, o)
}

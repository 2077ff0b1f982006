package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
	"github.com/flytedoctor/flytedoctor/report"
	"github.com/flytedoctor/flytedoctor/rules"
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
func writeReports(f *Factory, r report.Renderer, noColor bool, reports []*report.Report, o report.Options) error {
	if r.Name() == "text" {
		o.Style = report.NewStyle(f.IO.ColorEnabled(noColor, f.Getenv))
	}
	return r.Render(f.IO.Out, reports, o)
}

// checkOutputFile makes sure the report can be written at path before anything is sent: a
// directory, or a place where no file can be created, is a usage error.
func checkOutputFile(path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usagef("-f %s is a directory: name a file", userinput.ClipPath(path))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return cannotWrite(path, err)
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return nil
}

func cannotWrite(path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path it names is a temporary file's
	}
	return usagef("cannot write the report to %s: %v: pick a writable path for -f", userinput.ClipPath(path), err)
}

// writeFileAtomic writes what render writes to path through a temporary file in the same
// directory, synced before it is renamed over path: a reader never sees half a report, and
// a failure leaves what was at path as it was. A new file is 0644; a replaced one keeps its
// mode.
func writeFileAtomic(path string, render func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return cannotWrite(path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if err := render(bw); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	for _, step := range []func() error{bw.Flush, func() error { return tmp.Chmod(mode) }, tmp.Sync, tmp.Close} {
		if err := step(); err != nil {
			return cannotWrite(path, err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return cannotWrite(path, err)
	}
	// The rename is durable once the directory is synced; where it cannot be, the file is
	// there all the same.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// outputReports writes the reports to stdout, or with -f to the file, and then one line per
// report on stdout: what was found and where the report went.
func outputReports(f *Factory, format, file string, noColor bool, reports []*report.Report, titles []string) error {
	return outputReportsWith(f, format, file, noColor, reports, report.Options{Titles: titles})
}

// outputReportsWith is outputReports with the renderers' options (colour aside).
func outputReportsWith(f *Factory, format, file string, noColor bool, reports []*report.Report, o report.Options) error {
	r, err := lookupFormat(format)
	if err != nil {
		return err
	}
	if file == "" {
		return writeReports(f, r, noColor, reports, o)
	}
	if err := writeFileAtomic(file, func(w io.Writer) error {
		return r.Render(w, reports, o)
	}); err != nil {
		return err
	}
	for _, rep := range reports {
		if _, err := fmt.Fprintf(f.IO.Out, "%s → %s (%s)\n", summaryLine(rep), userinput.ClipPath(file), r.Name()); err != nil {
			return err
		}
	}
	return nil
}

// summaryLine is a report in one line: the execution, its phase, and its first root cause
// (or first finding) with how many more there are; a preflight run's, its tally.
func summaryLine(r *report.Report) string {
	snap := r.Snapshot
	if r.Preflight() {
		return fmt.Sprintf("preflight %s/%s  %s", snap.Checks.Spec.Project, snap.Checks.Spec.Domain, report.PreflightTally(snap.Checks.Results))
	}
	phase := "NOT READ"
	if snap.Execution != nil {
		phase = snap.Execution.Phase
	}
	roots, rest := r.Split()
	what := "no problem found"
	switch {
	case len(roots) > 0:
		what = fmt.Sprintf("%s [%s] %s", fd(roots[0]), roots[0].RuleID, oneline.Clip(roots[0].Summary, 140))
		if len(roots) > 1 {
			what += fmt.Sprintf(" (+%d more failing places)", len(roots)-1)
		}
	case len(rest) > 0:
		what = fmt.Sprintf("%s [%s] %s", fd(rest[0]), rest[0].RuleID, oneline.Clip(rest[0].Summary, 140))
		if len(rest) > 1 {
			what += fmt.Sprintf(" (+%d more findings)", len(rest)-1)
		}
	}
	return fmt.Sprintf("%s  %s  %s", snap.Target, phase, what)
}

func fd(f rules.Finding) string {
	switch f.Severity {
	case rules.Error:
		return "✗"
	case rules.Warning:
		return "!"
	}
	return "i"
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/flytedoctor/flytedoctor/bundle"
	"github.com/flytedoctor/flytedoctor/cmd/internal/execarg"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/plan"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
	"github.com/flytedoctor/flytedoctor/report"
	"github.com/flytedoctor/flytedoctor/rules"
)

// analyzeOptions are the flags of `flytedoctor analyze`.
type analyzeOptions struct {
	ConfigPath string
	Output     string
	OutputFile string
	FailOn     string
	NoColor    bool
	Disable    []string
	Execution  string
}

// maxUnplacedLines bounds the list of files analyze did not use.
const maxUnplacedLines = 20

func newCmdAnalyze(f *Factory) *cobra.Command {
	o := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze BUNDLE|DIR|FILE",
		Short: "Diagnose from a support bundle or raw dumps, offline",
		Long: `analyze runs the rules on a support bundle (flytedoctor bundle) and prints the same report as
the live run, in every -o. It reads nothing but what it is given and sends nothing.

It also reads a directory (or a tar.gz) of the dumps people already have:
  kubectl get pods,events,nodes,resourcequotas -n NAMESPACE -o json (or -o yaml)
  Admin's HTTP API: /api/v1/executions/P/D/NAME, /api/v1/node_executions/P/D/NAME,
    /api/v1/task_executions/P/D/NAME/NODE, /api/v1/data/executions/P/D/NAME (snake or camel case)
  flytectl get execution -p P -d D NAME -o json (or -o yaml)
  flytedoctor -o json (a report or a snapshot)
and says which files it could not place. Archives and directories are read with limits:
links, devices, names that leave the directory, absurd sizes and decompression bombs are refused.`,
		Example: `  flytedoctor analyze flytedoctor-flytesnacks-development-a4t8tqkzr9xw2bnl5mfd.tar.gz
  flytedoctor analyze -o markdown -f report.md case-1234.tar.gz
  flytedoctor analyze ./dumps/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("analyze takes one bundle, directory or file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := lookupFormat(o.Output); err != nil {
				return err
			}
			if err := checkOutputFile(o.OutputFile); err != nil {
				return err
			}
			if !slices.Contains(failOnLevels, o.FailOn) {
				return usagef("unknown --fail-on level %s: use one of %v", userinput.Quote(o.FailOn), failOnLevels)
			}
			return runAnalyze(cmd.Context(), f, o, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.ConfigPath, "config", "c", "", "flytectl config whose flytedoctor section (disable, severity) applies (default $FLYTECTL_CONFIG, then ~/.flyte/config.yaml)")
	fl.StringVarP(&o.Output, "output", "o", "text", outputHelp())
	fl.StringVarP(&o.OutputFile, "output-file", "f", "", "write the report to this file (atomically) and a one-line summary to stdout")
	fl.StringVar(&o.FailOn, "fail-on", "error", "lowest severity that makes the exit code non-zero: error, warning or never")
	fl.BoolVar(&o.NoColor, "no-color", false, "no colour in text output (also NO_COLOR=1)")
	fl.StringArrayVar(&o.Disable, "disable", nil, "turn a rule off: ID or ID=reason (repeatable); the report shows the reason")
	fl.StringVar(&o.Execution, "execution", "", "in dumps of several executions, the one to analyze (PROJECT/DOMAIN/NAME)")
	_ = cmd.RegisterFlagCompletionFunc("output", completeFormats)
	_ = cmd.RegisterFlagCompletionFunc("output-file", completeFiles)
	_ = cmd.RegisterFlagCompletionFunc("config", completeFiles)
	_ = cmd.RegisterFlagCompletionFunc("fail-on", fixedValues(failOnLevels))
	_ = cmd.RegisterFlagCompletionFunc("disable", completeRuleIDs)
	return cmd
}

func runAnalyze(ctx context.Context, f *Factory, o *analyzeOptions, path string) error {
	home, _ := f.HomeDir()
	cpath, explicit := flyteconfig.Discover(o.ConfigPath, f.Getenv, home)
	cfg, err := flyteconfig.Load(cpath, explicit)
	if err != nil {
		return &usageError{err}
	}
	rcfg, err := plan.RuleConfig(cfg, o.Disable)
	if err != nil {
		return &usageError{err}
	}
	var target evidence.ExecutionID
	if o.Execution != "" {
		if target, err = execarg.Parse(o.Execution, "", ""); err != nil {
			return &usageError{err}
		}
	}
	snap, _, err := offlineSnapshot(ctx, f, path, target)
	if err != nil {
		return err
	}
	rep := report.New(snap, rules.Run(snap, rules.Table(), rcfg))
	if err := outputReports(f, o.Output, o.OutputFile, o.NoColor, []*report.Report{rep}, nil); err != nil {
		return err
	}
	if code := codeFor(&rep.Result, o.FailOn); code != ExitOK {
		return &exitError{code}
	}
	return nil
}

// offlineSnapshot is the snapshot of a bundle, a directory or a file: the one it holds, or
// one collected from its dumps; and the source as read, for callers that need more of it.
// What it could not use is said on stderr.
func offlineSnapshot(ctx context.Context, f *Factory, path string, target evidence.ExecutionID) (*evidence.Snapshot, *bundle.Source, error) {
	src, err := bundle.Open(path, bundle.DefaultReadLimits())
	if err != nil {
		var re *bundle.ReadError
		if errors.As(err, &re) {
			return nil, nil, &usageError{err}
		}
		return nil, nil, err
	}
	snap, err := sourceSnapshot(ctx, f, path, src, target)
	return snap, src, err
}

func sourceSnapshot(ctx context.Context, f *Factory, path string, src *bundle.Source, target evidence.ExecutionID) (*evidence.Snapshot, error) {
	c, ok, err := bundle.DecodeSnapshot(src)
	if err == nil && (!ok || target != (evidence.ExecutionID{}) && c.Snapshot.Target != target) {
		c, err = bundle.Decode(src) // dumps, or another execution than the snapshot's
	}
	if err != nil {
		return nil, usagef("cannot analyze %s: %v", userinput.ClipPath(path), err)
	}
	snap := c.Snapshot
	if snap == nil || target != (evidence.ExecutionID{}) && snap.Target != target {
		if c.Admin.Len() == 0 {
			if m := c.Manifest; m != nil && m.Error != "" {
				return nil, fmt.Errorf("cannot analyze %s: the bundle holds no snapshot: when it was written, %s", userinput.ClipPath(path), oneline.Clip(m.Error, 300))
			}
			return nil, usagef("cannot analyze %s: it holds no snapshot and no Admin execution (see flytedoctor analyze --help for the dumps it reads)", userinput.ClipPath(path))
		}
		now := src.Newest
		if c.Manifest != nil {
			now = c.Manifest.CreatedAt
		}
		if now.IsZero() {
			now = f.Now()
		}
		snap, err = bundle.Replay(ctx, c, bundle.ReplayOptions{Target: target, Now: now.UTC(), Version: f.Version, Source: userinput.ClipPath(path)})
		if err != nil {
			return nil, usagef("cannot analyze %s: %v", userinput.ClipPath(path), err)
		}
		fmt.Fprintf(f.IO.ErrOut, "flytedoctor: %s has no snapshot: collected %s from %d Admin messages and %d Kubernetes objects, as of %s\n",
			userinput.ClipPath(path), snap.Target, c.Admin.Len(), c.Kube.Len(), now.UTC().Format(time.RFC3339))
	}
	for _, w := range c.Warnings {
		fmt.Fprintf(f.IO.ErrOut, "flytedoctor: %s\n", w)
	}
	for i, u := range c.Unplaced {
		if i == maxUnplacedLines {
			fmt.Fprintf(f.IO.ErrOut, "flytedoctor: … and %d more files not used\n", len(c.Unplaced)-i)
			break
		}
		fmt.Fprintf(f.IO.ErrOut, "flytedoctor: not used: %s: %s\n", userinput.ClipPath(u.File), u.Why)
	}
	return snap, nil
}

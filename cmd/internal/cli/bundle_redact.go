package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/flytedoctor/flytedoctor/bundle"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

func newCmdBundleRedact(f *Factory) *cobra.Command {
	var out, configPath string
	var patterns []string
	cmd := &cobra.Command{
		Use:   "redact BUNDLE -f OUT.tar.gz",
		Short: "Redact an existing bundle again, with this build's rules and more patterns",
		Long: `redact rewrites a bundle with every member, member name and archive inside it redacted again:
by this build's rules, flytedoctor.redact in the config and --redact. The manifest keeps what
it said, with a note; redactions.json lists the earlier removals and the new ones.`,
		Example: `  flytedoctor bundle redact case.tar.gz -f case-shared.tar.gz --redact 'customer-[a-z]+'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("bundle redact takes one bundle, got %d arguments", len(args))
			}
			if out == "" {
				return usagef("bundle redact needs -f OUT.tar.gz: where to write the redacted bundle")
			}
			return checkOutputFile(out)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			home, _ := f.HomeDir()
			cpath, explicit := flyteconfig.Discover(configPath, f.Getenv, home)
			cfg, err := flyteconfig.Load(cpath, explicit)
			if err != nil {
				return &usageError{err}
			}
			red, err := newRedactor(f, cfg, patterns)
			if err != nil {
				return err
			}
			lim := bundle.DefaultReadLimits()
			lim.KeepAll = true
			src, err := bundle.Open(args[0], lim)
			if err != nil {
				var re *bundle.ReadError
				if errors.As(err, &re) {
					return &usageError{err}
				}
				return err
			}
			if !src.Archive {
				return usagef("%s is not a bundle (a tar.gz): bundle redact rewrites bundles", userinput.ClipPath(args[0]))
			}
			note := fmt.Sprintf("redacted again by flytedoctor %s at %s with %d more patterns", f.Version, f.Now().UTC().Format(time.RFC3339), len(patterns)+len(cfg.Doctor.Redact))
			b, err := bundle.Reredact(src, red, lim, bundleRoot(out, evidence.ExecutionID{}), f.Now(), note)
			if err != nil {
				var re *bundle.ReadError
				if errors.As(err, &re) {
					re.Path = args[0]
					return &usageError{re}
				}
				return err
			}
			if out == "-" {
				err = b.Write(f.IO.Out)
			} else {
				err = bundle.WriteFile(out, b)
			}
			if err != nil {
				return err
			}
			summarize(f, out, b)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output-file", "f", "", "where to write the redacted bundle (- for stdout)")
	cmd.Flags().StringArrayVar(&patterns, "redact", nil, "also remove what this regular expression matches (repeatable; with a group, the first group only)")
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "flytectl config whose flytedoctor.redact patterns apply")
	_ = cmd.RegisterFlagCompletionFunc("output-file", completeFiles)
	_ = cmd.RegisterFlagCompletionFunc("config", completeFiles)
	return cmd
}

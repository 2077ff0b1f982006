package cli

import (
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/rules"
)

// shells are the shells `flytedoctor completion` writes a script for, with how to install it.
var shells = []struct {
	name, install string
	write         func(root *cobra.Command, w io.Writer, descriptions bool) error
}{
	{"bash", `Bash (needs the bash-completion package):
    source <(flytedoctor completion bash)                        # this shell
    echo 'source <(flytedoctor completion bash)' >> ~/.bashrc    # every new shell`,
		func(root *cobra.Command, w io.Writer, desc bool) error { return root.GenBashCompletionV2(w, desc) }},
	{"zsh", `Zsh (with compinit; add "autoload -U compinit; compinit" to ~/.zshrc if it is not there):
    source <(flytedoctor completion zsh)                         # this shell
    flytedoctor completion zsh > "${fpath[1]}/_flytedoctor"      # every new shell`,
		func(root *cobra.Command, w io.Writer, desc bool) error {
			if desc {
				return root.GenZshCompletion(w)
			}
			return root.GenZshCompletionNoDesc(w)
		}},
	{"fish", `Fish:
    flytedoctor completion fish | source                                          # this shell
    flytedoctor completion fish > ~/.config/fish/completions/flytedoctor.fish     # every new shell`,
		func(root *cobra.Command, w io.Writer, desc bool) error { return root.GenFishCompletion(w, desc) }},
	{"powershell", `PowerShell:
    flytedoctor completion powershell | Out-String | Invoke-Expression    # this shell
    # every new shell: add that line to the file $PROFILE names`,
		func(root *cobra.Command, w io.Writer, desc bool) error {
			if desc {
				return root.GenPowerShellCompletionWithDesc(w)
			}
			return root.GenPowerShellCompletion(w)
		}},
}

func newCmdCompletion(f *Factory) *cobra.Command {
	var noDesc bool
	var names, install []string
	for _, s := range shells {
		names = append(names, s.name)
		install = append(install, s.install)
	}
	cmd := &cobra.Command{
		Use:   "completion " + strings.Join(names, "|"),
		Short: "Print the shell completion script for " + strings.Join(names, ", "),
		Long: `completion prints a script that makes the shell complete flytedoctor's commands and flags,
rule IDs (--disable, rules explain), demo scenarios, --output, --skip, --fail-on and --context
values, and file names for --config and --kubeconfig. Completion runs flytedoctor itself with
the line typed so far; it reads nothing but the kubeconfig and sends nothing.

` + strings.Join(install, "\n\n"),
		ValidArgs:             names,
		DisableFlagsInUseLine: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(names, args[0]) {
				return usagef("completion takes one shell: %s", strings.Join(names, ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			i := slices.Index(names, args[0])
			return shells[i].write(cmd.Root(), f.IO.Out, !noDesc)
		},
	}
	cmd.Flags().BoolVar(&noDesc, "no-descriptions", false, "complete values without their descriptions")
	return cmd
}

// registerDiagnoseCompletions completes the values of the diagnose flags from the tables that
// validate them, so a value the shell offers is one flytedoctor accepts.
func registerDiagnoseCompletions(f *Factory, cmd *cobra.Command) {
	// It fails only for a flag that does not exist; the completion tests cover every one.
	reg := func(flag string, fn cobra.CompletionFunc) { _ = cmd.RegisterFlagCompletionFunc(flag, fn) }
	reg("output", completeFormats)
	reg("output-file", completeFiles)
	reg("fail-on", fixedValues(failOnLevels))
	reg("skip", completeSkip)
	reg("disable", completeRuleIDs)
	reg("config", completeFiles)
	reg("kubeconfig", completeFiles)
	reg("context", func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		kubeconfig, _ := cmd.Flags().GetString("kubeconfig")
		ctxs, err := kube.Contexts(kube.ClientOptions{Kubeconfig: kubeconfig, Getenv: f.Getenv})
		if err != nil {
			cobra.CompDebugln("--context: "+err.Error(), false)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, c := range ctxs {
			if strings.HasPrefix(c.Name, toComplete) {
				out = append(out, cobra.CompletionWithDesc(c.Name, "cluster "+c.Cluster))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

func fixedValues(values []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, v := range values {
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func completeFiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveDefault
}

// completeSkip completes the collector after the last comma of a --skip list, leaving out
// the ones already named there or in an earlier --skip.
func completeSkip(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	given, _ := cmd.Flags().GetStringSlice("skip")
	head, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		head, last = toComplete[:i+1], toComplete[i+1:]
		given = append(given, strings.Split(head, ",")...)
	}
	var out []cobra.Completion
	for _, c := range skippable {
		if strings.HasPrefix(c, last) && !slices.Contains(given, c) {
			out = append(out, head+c)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeRuleIDs offers the rule IDs with their titles, leaving out rules already disabled.
// After "ID=" comes a free-text reason: nothing to offer.
func completeRuleIDs(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if strings.Contains(toComplete, "=") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var given []string
	if cmd.Flags().Lookup("disable") != nil {
		ds, _ := cmd.Flags().GetStringArray("disable")
		for _, d := range ds {
			id, _, _ := strings.Cut(d, "=")
			given = append(given, strings.ToUpper(strings.TrimSpace(id)))
		}
	}
	return ruleIDs(toComplete, given), cobra.ShellCompDirectiveNoFileComp
}

func ruleIDs(toComplete string, except []string) []cobra.Completion {
	prefix := strings.ToUpper(toComplete)
	var out []cobra.Completion
	for _, r := range rules.Table() {
		if strings.HasPrefix(r.ID, prefix) && !slices.Contains(except, r.ID) {
			out = append(out, cobra.CompletionWithDesc(r.ID, r.Title))
		}
	}
	return out
}

// completeScenarios offers the demo scenarios not yet named on the line.
func completeScenarios(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, e := range demo.Index() {
		if strings.HasPrefix(e.Name, toComplete) && !slices.Contains(args, e.Name) {
			out = append(out, cobra.CompletionWithDesc(e.Name, e.Title))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// suggestCommand turns `flytedoctor complte bash` into "unknown command" with cobra's
// did-you-mean, instead of reading "complte" as an execution with one argument too many.
func suggestCommand(cmd *cobra.Command, args []string) error {
	if cmd.HasParent() || len(args) < 2 {
		return nil
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return usagef("unknown command %.40q; did you mean %q?", args[0], s[0])
	}
	return nil
}

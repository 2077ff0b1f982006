package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/rules"
)

func newCmdRules(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List and explain the rules that classify failures",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List every rule: ID, category, causes, severity, title",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tCATEGORY\tCAUSES\tSEVERITY\tTITLE")
			for _, r := range rules.Table() {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Category, strings.Join(r.Causes, ","), r.Severity, r.Title)
			}
			return w.Flush()
		},
	}
	explain := &cobra.Command{
		Use:     "explain ID",
		Short:   "Explain one rule: why it fires, what it means in Flyte, how to fix it",
		Example: "  flytedoctor rules explain FD1001",
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return ruleIDs(toComplete, nil), cobra.ShellCompDirectiveNoFileComp
		},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("rules explain takes one rule ID, e.g. FD1001")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			id := strings.ToUpper(strings.TrimSpace(args[0]))
			r := rules.Lookup(rules.Table(), id)
			if r == nil {
				return usagef("unknown rule %s: flytedoctor rules list shows them", userinput.Quote(args[0]))
			}
			_, err := fmt.Fprintf(f.IO.Out, "%s  %s\n%s\ndocs: %s\n", r.ID, r.Title, rules.Explain(r), r.DocsURL())
			return err
		},
	}
	cmd.AddCommand(list, explain)
	return cmd
}

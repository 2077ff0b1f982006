package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/flytedoctor/flytedoctor/bundle"
	"github.com/flytedoctor/flytedoctor/cmd/internal/execarg"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/compare"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
)

// diffFormats are diff's -o values.
var diffFormats = []string{"text", "json"}

func newCmdDiff(f *Factory) *cobra.Command {
	o := &diagnoseOptions{}
	cmd := &cobra.Command{
		Use:   "diff A [B]",
		Short: "What changed between a failed execution and one that worked",
		Long: `diff compares execution A (the one to explain) with B and prints what differs that can explain
the failure: launch plan, workflow and task versions, images, resources, inputs (values, or URIs
and sizes), service account and IAM role, cluster and node pools, the failing node's first
divergence, and durations per node. -o json writes it as flytedoctor.diff/v1.

A and B are executions (read live, as diagnose reads them) or bundles and dump directories
(read offline, as analyze reads them). Without B, B is the newest execution of A's launch plan
that succeeded before A (ListExecutions with eq(launch_plan.name,...)+eq(phase,SUCCEEDED),
newest first), read from Flyte Admin.`,
		Example: `  flytedoctor diff flytesnacks/development/a4t8tqkzr9xw2bnl5mfd
  flytedoctor diff failed.tar.gz worked.tar.gz
  flytedoctor diff -o json a4t8tqkzr9xw2bnl5mfd x9z8tqkzr9xw2bnl5aaa`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("diff takes one or two executions or bundles, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.insecureSet = cmd.Flags().Changed("insecure")
			if !slices.Contains(diffFormats, o.Output) {
				return usagef("unknown output format %s for diff: use text or json", userinput.Quote(o.Output))
			}
			if err := o.validate(); err != nil {
				return err
			}
			cfg, err := o.loadConfig(f)
			if err != nil {
				return err
			}
			return runDiff(cmd.Context(), f, o, cfg, args)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().Lookup("output").Usage = "output format: text or json"
	cmd.Flags().Lookup("output-file").Usage = "write the comparison to this file (atomically)"
	for _, n := range []string{"fail-on", "disable"} {
		_ = cmd.Flags().MarkHidden(n) // a comparison judges nothing
	}
	registerDiagnoseCompletions(f, cmd)
	_ = cmd.RegisterFlagCompletionFunc("output", fixedValues(diffFormats))
	return cmd
}

func runDiff(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config, args []string) error {
	a, err := diffRun(ctx, f, o, cfg, args[0])
	if err != nil {
		return err
	}
	var b compare.Run
	if len(args) == 2 {
		if b, err = diffRun(ctx, f, o, cfg, args[1]); err != nil {
			return err
		}
	} else {
		id, err := lastSucceeded(ctx, f, o, cfg, a)
		if err != nil {
			return err
		}
		if b, err = liveRun(ctx, f, o, cfg, id.String()); err != nil {
			return err
		}
		b.Source = "live: the newest run of the launch plan that succeeded before A"
	}
	res := compare.Compare(a, b)
	write := func(w io.Writer) error {
		if o.Output == "json" {
			return compare.WriteJSON(w, res)
		}
		return compare.WriteText(w, res)
	}
	if o.OutputFile != "" {
		if err := writeFileAtomic(o.OutputFile, write); err != nil {
			return err
		}
		_, err := fmt.Fprintf(f.IO.Out, "%s vs %s: %d changes → %s\n", res.A.Execution, res.B.Execution, len(res.Changes), userinput.ClipPath(o.OutputFile))
		return err
	}
	return write(f.IO.Out)
}

// diffRun reads one side: a bundle or dump when arg names a file or directory, else the
// execution, live.
func diffRun(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config, arg string) (compare.Run, error) {
	if _, err := os.Stat(arg); err == nil {
		return offlineRun(ctx, f, arg)
	}
	return liveRun(ctx, f, o, cfg, arg)
}

func offlineRun(ctx context.Context, f *Factory, path string) (compare.Run, error) {
	snap, src, err := offlineSnapshot(ctx, f, path, evidence.ExecutionID{})
	if err != nil {
		return compare.Run{}, err
	}
	c, err := bundle.Decode(src) // afresh: the snapshot may have been made from a partial decode
	if err != nil {
		return compare.Run{}, usagef("cannot read %s: %v", userinput.ClipPath(path), err)
	}
	return runOf(c, snap, userinput.ClipPath(path)), nil
}

func runOf(c *bundle.Contents, snap *evidence.Snapshot, source string) compare.Run {
	ex, data := c.RootMessages(snap.Target)
	return compare.Run{Source: source, Snapshot: snap, Execution: ex, Data: data, TaskDefs: c.Admin.TaskDefs,
		Attempts: c.Attempts(), Pods: c.Kube.Pods, Nodes: c.Kube.Nodes}
}

// liveRun collects the execution as bundle does: the snapshot, the raw Admin responses, the
// attempts of nodes that succeeded, task definitions and the nodes the pods ran on.
func liveRun(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config, arg string) (compare.Run, error) {
	lo := *o
	lo.Execution = arg
	run := &bundleRun{}
	deadline := time.Now().Add(o.Timeout)
	snap, _, err := diagnose(ctx, recordingFactory(f, run), &lo, cfg)
	if run.close != nil {
		defer run.close()
	}
	if err != nil {
		return compare.Run{}, err
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	bundleAttempts(ctx, f, run, snap)
	bundleTasks(ctx, f, run, snap)
	var objs bundle.KubeObjects
	if run.kube != nil {
		bundleNodes(ctx, f, run)
		objs = run.kube.Objects()
	}
	return runOf(bundle.ContentsOf(run.admin.Calls(), objs), snap, "live"), nil
}

// executionLister is the Admin call that finds B.
type executionLister interface {
	ListExecutions(ctx context.Context, in *admin.ResourceListRequest, opts ...grpc.CallOption) (*admin.ExecutionList, error)
}

// LastSucceededRequest asks Admin for the newest execution of a launch plan that succeeded
// before a time (zero: at any time): flyteadmin's filter grammar, joined on launch_plan,
// sorted by created_at, newest first, one row.
func LastSucceededRequest(project, domain string, lp evidence.Identifier, before time.Time) *admin.ResourceListRequest {
	filters := fmt.Sprintf("eq(launch_plan.project,%s)+eq(launch_plan.domain,%s)+eq(launch_plan.name,%s)+eq(phase,SUCCEEDED)",
		cmp.Or(lp.Project, project), cmp.Or(lp.Domain, domain), lp.Name)
	if !before.IsZero() {
		filters += "+lt(execution_created_at," + before.UTC().Format(time.RFC3339Nano) + ")"
	}
	return &admin.ResourceListRequest{
		Id:      &admin.NamedEntityIdentifier{Project: project, Domain: domain},
		Filters: filters,
		SortBy:  &admin.Sort{Key: "created_at", Direction: admin.Sort_DESCENDING},
		Limit:   1,
	}
}

// lastSucceeded finds B for A: the newest execution of A's launch plan that succeeded before A.
func lastSucceeded(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config, a compare.Run) (evidence.ExecutionID, error) {
	ex := a.Snapshot.Execution
	if ex == nil || ex.LaunchPlan.Name == "" {
		return evidence.ExecutionID{}, usagef("%s names no launch plan: name B to compare with", a.Snapshot.Target)
	}
	if err := checkEndpoint(o, cfg); err != nil {
		return evidence.ExecutionID{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	sess, err := f.ConnectAdmin(ctx, cfg, "flytedoctor/"+f.Version)
	if err != nil {
		return evidence.ExecutionID{}, fmt.Errorf("finding the last run of %s that succeeded needs Flyte Admin: %w (or name B)", ex.LaunchPlan.Name, err)
	}
	defer sess.Close()
	lister, ok := sess.API.(executionLister)
	if !ok {
		return evidence.ExecutionID{}, errors.New("this Flyte Admin client cannot list executions: name B to compare with")
	}
	req := LastSucceededRequest(ex.ID.Project, ex.ID.Domain, ex.LaunchPlan, ex.CreatedAt)
	l, err := lister.ListExecutions(ctx, req)
	if err != nil {
		return evidence.ExecutionID{}, fmt.Errorf("cannot list the executions of %s on %s: %w", ex.LaunchPlan.Name, sess.Endpoint, err)
	}
	if len(l.GetExecutions()) == 0 {
		return evidence.ExecutionID{}, fmt.Errorf("no execution of launch plan %s succeeded before %s (ListExecutions %s): name B to compare with",
			ex.LaunchPlan.Name, ex.ID, req.GetFilters())
	}
	id := l.GetExecutions()[0].GetId()
	return execarg.Parse(id.GetProject()+"/"+id.GetDomain()+"/"+id.GetName(), "", "")
}

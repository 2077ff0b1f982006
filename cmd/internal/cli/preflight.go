package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/flytedoctor/flytedoctor/checks"
	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/report"
)

// preflightLayers are what --skip takes for preflight.
var preflightLayers = []string{string(checks.Admin), string(checks.Registry), string(checks.Kube), string(checks.Storage)}

// preflightOptions are the flags of `flytedoctor preflight`.
type preflightOptions struct {
	conn     diagnoseOptions // config, Admin, Kubernetes and AWS flags, shared with diagnose
	Images   []string
	Requests string
	Limits   string
	SA       string
	IAMRole  string
	Prefix   string
	Secrets  []string
	Platform string
	Package  string
	List     bool
}

func newCmdPreflight(f *Factory) *cobra.Command {
	o := &preflightOptions{}
	cmd := &cobra.Command{
		Use:   "preflight",
		Short: "Check, before registering, what would make tasks fail",
		Long: `preflight checks what a task is about to run against the real systems, in seconds: Flyte
Admin (reachable, version, project and domain), the images (valid, pinned, in their registry
with the credentials the kubelet would use, for the task's platform), Kubernetes (namespace,
LimitRange, ResourceQuota, a node that fits, the service account, its pull secrets and IAM role,
the requested secrets by name only) and storage (the raw output prefix readable, writable with
--write-probe, as the task's role with --as-task-role).

Describe the task with flags, or pass the archive pyflyte package writes (--package): every task
in it is checked with its own image, resources and secrets and its launch plan's service account,
IAM role and raw output prefix.

A check that cannot run (no kubeconfig, no credentials, forbidden) is skipped with its reason,
never passed. Exit codes: 0 all passed, 2 usage error, 3 a check failed, 4 warnings only
(with --fail-on warning). --list shows the checks.`,
		Example: `  flytedoctor preflight -p flytesnacks -d development --image ghcr.io/acme/trainer:v1.2.3 \
      --requests cpu=2,memory=4Gi,nvidia.com/gpu=1 --service-account trainer \
      --iam-role arn:aws:iam::123456789012:role/flyte-trainer --raw-output-prefix s3://acme-flyte/data \
      --secret aws-creds/token --platform linux/amd64
  flytedoctor preflight -p flytesnacks -d development --package flyte-package.tgz --write-probe`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.List {
				return listChecks(f)
			}
			o.conn.insecureSet = cmd.Flags().Changed("insecure")
			if err := o.validate(); err != nil {
				return err
			}
			cfg, err := o.conn.loadConfig(f)
			if err != nil {
				return err
			}
			return runPreflight(cmd.Context(), f, o, cfg)
		},
	}
	c := &o.conn
	fl := cmd.Flags()
	fl.StringVarP(&c.ConfigPath, "config", "c", "", "flytectl config file (default $FLYTECTL_CONFIG, then ~/.flyte/config.yaml)")
	fl.StringVar(&c.AdminEndpoint, "admin-endpoint", "", "Flyte Admin endpoint, overrides admin.endpoint")
	fl.BoolVar(&c.Insecure, "insecure", false, "plaintext gRPC to Flyte Admin, overrides admin.insecure")
	fl.StringVarP(&c.Project, "project", "p", "", "project the tasks are registered in (default: config's project)")
	fl.StringVarP(&c.Domain, "domain", "d", "", "domain the tasks are registered in (default: config's domain)")
	fl.StringVarP(&c.Output, "output", "o", "text", outputHelp())
	fl.StringVarP(&c.OutputFile, "output-file", "f", "", "write the report to this file (atomically) and a one-line summary to stdout")
	fl.StringVar(&c.FailOn, "fail-on", "error", "lowest severity that makes the exit code non-zero: error, warning or never")
	fl.DurationVar(&c.Timeout, "timeout", 2*time.Minute, "time limit for the whole run")
	fl.IntVar(&c.MaxConcurrency, "max-concurrency", checks.DefaultConcurrency, "most probes in flight at once")
	fl.BoolVar(&c.NoColor, "no-color", false, "no colour in text output (also NO_COLOR=1)")
	fl.StringSliceVar(&c.Skip, "skip", nil, "layers not to check: admin, registry, kube, s3 (comma-separated)")
	fl.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, then ~/.kube/config, then in-cluster)")
	fl.StringVar(&c.KubeContext, "context", "", "kubeconfig context (default: the current context)")
	fl.StringVarP(&c.Namespace, "namespace", "n", "", "namespace the pods run in (default: --namespace-template)")
	fl.StringVar(&c.NamespaceTemplate, "namespace-template", kube.DefaultNamespaceTemplate, "flyteadmin namespace_mapping template")
	fl.StringVar(&c.AWSProfile, "aws-profile", "", "AWS shared-config profile for the storage probes")
	fl.StringVar(&c.AWSRegion, "aws-region", "", "AWS region for the storage probes")
	fl.StringVar(&c.S3Endpoint, "s3-endpoint", "", "S3 endpoint for MinIO-style storage (default: storage.connection.endpoint, AWS_ENDPOINT_URL_S3)")
	fl.BoolVar(&c.WriteProbe, "write-probe", false, "also write and delete an empty marker under the raw output prefix")
	fl.BoolVar(&c.AsTaskRole, "as-task-role", false, "probe storage as the task's IAM role (STS AssumeRole)")

	fl.StringArrayVar(&o.Images, "image", nil, "image the task runs (repeatable)")
	fl.StringVar(&o.Requests, "requests", "", "resource requests, e.g. cpu=2,memory=4Gi,nvidia.com/gpu=1")
	fl.StringVar(&o.Limits, "limits", "", "resource limits, same form as --requests (default: the requests, as Flyte does)")
	fl.StringVar(&o.SA, "service-account", "", "Kubernetes service account the pods run as (default: default; overrides a package's launch plans)")
	fl.StringVar(&o.IAMRole, "iam-role", "", "IAM role ARN the task runs as (overrides a package's launch plans)")
	fl.StringVar(&o.Prefix, "raw-output-prefix", "", "raw output prefix, e.g. s3://bucket/data (overrides a package's launch plans)")
	fl.StringArrayVar(&o.Secrets, "secret", nil, "secret the task requests, GROUP/KEY (repeatable)")
	fl.StringVar(&o.Platform, "platform", "", "os/arch the pods run on (default: the task's architecture, else linux/amd64)")
	fl.BoolVar(&o.List, "list", false, "list the checks and exit")
	fl.StringVar(&o.Package, "package", "", "the archive pyflyte package writes (flyte-package.tgz): check every task in it")

	reg := func(flag string, fn cobra.CompletionFunc) { _ = cmd.RegisterFlagCompletionFunc(flag, fn) }
	reg("output", completeFormats)
	reg("output-file", completeFiles)
	reg("fail-on", fixedValues(failOnLevels))
	reg("skip", fixedValues(preflightLayers))
	reg("config", completeFiles)
	reg("kubeconfig", completeFiles)
	reg("package", completeFiles)
	reg("platform", fixedValues([]string{"linux/amd64", "linux/arm64"}))
	return cmd
}

// validate rejects flag values that cannot work, before anything is read or sent.
func (o *preflightOptions) validate() error {
	c := &o.conn
	if _, err := lookupFormat(c.Output); err != nil {
		return err
	}
	if err := checkOutputFile(c.OutputFile); err != nil {
		return err
	}
	switch {
	case !slices.Contains(failOnLevels, c.FailOn):
		return usagef("unknown --fail-on level %s: use one of %v", userinput.Quote(c.FailOn), failOnLevels)
	case c.Timeout <= 0:
		return usagef("--timeout must be positive, got %s", c.Timeout)
	case c.MaxConcurrency < 1:
		return usagef("--max-concurrency must be at least 1, got %d", c.MaxConcurrency)
	}
	for _, s := range c.Skip {
		if !slices.Contains(preflightLayers, s) {
			return usagef("unknown layer %s in --skip: use %v", userinput.Quote(s), preflightLayers)
		}
	}
	if err := kube.CheckNamespaceFlags(c.Namespace, c.NamespaceTemplate); err != nil {
		return &usageError{err}
	}
	if o.Package != "" {
		for _, x := range []struct {
			flag string
			set  bool
		}{{"--image", len(o.Images) > 0}, {"--requests", o.Requests != ""}, {"--limits", o.Limits != ""}, {"--secret", len(o.Secrets) > 0}} {
			if x.set {
				return usagef("%s and --package do not go together: the package says what each task runs", x.flag)
			}
		}
	}
	for _, img := range o.Images {
		if err := checks.ValidImage(img); err != nil {
			return usagef("--image %s %v", userinput.Quote(img), err)
		}
	}
	if _, err := checks.ParseResources(o.Requests); err != nil {
		return usagef("--requests: %v", err)
	}
	if _, err := checks.ParseResources(o.Limits); err != nil {
		return usagef("--limits: %v", err)
	}
	if o.SA != "" && len(validation.IsDNS1123Subdomain(o.SA)) > 0 {
		return usagef("--service-account %s is not a service account name (lower-case letters, digits, '-' and '.')", userinput.Quote(o.SA))
	}
	if o.IAMRole != "" && !checks.ValidRoleARN(o.IAMRole) {
		return usagef("--iam-role %s is not an IAM role ARN: use arn:aws:iam::123456789012:role/NAME", userinput.Quote(o.IAMRole))
	}
	if o.Prefix != "" {
		scheme, rest, ok := strings.Cut(o.Prefix, "://")
		if !ok || scheme == "" || rest == "" || strings.HasPrefix(rest, "/") {
			return usagef("--raw-output-prefix %s is not a storage URI: use s3://bucket/prefix", userinput.Quote(o.Prefix))
		}
	}
	for _, s := range o.Secrets {
		if _, err := parseSecret(s); err != nil {
			return usagef("--secret %s %v", userinput.Quote(s), err)
		}
	}
	if o.Platform != "" {
		if _, err := checks.ParsePlatform(o.Platform); err != nil {
			return usagef("--platform %s: %v", userinput.Quote(o.Platform), err)
		}
	}
	return nil
}

// parseSecret reads GROUP[/KEY]; the group is the Kubernetes Secret's name.
func parseSecret(s string) (evidence.SecretRef, error) {
	g, k, _ := strings.Cut(s, "/")
	if g == "" || len(validation.IsDNS1123Subdomain(g)) > 0 {
		return evidence.SecretRef{}, errors.New("is not GROUP/KEY with GROUP a Kubernetes Secret name (lower-case letters, digits, '-' and '.')")
	}
	if k != "" && len(validation.IsConfigMapKey(k)) > 0 {
		return evidence.SecretRef{}, errors.New("has a KEY that is not a Secret key (letters, digits, '-', '_' and '.')")
	}
	return evidence.SecretRef{Group: g, Key: k}, nil
}

// spec is what is about to run, from the package or the flags.
func (o *preflightOptions) spec(project, domain, namespace string) (*evidence.PreflightSpec, error) {
	sp := &evidence.PreflightSpec{Project: project, Domain: domain, Namespace: namespace,
		WriteProbe: o.conn.WriteProbe, AsTaskRole: o.conn.AsTaskRole}
	if o.Package != "" {
		fh, err := os.Open(o.Package)
		if err != nil {
			return nil, usagef("--package %s cannot be read: %v", userinput.ClipPath(o.Package), errors.Unwrap(err))
		}
		defer fh.Close()
		pkg, err := checks.ReadPackage(fh)
		if err != nil {
			return nil, usagef("--package %s %v", userinput.ClipPath(o.Package), err)
		}
		sp.Package = filepath.Base(o.Package)
		sp.Tasks, sp.Notes = pkg.TaskSpecs(checks.Overrides{ServiceAccount: o.SA, IAMRole: o.IAMRole, RawOutputPrefix: o.Prefix, Platform: o.Platform})
		if len(sp.Tasks) == 0 {
			return nil, usagef("--package %s has no task that runs a container: nothing to check", userinput.ClipPath(o.Package))
		}
		return sp, nil
	}
	req, _ := checks.ParseResources(o.Requests)
	lim, _ := checks.ParseResources(o.Limits)
	t := evidence.TaskSpec{
		Images: o.Images, Platform: cmp.Or(o.Platform, checks.DefaultPlatform),
		ServiceAccount: cmp.Or(o.SA, checks.DefaultServiceAccount), IAMRole: o.IAMRole,
		RawOutputPrefix: o.Prefix, From: "flags",
	}
	if len(req) > 0 {
		t.Requests = req
	}
	if len(lim) > 0 {
		t.Limits = lim
	}
	for _, s := range o.Secrets {
		ref, _ := parseSecret(s)
		t.Secrets = append(t.Secrets, ref)
	}
	sp.Tasks = []evidence.TaskSpec{t}
	return sp, nil
}

func runPreflight(ctx context.Context, f *Factory, o *preflightOptions, cfg *flyteconfig.Config) error {
	c := &o.conn
	project, domain := cmp.Or(c.Project, cfg.Project), cmp.Or(c.Domain, cfg.Domain)
	if project == "" || domain == "" {
		return usagef("no project or domain: pass -p PROJECT -d DOMAIN (or set project and domain in the config)")
	}
	for _, x := range [][2]string{{"project", project}, {"domain", domain}} {
		if len(validation.IsDNS1123Label(x[1])) > 0 {
			return usagef("%s %s is not a Flyte %s name (lower-case letters, digits and '-')", x[0], userinput.Quote(x[1]), x[0])
		}
	}
	ns, _, err := kube.ResolveNamespace(&evidence.Execution{ID: evidence.ExecutionID{Project: project, Domain: domain}}, c.Namespace, c.NamespaceTemplate)
	if err != nil {
		return &usageError{err}
	}
	spec, err := o.spec(project, domain, ns)
	if err != nil {
		return err
	}
	spec.Skipped = map[string]string{}
	for _, s := range c.Skip {
		spec.Skipped[s] = "--skip " + s
	}
	if len(spec.Skipped) == 0 {
		spec.Skipped = nil
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.Timeout, fmt.Errorf("timed out after --timeout %s", c.Timeout))
	defer cancel()

	env := &checks.Env{MaxConcurrency: c.MaxConcurrency, Now: f.Now, UserAgent: "flytedoctor/" + f.Version, WriteProbe: c.WriteProbe}
	// Admin: dialing sends nothing; a configuration that cannot work is a usage error.
	if !slices.Contains(c.Skip, string(checks.Admin)) {
		if cfg.Admin.Endpoint == "" {
			env.AdminSkip = "no Flyte Admin endpoint: set admin.endpoint in the config or pass --admin-endpoint"
		} else {
			if err := checkEndpoint(c, cfg); err != nil {
				return err
			}
			spec.AdminEndpoint = cfg.Admin.Endpoint
			sess, err := f.ConnectAdmin(ctx, cfg, "flytedoctor/"+f.Version)
			if err != nil {
				return err
			}
			defer sess.Close()
			api, ok := sess.API.(checks.AdminAPI)
			if !ok {
				return errors.New("the Flyte Admin client cannot list projects or domains")
			}
			env.Admin, env.Explain = api, sess.Explain
		}
	}
	if !slices.Contains(c.Skip, string(checks.Kube)) {
		client, meta, _, err := f.KubeClients(kube.ClientOptions{
			Kubeconfig: c.Kubeconfig, Context: c.KubeContext, UserAgent: "flytedoctor/" + f.Version,
			QPS: kube.DefaultQPS, Burst: kube.DefaultBurst, Timeout: 30 * time.Second, Getenv: f.Getenv,
			Stdin: f.IO.In, StdinTerminal: f.IO.InTTY, Stderr: f.IO.ErrOut,
		})
		var ie *kube.InputError
		switch {
		case errors.As(err, &ie):
			return &usageError{err}
		case err != nil:
			env.KubeSkip = fmt.Sprintf("no Kubernetes access (%v); pass --kubeconfig/--context or --skip kube", err)
		default:
			env.Kube, env.KubeMeta = client, meta
		}
	}
	env.Storage = storageFor(f, c, cfg)

	progress := newProgress(f)
	progress.Printf("running preflight checks…")
	res := checks.Run(ctx, env, checks.Table(), checks.Probes(), spec)
	progress.Done()
	snap := &evidence.Snapshot{
		SchemaVersion: evidence.SchemaVersion,
		CollectedAt:   f.Now().UTC(),
		Tool:          evidence.Tool{Name: "flytedoctor", Version: f.Version},
		Target:        evidence.ExecutionID{Project: project, Domain: domain},
		Checks:        res,
		Collection:    checks.Records(res),
	}
	if spec.AdminEndpoint != "" {
		snap.Admin = &evidence.AdminInfo{Endpoint: spec.AdminEndpoint, Version: checks.AdminVersion(res)}
	}
	if err := renderPreflight(f, c.Output, c.OutputFile, c.NoColor, snap, report.Options{WarningsFail: c.FailOn == "warning"}); err != nil {
		return err
	}
	code := preflightCode(res.Results, c.FailOn)
	if res.Stopped != "" && code != ExitErrors {
		// Checks the stop cut short are skipped: a run that did not finish has not passed.
		fmt.Fprintf(f.IO.ErrOut, "flytedoctor: preflight %s before every check had run; raise --timeout or check what did not answer\n", res.Stopped)
		code = ExitFailure
	}
	if code != ExitOK {
		return &exitError{code}
	}
	return nil
}

// storageFor builds the S3 clients for a role once per run; credentials may come from a
// credential_process, which should not run again for every prefix.
func storageFor(f *Factory, c *diagnoseOptions, cfg *flyteconfig.Config) func(ctx context.Context, role string) (*s3.Clients, error) {
	type built struct {
		cl  *s3.Clients
		err error
	}
	var mu sync.Mutex
	cache := map[string]*built{}
	return func(ctx context.Context, role string) (*s3.Clients, error) {
		mu.Lock()
		defer mu.Unlock()
		if b := cache[role]; b != nil {
			return b.cl, b.err
		}
		cl, err := f.StorageClients(ctx, s3.ClientOptions{
			Profile: c.AWSProfile, Region: c.AWSRegion, Endpoint: c.S3Endpoint,
			Connection:     s3.ConnectionFromStorage(cfg.Storage),
			AssumeTaskRole: c.AsTaskRole, AsTaskRole: role, Getenv: f.Getenv,
			Stdin: f.IO.In, StdinTerminal: f.IO.InTTY, Stderr: f.IO.ErrOut,
		})
		cache[role] = &built{cl, err}
		return cl, err
	}
}

// preflightCode is the exit code of a run's results under --fail-on; skips count for nothing.
func preflightCode(results []evidence.CheckResult, failOn string) int {
	n := checks.Counts(results)
	switch {
	case failOn == "never":
		return ExitOK
	case n[evidence.CheckFail] > 0:
		return ExitErrors
	case n[evidence.CheckWarn] > 0 && failOn == "warning":
		return ExitWarnings
	}
	return ExitOK
}

// renderPreflight writes a preflight run's report in the -o format, to stdout or to -f, as
// diagnose writes its reports.
func renderPreflight(f *Factory, output, file string, noColor bool, snap *evidence.Snapshot, o report.Options) error {
	return outputReportsWith(f, output, file, noColor, []*report.Report{report.NewPreflight(snap)}, o)
}

// listChecks prints the check table: ID, layer and title.
func listChecks(f *Factory) error {
	for _, c := range checks.Table() {
		if _, err := fmt.Fprintf(f.IO.Out, "%-7s %-12s %s\n", c.ID, c.Layer.Title(), c.Title); err != nil {
			return err
		}
	}
	return nil
}

// withDemoPreflight adds --preflight to the demo command: the recorded preflight instead of
// the scenarios.
func withDemoPreflight(f *Factory, cmd *cobra.Command) *cobra.Command {
	var on bool
	cmd.Flags().BoolVar(&on, "preflight", false, "show a recorded preflight of a pyflyte package, judged again by the checks")
	cmd.Example += "\n  flytedoctor demo --preflight"
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if !on {
			return run(c, args)
		}
		output, _ := c.Flags().GetString("output")
		file, _ := c.Flags().GetString("output-file")
		noColor, _ := c.Flags().GetBool("no-color")
		if _, err := lookupFormat(output); err != nil {
			return err
		}
		if len(args) > 0 {
			return usagef("demo --preflight takes no scenario, got %s", userinput.Quote(strings.Join(args, " ")))
		}
		if err := checkOutputFile(file); err != nil {
			return err
		}
		return runDemoPreflight(f, output, file, noColor)
	}
	return cmd
}

// runDemoPreflight shows the embedded recording of a preflight run, its probes judged again by
// today's verdicts: passes, warnings, failures and skips without a cluster.
func runDemoPreflight(f *Factory, output, file string, noColor bool) error {
	snap, err := demo.PreflightSnapshot()
	if err != nil {
		return err
	}
	snap.Checks.Results = checks.Evaluate(checks.Table(), &snap.Checks.Spec, snap.Checks.Probes)
	title := fmt.Sprintf("demo: preflight of %s (recorded %s)", snap.Checks.Spec.Package, snap.CollectedAt.Format("2006-01-02"))
	return renderPreflight(f, output, file, noColor, snap, report.Options{Titles: []string{title}})
}

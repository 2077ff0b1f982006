package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/flytedoctor/flytedoctor/cmd/internal/execarg"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/plan"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/deadline"
	"github.com/flytedoctor/flytedoctor/report"
	"github.com/flytedoctor/flytedoctor/rules"
)

var failOnLevels = []string{"error", "warning", "never"}
var skippable = []string{kube.Name, s3.Name}

// diagnoseOptions are the flags of `flytedoctor [diagnose] EXECUTION`.
type diagnoseOptions struct {
	ConfigPath     string
	AdminEndpoint  string
	Insecure       bool
	insecureSet    bool
	Project        string
	Domain         string
	Output         string
	OutputFile     string
	FailOn         string
	Timeout        time.Duration
	MaxConcurrency int
	PageSize       uint32
	NoColor        bool
	Execution      string

	Skip              []string
	Kubeconfig        string
	KubeContext       string
	Namespace         string
	NamespaceTemplate string
	Logs              bool
	LogLines          int64
	AWSProfile        string
	AWSRegion         string
	S3Endpoint        string
	WriteProbe        bool
	AsTaskRole        bool
	Disable           []string
}

func (o *diagnoseOptions) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&o.ConfigPath, "config", "c", "", "flytectl config file (default $FLYTECTL_CONFIG, then ~/.flyte/config.yaml)")
	fl.StringVar(&o.AdminEndpoint, "admin-endpoint", "", "Flyte Admin endpoint, overrides admin.endpoint (dns:///host:port, https://host, host:port)")
	fl.BoolVar(&o.Insecure, "insecure", false, "plaintext gRPC to Flyte Admin, overrides admin.insecure")
	fl.StringVarP(&o.Project, "project", "p", "", "project of a bare execution NAME (default: config's project)")
	fl.StringVarP(&o.Domain, "domain", "d", "", "domain of a bare execution NAME (default: config's domain)")
	fl.StringVarP(&o.Output, "output", "o", "text", outputHelp())
	fl.StringVarP(&o.OutputFile, "output-file", "f", "", "write the report to this file (atomically) and a one-line summary to stdout")
	fl.StringVar(&o.FailOn, "fail-on", "error", "lowest severity that makes the exit code non-zero: error, warning or never")
	fl.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "time limit for the whole run")
	fl.IntVar(&o.MaxConcurrency, "max-concurrency", flyteadmin.DefaultMaxConcurrency, "most Flyte Admin calls in flight at once")
	fl.Uint32Var(&o.PageSize, "page-size", flyteadmin.DefaultPageSize, "rows per Flyte Admin list call")
	fl.BoolVar(&o.NoColor, "no-color", false, "no colour in text output (also NO_COLOR=1)")
	fl.StringSliceVar(&o.Skip, "skip", nil, "collectors to skip: kube, s3 (comma-separated)")

	fl.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, then ~/.kube/config, then in-cluster)")
	fl.StringVar(&o.KubeContext, "context", "", "kubeconfig context (default: the current context)")
	fl.StringVarP(&o.Namespace, "namespace", "n", "", "namespace of the execution's pods (default: Admin's, else --namespace-template)")
	fl.StringVar(&o.NamespaceTemplate, "namespace-template", kube.DefaultNamespaceTemplate, "flyteadmin namespace_mapping template, used when Admin does not say")
	fl.BoolVar(&o.Logs, "logs", false, "collect a tail of failed containers' logs")
	fl.Int64Var(&o.LogLines, "log-lines", kube.DefaultLogLines, "log lines per failed container with --logs")

	fl.StringVar(&o.AWSProfile, "aws-profile", "", "AWS shared-config profile for the storage probes (default: the SDK's chain)")
	fl.StringVar(&o.AWSRegion, "aws-region", "", "AWS region for the storage probes")
	fl.StringVar(&o.S3Endpoint, "s3-endpoint", "", "S3 endpoint for MinIO-style storage (default: storage.connection.endpoint, AWS_ENDPOINT_URL_S3)")
	fl.BoolVar(&o.WriteProbe, "write-probe", false, "also write and delete an empty marker under the raw output prefix")
	fl.BoolVar(&o.AsTaskRole, "as-task-role", false, "probe storage as the execution's IAM role (STS AssumeRole)")
	fl.StringArrayVar(&o.Disable, "disable", nil, "turn a rule off: ID or ID=reason (repeatable); the report shows the reason")
}

func newCmdDiagnose(f *Factory, use string) *cobra.Command {
	o := &diagnoseOptions{}
	cmd := &cobra.Command{
		Use:   use,
		Short: "Show why a Flyte execution failed",
		Example: `  # An execution in the config's default project and domain
  flytedoctor a4t8tqkzr9xw2bnl5mfd

  # Fully qualified, or straight from the console or a flyte:// URL
  flytedoctor flytesnacks/development/a4t8tqkzr9xw2bnl5mfd
  flytedoctor https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/a4t8tqkzr9xw2bnl5mfd

  # The evidence as JSON, against a local sandbox without TLS
  flytedoctor --admin-endpoint localhost:30080 --insecure -o json flytesnacks/development/a4t8tqkzr9xw2bnl5mfd`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := suggestCommand(cmd, args); err != nil {
				return err
			}
			if len(args) > 1 {
				return usagef("expected one execution, got %d arguments; accepted forms: %s", len(args), execarg.Forms)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				if cmd.HasParent() || cmd.Flags().NFlag() > 0 {
					return usagef("no execution given: pass %s", execarg.Forms)
				}
				return cmd.Help()
			}
			o.Execution = args[0]
			o.insecureSet = cmd.Flags().Changed("insecure")
			if err := o.validate(); err != nil {
				return err
			}
			cfg, err := o.loadConfig(f)
			if err != nil {
				return err
			}
			return runDiagnose(cmd.Context(), f, o, cfg)
		},
	}
	o.addFlags(cmd)
	registerDiagnoseCompletions(f, cmd)
	return cmd
}

func (o *diagnoseOptions) validate() error {
	if _, err := lookupFormat(o.Output); err != nil {
		return err
	}
	if err := checkOutputFile(o.OutputFile); err != nil {
		return err
	}
	switch {
	case !slices.Contains(failOnLevels, o.FailOn):
		return usagef("unknown --fail-on level %s: use one of %v", userinput.Quote(o.FailOn), failOnLevels)
	case o.Timeout <= 0:
		return usagef("--timeout must be positive, got %s", o.Timeout)
	case o.MaxConcurrency < 1:
		return usagef("--max-concurrency must be at least 1, got %d", o.MaxConcurrency)
	case o.PageSize < 1:
		return usagef("--page-size must be at least 1, got %d", o.PageSize)
	case o.LogLines < 1:
		return usagef("--log-lines must be at least 1, got %d", o.LogLines)
	}
	for _, c := range o.Skip {
		if !slices.Contains(skippable, c) {
			return usagef("unknown collector %s in --skip: use %v", userinput.Quote(c), skippable)
		}
	}
	if err := kube.CheckNamespaceFlags(o.Namespace, o.NamespaceTemplate); err != nil {
		return &usageError{err}
	}
	return nil
}

// loadConfig finds and reads the flytectl config and applies flag overrides.
func (o *diagnoseOptions) loadConfig(f *Factory) (*flyteconfig.Config, error) {
	home, _ := f.HomeDir()
	path, explicit := flyteconfig.Discover(o.ConfigPath, f.Getenv, home)
	cfg, err := flyteconfig.Load(path, explicit)
	if err != nil {
		return nil, &usageError{err}
	}
	if o.AdminEndpoint != "" {
		cfg.Admin.Endpoint = o.AdminEndpoint
	}
	if o.insecureSet {
		cfg.Admin.Insecure = o.Insecure
	}
	return cfg, nil
}

func runDiagnose(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config) error {
	snap, rcfg, err := diagnose(ctx, f, o, cfg)
	if err != nil {
		return err
	}
	res := rules.Run(snap, rules.Table(), rcfg)
	if err := render(f, o, report.New(snap, res)); err != nil {
		return err
	}
	if code := codeFor(res, o.FailOn); code != ExitOK {
		return &exitError{code}
	}
	return nil
}

// diagnose checks what the user named, connects and collects: the snapshot, and the rules'
// configuration to judge it with.
func diagnose(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config) (*evidence.Snapshot, rules.Config, error) {
	project, domain := cmp.Or(o.Project, cfg.Project), cmp.Or(o.Domain, cfg.Domain)
	id, err := execarg.Parse(o.Execution, project, domain)
	if err != nil {
		return nil, rules.Config{}, &usageError{err}
	}
	// Everything the user named is checked before anything is sent.
	if err := checkEndpoint(o, cfg); err != nil {
		return nil, rules.Config{}, err
	}
	kc, err := prepareKube(f, o)
	if err != nil {
		return nil, rules.Config{}, err
	}
	rcfg, err := plan.RuleConfig(cfg, o.Disable)
	if err != nil {
		return nil, rcfg, &usageError{err}
	}
	// The deadline and main's interrupt carry their cause, for the report to name.
	ctx, cancel := context.WithTimeoutCause(ctx, o.Timeout, plan.TimedOut(o.Timeout))
	defer cancel()

	progress := newProgress(f)
	progress.Printf("connecting to Flyte Admin…")
	sess, err := f.ConnectAdmin(ctx, cfg, "flytedoctor/"+f.Version)
	if err != nil {
		progress.Done()
		if stop := stopOf(ctx); stop != nil && stop.Code == evidence.CodeInterrupted {
			return nil, rcfg, stop.NothingWhile("connecting to Flyte Admin at " + cfg.Admin.Endpoint)
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, rcfg, gaveUp(o, "connecting to Flyte Admin at "+cfg.Admin.Endpoint, nil)
		}
		return nil, rcfg, err
	}
	defer sess.Close()

	progress.Printf("reading %s from %s…", id, sess.Endpoint)
	snap, err := collect(ctx, f, o, cfg, sess, id, kc)
	progress.Done()
	if err != nil {
		return nil, rcfg, readFailed(ctx, o, cfg, sess, id, err)
	}
	return snap, rcfg, nil
}

// checkEndpoint rejects a malformed Admin endpoint, naming the flag or the config key (and
// file and line) it came from, before grpc spends seconds resolving it.
func checkEndpoint(o *diagnoseOptions, cfg *flyteconfig.Config) error {
	if o.AdminEndpoint != "" {
		if _, _, err := flyteconfig.ParseEndpoint(o.AdminEndpoint, cfg.Admin.Insecure); err != nil {
			return usagef("--admin-endpoint %v", err)
		}
		return nil
	}
	if _, _, err := cfg.AdminTarget(); err != nil {
		return &usageError{err}
	}
	return nil
}

// gaveUp is how every run that hits --timeout ends, whatever it was waiting on; why, when it
// says what kind of server kept it waiting, is added.
func gaveUp(o *diagnoseOptions, doing string, why error) error {
	var te *adminclient.TransportError
	if errors.As(why, &te) {
		return fmt.Errorf("gave up after --timeout %s while %s, which %s: %s", o.Timeout, doing, te.Problem, te.Fix)
	}
	return fmt.Errorf("gave up after --timeout %s while %s: raise --timeout or check that Flyte Admin answers", o.Timeout, doing)
}

// readFailed words a failure to read the execution itself: out of time, the wrong kind of
// server, or Admin not answering within admin.perRetryTimeout.
func readFailed(ctx context.Context, o *diagnoseOptions, cfg *flyteconfig.Config, sess *AdminSession, id evidence.ExecutionID, err error) error {
	if stop := stopOf(ctx); stop != nil && stop.Code == evidence.CodeInterrupted {
		return stop.NothingWhile(fmt.Sprintf("reading %s from %s", id, sess.Endpoint))
	}
	var why error
	if sess.Explain != nil {
		why = sess.Explain(ctx, err)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || deadline.Near(ctx) {
		return gaveUp(o, fmt.Sprintf("reading %s from %s", id, sess.Endpoint), why)
	}
	if why != nil {
		return fmt.Errorf("cannot read execution %s: %w", id, why)
	}
	// Only our own per-attempt deadline is admin.perRetryTimeout's; a server that answers
	// DeadlineExceeded from a deadline of its own is reported as it said it.
	var ae *adminclient.AttemptDeadlineError
	if errors.As(err, &ae) && cfg.Admin.PerRetryTimeout > 0 {
		return fmt.Errorf("cannot read execution %s: Flyte Admin at %s did not answer within admin.perRetryTimeout %s, %d attempts: raise admin.perRetryTimeout in %s or check that Admin is healthy",
			id, sess.Endpoint, cfg.Admin.PerRetryTimeout, cfg.Admin.MaxRetries+1, configName(cfg))
	}
	return err
}

func configName(cfg *flyteconfig.Config) string { return plan.ConfigName(cfg) }

func render(f *Factory, o *diagnoseOptions, r *report.Report) error {
	return outputReports(f, o.Output, o.OutputFile, o.NoColor, []*report.Report{r}, nil)
}

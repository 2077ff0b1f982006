package cli

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/spf13/cobra"

	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/cmd/internal/demo/s3stub"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/loopback"
	"github.com/flytedoctor/flytedoctor/report"
	"github.com/flytedoctor/flytedoctor/rules"
)

func newCmdDemo(f *Factory) *cobra.Command {
	var output, file, bundleDir string
	var noColor, list bool
	cmd := &cobra.Command{
		Use:   "demo [SCENARIO...]",
		Short: "Diagnose embedded example executions, no cluster needed",
		Long: `demo starts a fake Flyte Admin in this process, loads realistic failed executions into it and
runs the real diagnose path against it over gRPC on 127.0.0.1.`,
		Example: `  flytedoctor demo
  flytedoctor demo image-pull
  flytedoctor demo --list`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := lookupFormat(output); err != nil {
				return err
			}
			if err := checkOutputFile(file); err != nil {
				return err
			}
			scenarios, err := demo.Scenarios()
			if err != nil {
				return err
			}
			if list {
				for _, s := range scenarios {
					fmt.Fprintf(f.IO.Out, "%-18s %s\n", s.Name, s.Title)
				}
				return nil
			}
			if len(args) > 0 {
				var picked []demo.Scenario
				for _, a := range args {
					i := slices.IndexFunc(scenarios, func(s demo.Scenario) bool { return s.Name == a })
					if i < 0 {
						return usagef("unknown demo scenario %s: use one of %s", userinput.Quote(a), demo.Names())
					}
					picked = append(picked, scenarios[i])
				}
				scenarios = picked
			}
			if bundleDir != "" {
				return writeDemoBundles(cmd.Context(), f, scenarios, bundleDir)
			}
			// All scenarios make one document where the format has one (JUnit, Markdown).
			var reports []*report.Report
			var titles []string
			for i, s := range scenarios {
				snap, rcfg, err := demoSnapshot(cmd.Context(), f, s)
				if err != nil {
					return fmt.Errorf("demo %s: %w", s.Name, err)
				}
				reports = append(reports, report.New(snap, rules.Run(snap, rules.Table(), rcfg)))
				titles = append(titles, fmt.Sprintf("demo %d/%d: %s", i+1, len(scenarios), s.Title))
			}
			return outputReports(f, output, file, noColor, reports, titles)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", outputHelp())
	cmd.Flags().StringVarP(&file, "output-file", "f", "", "write the reports to this file (atomically) and a one-line summary each to stdout")
	cmd.Flags().BoolVar(&noColor, "no-color", false, "no colour in text output")
	cmd.Flags().BoolVar(&list, "list", false, "list the scenarios")
	cmd.Flags().StringVar(&bundleDir, "bundle", "", "write each scenario as a support bundle into this directory, for analyze and diff")
	cmd.ValidArgsFunction = completeScenarios
	_ = cmd.RegisterFlagCompletionFunc("output", completeFormats)
	_ = cmd.RegisterFlagCompletionFunc("output-file", completeFiles)
	return cmd
}

// demoSnapshot serves one fixture from a fake Admin on 127.0.0.1 and collects its root
// execution through the same code path as a real run, with a config that ignores the
// user's: the snapshot, and the rules' config.
func demoSnapshot(ctx context.Context, f *Factory, s demo.Scenario) (snap *evidence.Snapshot, rcfg rules.Config, err error) {
	err = withDemo(ctx, f, s, func(df *Factory, o *diagnoseOptions, cfg *flyteconfig.Config) error {
		snap, rcfg, err = diagnose(ctx, df, o, cfg)
		return err
	})
	return snap, rcfg, err
}

// withDemo starts the scenario's fake Admin (and storage stub) and calls run with the
// factory, options and config that point at them.
func withDemo(ctx context.Context, f *Factory, s demo.Scenario, run func(*Factory, *diagnoseOptions, *flyteconfig.Config) error) error {
	fixture, err := fakeadmin.ParseFixture(s.Fixture)
	if err != nil {
		return err
	}
	srv := fakeadmin.New(fixture, fakeadmin.Options{})
	addr, stop, err := srv.Start(ctx)
	if err != nil {
		return err
	}
	defer stop()
	df, cleanup, err := demoFactory(ctx, f, s)
	if err != nil {
		return err
	}
	defer cleanup()

	cfg := flyteconfig.Default()
	cfg.Admin.Endpoint = "dns:///" + addr
	cfg.Admin.Insecure = true
	o := &diagnoseOptions{
		Output: "text", FailOn: "never", Timeout: 30 * time.Second,
		MaxConcurrency: flyteadmin.DefaultMaxConcurrency, PageSize: flyteadmin.DefaultPageSize,
		Execution: s.Root.String(),
	}
	return run(df, o, cfg)
}

// demoFactory points the Kubernetes collector at a fake clientset holding the scenario's
// objects and the storage collector at an in-process S3 stub, never at the user's cluster or
// cloud credentials.
func demoFactory(ctx context.Context, f *Factory, s demo.Scenario) (*Factory, func(), error) {
	objs, err := s.KubeObjects()
	if err != nil {
		return nil, nil, err
	}
	df := *f
	asOf := s.AsOf()
	df.Now = func() time.Time { return asOf }
	df.KubeClient = func(kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
		return k8sfake.NewClientset(objs...), kube.ClusterInfo{Context: "demo", Server: "in-process fake"}, nil
	}
	cleanup := func() {}
	if len(s.Storage) == 0 {
		df.StorageClients = func(context.Context, s3.ClientOptions) (*s3.Clients, error) { return nil, s3.ErrNoCredentials }
		return &df, cleanup, nil
	}
	spec, err := s3stub.ParseSpec(s.Storage)
	if err != nil {
		return nil, nil, fmt.Errorf("demo scenario %s: %w", s.Name, err)
	}
	endpoint, stop, err := s3stub.New(spec).Start(ctx)
	if err != nil {
		return nil, nil, err
	}
	df.StorageClients = func(ctx context.Context, o s3.ClientOptions) (*s3.Clients, error) {
		o.Profile, o.Endpoint = "", ""
		o.Connection = flyteconfig.Connection{Endpoint: endpoint, AuthType: "accesskey", AccessKey: "demo", SecretKey: "demo", Region: "us-east-1"}
		o.HTTPClient = demoHTTPClient()
		return s3.NewClients(ctx, o)
	}
	return &df, stop, nil
}

// demoHTTPClient is the SDK's HTTP client dialing loopback only, without a proxy: whatever the
// user's AWS configuration names (endpoints, instance metadata), the demo reaches its stub alone.
func demoHTTPClient() *awshttp.BuildableClient {
	var d loopback.Dialer
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.Proxy = nil
		tr.DialContext = d.DialContext
	})
}

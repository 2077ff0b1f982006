package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/flytedoctor/flytedoctor/cmd/internal/iostreams"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
)

// version is set at build time with -ldflags.
var version = "dev"

// Factory holds the dependencies commands use; tests and the demo replace them.
type Factory struct {
	IO      *iostreams.IOStreams
	Getenv  func(string) string
	HomeDir func() (string, error)
	Now     func() time.Time
	Version string
	// ConnectAdmin opens a connection to Flyte Admin.
	ConnectAdmin func(ctx context.Context, cfg *flyteconfig.Config, userAgent string) (*AdminSession, error)
	// KubeClient builds a Kubernetes client the kubectl way.
	KubeClient func(o kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error)
	// KubeClients is KubeClient plus a metadata-only client (preflight reads secrets by name).
	KubeClients func(o kube.ClientOptions) (kubernetes.Interface, metadata.Interface, kube.ClusterInfo, error)
	// StorageClients resolves AWS credentials and builds the S3 and STS clients.
	StorageClients func(ctx context.Context, o s3.ClientOptions) (*s3.Clients, error)
	// AdminOptions are the adminclient options for cfg: where Pkce and DeviceFlow tokens are
	// cached, how the browser is opened and where login instructions go.
	AdminOptions func(cfg *flyteconfig.Config) adminclient.Options
}

// AdminSession is an open connection to Flyte Admin.
type AdminSession struct {
	API      flyteadmin.AdminAPI
	Endpoint string
	Close    func() error
	// Explain, if set, says what kind of server answered when a call failed before gRPC got
	// going (an *adminclient.TransportError), or returns nil.
	Explain func(ctx context.Context, err error) error
}

// NewFactory returns the production dependencies.
func NewFactory() *Factory {
	f := &Factory{
		IO:             iostreams.System(),
		Getenv:         os.Getenv,
		HomeDir:        os.UserHomeDir,
		Now:            time.Now,
		Version:        version,
		KubeClient:     kube.NewClient,
		KubeClients:    kube.NewClients,
		StorageClients: s3.NewClients,
	}
	// Read f's fields at call time, so a test's replacements apply.
	f.AdminOptions = func(cfg *flyteconfig.Config) adminclient.Options { return defaultAdminOptions(f, cfg) }
	f.ConnectAdmin = func(ctx context.Context, cfg *flyteconfig.Config, ua string) (*AdminSession, error) {
		o := f.AdminOptions(cfg)
		o.UserAgent = ua
		return dialAdmin(ctx, o)
	}
	return f
}

// Main runs flytedoctor with args and returns the process exit code.
func Main(ctx context.Context, f *Factory, args []string) int {
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	err := cmd.ExecuteContext(ctx)
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) {
			// Our messages quote input clipped; flag parsing and other libraries do not.
			msg := userinput.Scrub(oneline.Fold(err.Error()), typed(args)...)
			var ue *usageError
			if errors.As(err, &ue) {
				msg += " (see 'flytedoctor --help')"
			}
			fmt.Fprintf(f.IO.ErrOut, "flytedoctor: %s\n", msg)
		}
	}
	return exitCode(err)
}

// NewCmdRoot builds the command tree. `flytedoctor EXECUTION` is `flytedoctor diagnose EXECUTION`.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := newCmdDiagnose(f, "flytedoctor [EXECUTION]")
	root.Short = "Diagnose a failed Flyte execution"
	root.Long = `flytedoctor reads a Flyte execution from Flyte Admin and shows why it failed: the failing
path through subworkflows, dynamic and array nodes and child launch plans, every task attempt
with its error, reason history, pod name and log links.

It reads the same config.yaml as flytectl (--config, $FLYTECTL_CONFIG, ~/.flyte/config.yaml).

Exit codes: 0 nothing at or above --fail-on, 1 flytedoctor failed (Admin unreachable, execution
not found), 2 usage or config error, 3 the execution failed, 4 warnings only (--fail-on warning).`
	root.Version = f.Version
	root.SilenceUsage = true
	root.SilenceErrors = true
	root.SuggestionsMinimumDistance = 2 // cobra sets it only on its own unknown-command path
	// Our own completion command (completion.go) says how to install the script and makes a
	// wrong shell a usage error. Arguments and flags without a completion of their own complete
	// nothing: an execution id or a duration is not a file name.
	root.CompletionOptions.DisableDefaultCmd = true
	noFiles := cobra.ShellCompDirectiveNoFileComp
	root.CompletionOptions.DefaultShellCompDirective = &noFiles
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(
		newCmdDiagnose(f, "diagnose EXECUTION"),
		withDemoPreflight(f, newCmdDemo(f)),
		newCmdRules(f),
		newCmdVersion(f),
		newCmdCompletion(f),
		newCmdAuth(f),
		newCmdPreflight(f),
		newCmdBundle(f),
		newCmdAnalyze(f),
		newCmdDiff(f),
	)
	var all func(c *cobra.Command)
	all = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			sub.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
			all(sub)
		}
	}
	all(root)
	return root
}

func newCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the flytedoctor version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(f.IO.Out, "flytedoctor %s\n", f.Version)
			return err
		},
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %s", cmd.CommandPath(), userinput.Quote(strings.Join(args, " ")))
	}
	return nil
}

// typed lists what the user typed: each argument and, for --flag=value, the value alone.
func typed(args []string) []string {
	out := slices.Clone(args)
	for _, a := range args {
		if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "-") {
			out = append(out, v)
		}
	}
	// Longest first, so a value is not replaced inside the argument that holds it.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

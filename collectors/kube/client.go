package kube

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/transport"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

// Client defaults.
const (
	DefaultQPS       = 20
	DefaultBurst     = 50
	DefaultUserAgent = "flytedoctor"
)

// ClientOptions select a cluster the way kubectl does.
type ClientOptions struct {
	// Kubeconfig is --kubeconfig: one file, used alone. Empty means KUBECONFIG (a path list),
	// then ~/.kube/config, then the in-cluster config when running in a pod.
	Kubeconfig string
	// Context is --context; empty means the kubeconfig's current context.
	Context   string
	UserAgent string // e.g. "flytedoctor/v0.3.0"
	QPS       float32
	Burst     int
	// Timeout bounds each request (not the whole collection).
	Timeout time.Duration
	// Wrap, when set, wraps the transport nearest the wire (benchmarks add latency with it).
	Wrap func(http.RoundTripper) http.RoundTripper
	// Getenv reads KUBECONFIG and HOME; nil means no environment.
	Getenv func(string) string

	// For a kubeconfig exec credential plugin: Stdin is passed to it when its interactiveMode
	// allows and StdinTerminal says stdin is a terminal; Stderr gets its stderr (prompts, login
	// URLs); Environ is its environment before the kubeconfig's env (nil: os.Environ).
	Stdin         io.Reader
	StdinTerminal bool
	Stderr        io.Writer
	Environ       func() []string
}

// ClusterInfo says which cluster a client talks to.
type ClusterInfo struct {
	Context string // kubeconfig context; empty in-cluster
	Server  string
	// Namespace is the context's default namespace ("default" when unset).
	Namespace string
}

// NewClient builds a client from kubeconfig loading rules. It does not contact the server.
func NewClient(o ClientOptions) (kubernetes.Interface, ClusterInfo, error) {
	cfg, hc, info, err := restConfig(o)
	if err != nil {
		return nil, ClusterInfo{}, err
	}
	cs, err := kubernetes.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, ClusterInfo{}, fmt.Errorf("cannot build Kubernetes client for %s: %w", cfg.Host, err)
	}
	return cs, info, nil
}

// restConfig is the client configuration and HTTP client NewClient builds on.
func restConfig(o ClientOptions) (*rest.Config, *http.Client, ClusterInfo, error) {
	getenv := o.getenv()
	rules, source := kubeconfigRules(o, getenv)
	if err := checkInputs(o, rules, source); err != nil {
		return nil, nil, ClusterInfo{}, err
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.Context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		switch {
		case clientcmd.IsEmptyConfig(err) && source == sourceFlag && emptyConfig(cc):
			return nil, nil, ClusterInfo{}, &InputError{sourceFlag, userinput.ClipPath(o.Kubeconfig) + " has no clusters or contexts: pass a kubeconfig that has"}
		case clientcmd.IsEmptyConfig(err) && source == sourceEnv && noneExists(rules.Precedence):
			return nil, nil, ClusterInfo{}, fmt.Errorf("no Kubernetes config: no file in KUBECONFIG (%s) exists", userinput.ClipPath(getenv(clientcmd.RecommendedConfigPathEnvVar)))
		case o.Kubeconfig != "" || o.Context != "":
			// e.g. the context names a cluster or user the file does not have.
			input, what := "--context", userinput.Quote(o.Context)
			if o.Context == "" {
				input, what = sourceFlag, userinput.ClipPath(o.Kubeconfig)
			}
			return nil, nil, ClusterInfo{}, &InputError{input, fmt.Sprintf("%s cannot be used (%s): fix the kubeconfig or pick another context", what, brief(err))}
		case clientcmd.IsEmptyConfig(err):
			return nil, nil, ClusterInfo{}, errors.New("no Kubernetes config: set --kubeconfig or KUBECONFIG, or create ~/.kube/config")
		}
		return nil, nil, ClusterInfo{}, fmt.Errorf("cannot load kubeconfig%s (%s)", fileOf(err), brief(err))
	}
	info := ClusterInfo{Server: cfg.Host}
	if raw, err := cc.RawConfig(); err == nil && len(raw.Contexts) > 0 {
		info.Context = raw.CurrentContext
		if o.Context != "" {
			info.Context = o.Context
		}
	}
	if ns, _, err := cc.Namespace(); err == nil {
		info.Namespace = ns
	}

	cfg.UserAgent = o.UserAgent
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	cfg.QPS, cfg.Burst = o.QPS, o.Burst
	if cfg.QPS == 0 {
		cfg.QPS = DefaultQPS
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	cfg.Timeout = o.Timeout
	// Protobuf, as kubectl uses for built-in types: event pages decode several times faster than JSON.
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	// API deprecation warnings would otherwise go to stderr through klog, mid-report.
	cfg.WarningHandler = rest.NoWarnings{}
	// Innermost wrapper: every request client-go sends, its own retries included, is one attempt
	// of the collector's call (credential plugins and auth wrap around it).
	if o.Wrap != nil {
		cfg.Wrap(o.Wrap)
	}
	cfg.Wrap(countAttempts)
	hc, err := httpClient(cfg, o)
	if err != nil {
		return nil, nil, ClusterInfo{}, fmt.Errorf("cannot build Kubernetes client for %s: %w", cfg.Host, err)
	}
	return cfg, hc, info, nil
}

// httpClient is rest.HTTPClientFor(cfg), except that an exec credential plugin runs under
// flytedoctor's own authenticator (see execAuth), which a deadline or Ctrl-C can stop.
func httpClient(cfg *rest.Config, o ClientOptions) (*http.Client, error) {
	if cfg.ExecProvider == nil {
		return rest.HTTPClientFor(cfg)
	}
	a, err := newExecAuth(cfg, execAuthOptions{Stdin: o.Stdin, StdinTerminal: o.StdinTerminal, Stderr: o.Stderr, Environ: o.Environ})
	if err != nil {
		return nil, err
	}
	plain := rest.CopyConfig(cfg)
	plain.ExecProvider = nil
	tc, err := plain.TransportConfig()
	if err != nil {
		return nil, err
	}
	a.install(tc)
	rt, err := transport.New(tc)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: rt, Timeout: cfg.Timeout}, nil
}

func homeDir(getenv func(string) string) string {
	if h := getenv("HOME"); h != "" {
		return h
	}
	return getenv("USERPROFILE")
}

func dedupe(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}

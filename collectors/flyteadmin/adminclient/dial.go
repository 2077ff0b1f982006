package adminclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/subproc"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

// Options configure Dial. Nil functions get real implementations (os, exec, time), so tests
// inject fakes and production passes nothing.
type Options struct {
	Config    flyteconfig.Admin
	UserAgent string
	Getenv    func(string) string // for admin.clientSecretEnvVar
	ReadFile  func(string) ([]byte, error)
	// RunCommand runs argv and returns its stdout (admin.command, admin.proxyCommand).
	RunCommand func(ctx context.Context, argv []string) ([]byte, error)
	HTTPClient *http.Client // token endpoint calls; nil means one trusting the same CAs as Admin
	Now        func() time.Time
	Sleep      func(ctx context.Context, d time.Duration) error // backoff waits
	// OnRetry, if set, is told about each retry (for verbose logging).
	OnRetry func(method string, retry int, wait time.Duration, err error)

	// Pkce and DeviceFlow. TokenCacheDir is flytedoctor's token cache; "" keeps tokens in
	// memory only (production passes DefaultTokenCacheDir()).
	TokenCacheDir string
	// Keyring reads a secret from the OS keyring (flytectl's token, read-only); nil reads none.
	Keyring func(service, user string) (string, error)
	// OpenBrowser opens the Pkce login URL; nil opens none (the URL is printed either way).
	OpenBrowser func(url string) error
	// Prompt gets the login instructions (URL, device code); nil means os.Stderr.
	Prompt io.Writer
	// NoLogin makes a missing or unrenewable token an error instead of starting a login.
	NoLogin bool
}

// Conn is a connection to Flyte Admin. It implements grpc.ClientConnInterface, so generated
// clients take it directly: service.NewAdminServiceClient(conn).
type Conn struct {
	cc       *grpc.ClientConn
	endpoint string
	stats    *counters
	w        *wire
	auth     *authenticator
}

// Stats counts what a Conn did, for the snapshot's collection record and for tests.
type Stats struct {
	Calls         int64 `json:"calls"`         // calls made by callers (not auth metadata)
	Attempts      int64 `json:"attempts"`      // RPC attempts including retries and auth metadata
	Retries       int64 `json:"retries"`       // attempts after a retryable failure
	AuthMetadata  int64 `json:"authMetadata"`  // AuthMetadataService calls
	TokenFetches  int64 `json:"tokenFetches"`  // tokens obtained (token endpoint or command)
	Reauthorized  int64 `json:"reauthorized"`  // calls retried after Unauthenticated
	ProxyCommands int64 `json:"proxyCommands"` // admin.proxyCommand runs
	Refreshes     int64 `json:"refreshes"`     // tokens renewed with a refresh token
	Logins        int64 `json:"logins"`        // Pkce or DeviceFlow logins run
}

type counters struct {
	calls, attempts, retries, authMetadata, tokenFetches, reauthorized, proxyCommands atomic.Int64
	refreshes, logins                                                                 atomic.Int64
}

// Dial prepares a connection; nothing is sent until the first call, so TLS and auth problems
// surface there. The ctx is only checked, as grpc.NewClient does not block.
func Dial(ctx context.Context, o Options) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o = withDefaults(o)
	cfg := o.Config
	if cfg.AuthType == "" {
		cfg.AuthType = flyteconfig.AuthClientSecret
	}
	if _, err := flyteconfig.ParseAuthType(string(cfg.AuthType)); err != nil {
		return nil, fmt.Errorf("admin.authType: %w", err)
	}
	target, plaintext, err := cfg.Target()
	if err != nil {
		return nil, err
	}

	var tlsCfg *tls.Config
	creds := insecure.NewCredentials()
	if !plaintext {
		if tlsCfg, err = tlsConfig(cfg, o.ReadFile); err != nil {
			return nil, err
		}
		creds = credentials.NewTLS(tlsCfg)
	}
	w := &wire{endpoint: cfg.Endpoint, tls: !plaintext, now: o.Now}
	creds = watchedCreds{creds, w}
	httpClient := o.HTTPClient
	if httpClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if tlsCfg != nil {
			// The identity provider is trusted as Admin is: caCertFilePath, insecureSkipVerify.
			tr.TLSClientConfig = tlsCfg.Clone()
		} else {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // asked for in config.yaml
		}
		if cfg.HTTPProxyURL != "" {
			u, err := proxyURL(cfg.HTTPProxyURL)
			if err != nil {
				return nil, err
			}
			tr.Proxy = http.ProxyURL(u)
		}
		httpClient = &http.Client{Transport: tr}
	}

	st := &counters{}
	a := &authenticator{
		cfg: cfg, getenv: o.Getenv, readFile: o.ReadFile, run: o.RunCommand,
		httpClient: httpClient, now: o.Now, stats: st,
		lock: make(chan struct{}, 1), proxyLock: make(chan struct{}, 1),
		cacheDir: o.TokenCacheDir, keyring: o.Keyring, openBrowser: o.OpenBrowser, prompt: o.Prompt,
		noLogin: o.NoLogin,
	}
	if len(cfg.ProxyCommand) > 0 {
		base := httpClient.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		c := *httpClient
		c.Transport = proxyAuthTransport{base: base, a: a}
		a.httpClient = &c
	}
	retry := RetryPolicy{
		PerRetryTimeout: cfg.PerRetryTimeout,
		MaxRetries:      cfg.MaxRetries,
		MaxBackoff:      cfg.MaxBackoffDelay,
		Sleep:           o.Sleep,
		Permanent:       w.permanent,
		OnRetry: func(method string, n int, wait time.Duration, err error) {
			st.retries.Add(1)
			if o.OnRetry != nil {
				o.OnRetry(method, n, wait, err)
			}
		},
	}
	count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		st.attempts.Add(1)
		// The collector's call (in ctx) counts its own attempts, not the auth lookups made for it.
		if !strings.HasPrefix(method, authMetadataPrefix) {
			evidence.CountAttempt(ctx)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	dopts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		// Auth is outermost so token fetches are not bound by one attempt's deadline and a
		// re-authorized call gets a fresh set of retries.
		grpc.WithChainUnaryInterceptor(a.unary, RetryInterceptor(retry), count),
	}
	if o.UserAgent != "" {
		dopts = append(dopts, grpc.WithUserAgent(o.UserAgent))
	}
	if cfg.MaxMessageSizeBytes > 0 {
		dopts = append(dopts, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.MaxMessageSizeBytes)))
	}
	cc, err := grpc.NewClient(target, dopts...)
	if err != nil {
		return nil, fmt.Errorf("admin.endpoint %s: %v: fix admin.endpoint", userinput.Quote(cfg.Endpoint), err)
	}
	a.meta = service.NewAuthMetadataServiceClient(cc)
	return &Conn{cc: cc, endpoint: target, stats: st, w: w, auth: a}, nil
}

func withDefaults(o Options) Options {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	if o.RunCommand == nil {
		o.RunCommand = RunCommand
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.OpenBrowser == nil {
		o.OpenBrowser = func(string) error { return errNoBrowser }
	}
	if o.Prompt == nil {
		o.Prompt = os.Stderr
	}
	return o
}

// RunCommand runs argv without a shell and returns its stdout; stderr goes into the error. The
// command runs in its own process group, killed as a whole when ctx ends (see subproc).
func RunCommand(ctx context.Context, argv []string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, errors.New("empty command")
	}
	cmd := subproc.Command(ctx, false, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := subproc.Finished(cmd, cmd.Run()); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("did not finish in time: %w", ctx.Err())
		}
		if msg := firstLine(stderr.String()); msg != "" {
			return nil, fmt.Errorf("%v: %s", err, msg)
		}
		return nil, err
	}
	return stdout.Bytes(), nil
}

func tlsConfig(cfg flyteconfig.Admin, readFile func(string) ([]byte, error)) (*tls.Config, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if cfg.CACertFilePath != "" {
		pem, err := readFile(cfg.CACertFilePath)
		if err != nil {
			return nil, fmt.Errorf("admin.caCertFilePath %s cannot be read (%v): fix the path or remove caCertFilePath", userinput.ClipPath(cfg.CACertFilePath), unwrapPath(err))
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("admin.caCertFilePath %s holds no PEM certificate: point it at the CA certificate (-----BEGIN CERTIFICATE-----)", userinput.ClipPath(cfg.CACertFilePath))
		}
	}
	return &tls.Config{
		RootCAs:            pool,
		InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // the user asked for it in config.yaml
		MinVersion:         tls.VersionTLS12,
	}, nil
}

// Invoke implements grpc.ClientConnInterface.
func (c *Conn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return c.cc.Invoke(ctx, method, args, reply, opts...)
}

// NewStream implements grpc.ClientConnInterface. Streams get no auth, deadline or retry:
// the Admin API flytedoctor uses is unary.
func (c *Conn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.cc.NewStream(ctx, desc, method, opts...)
}

// ClientConn is the underlying connection.
func (c *Conn) ClientConn() *grpc.ClientConn { return c.cc }

// Endpoint is the gRPC target dialled, e.g. dns:///flyte.example.com:443.
func (c *Conn) Endpoint() string { return c.endpoint }

// Close closes the connection.
func (c *Conn) Close() error { return c.cc.Close() }

// Stats is a snapshot of the counters.
func (c *Conn) Stats() Stats {
	s := c.stats
	return Stats{
		Calls: s.calls.Load(), Attempts: s.attempts.Load(), Retries: s.retries.Load(),
		AuthMetadata: s.authMetadata.Load(), TokenFetches: s.tokenFetches.Load(),
		Reauthorized: s.reauthorized.Load(), ProxyCommands: s.proxyCommands.Load(),
		Refreshes: s.refreshes.Load(), Logins: s.logins.Load(),
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return s
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

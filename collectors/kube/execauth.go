package kube

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
	"os/exec"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/pkg/apis/clientauthentication"
	"k8s.io/client-go/pkg/apis/clientauthentication/install"
	clientauthv1 "k8s.io/client-go/pkg/apis/clientauthentication/v1"
	clientauthv1beta1 "k8s.io/client-go/pkg/apis/clientauthentication/v1beta1"
	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/transport"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/subproc"
)

// execInfoEnv carries the ExecCredential request to the plugin.
const execInfoEnv = "KUBERNETES_EXEC_INFO"

// ExecPluginError is a kubeconfig exec credential plugin (users[].user.exec) that gave no
// credential. It wraps the context's error when the plugin was still running at the deadline.
type ExecPluginError struct {
	Command string
	Err     error
}

func (e *ExecPluginError) Error() string {
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		return fmt.Sprintf("the kubeconfig exec credential plugin %s had not printed a credential by the deadline", quotePath(e.Command))
	case errors.Is(e.Err, context.Canceled):
		return fmt.Sprintf("the kubeconfig exec credential plugin %s was stopped before it printed a credential", quotePath(e.Command))
	}
	return fmt.Sprintf("the kubeconfig exec credential plugin %s failed: %v", quotePath(e.Command), e.Err)
}

func (e *ExecPluginError) Unwrap() error { return e.Err }

// quotePath quotes a command from the kubeconfig, whole when it is a path of reasonable length.
func quotePath(s string) string { return `"` + userinput.ClipPath(s) + `"` }

// execAuth gets credentials from a kubeconfig exec plugin, in place of client-go's
// authenticator: that one runs the plugin without a context, so a plugin that hangs blocks
// every request past any deadline and outlives flytedoctor. Here the plugin runs under the
// context of the request that needs a credential, in its own process group (see subproc),
// one run at a time; requests waiting for it give up at their own context.
type execAuth struct {
	exec    *clientcmdapi.ExecConfig
	gv      schema.GroupVersion
	codecs  serializer.CodecFactory
	cluster *clientauthentication.Cluster // only with provideClusterInfo
	// stdin is given to the plugin when interactiveMode allows it and stdinTerminal says
	// flytedoctor's stdin is a terminal (client-go's rule).
	stdin         io.Reader
	stdinTerminal bool
	stderr        io.Writer
	environ       func() []string
	now           func() time.Time

	run chan struct{} // one-slot semaphore: a mutex whose waiters can honour their ctx

	mu    sync.Mutex
	creds *execCreds
	err   error // a failed run: later requests get the same answer instead of running it again
}

type execCreds struct {
	token  string
	cert   *tls.Certificate
	expiry time.Time // zero: until rejected
}

// execAuthOptions are the parts of ClientOptions execAuth uses.
type execAuthOptions struct {
	Stdin         io.Reader
	StdinTerminal bool
	Stderr        io.Writer
	Environ       func() []string
	Now           func() time.Time
}

func newExecAuth(cfg *rest.Config, o execAuthOptions) (*execAuth, error) {
	ec := cfg.ExecProvider
	var gv schema.GroupVersion
	switch ec.APIVersion {
	case clientauthv1.SchemeGroupVersion.String():
		gv = clientauthv1.SchemeGroupVersion
	case clientauthv1beta1.SchemeGroupVersion.String():
		gv = clientauthv1beta1.SchemeGroupVersion
	default:
		return nil, fmt.Errorf("kubeconfig exec plugin %s: apiVersion %s is not one of %s, %s", quotePath(ec.Command), userinput.Quote(ec.APIVersion),
			clientauthv1.SchemeGroupVersion, clientauthv1beta1.SchemeGroupVersion)
	}
	scheme := runtime.NewScheme()
	install.Install(scheme)
	a := &execAuth{
		exec: ec, gv: gv, codecs: serializer.NewCodecFactory(scheme),
		stdin: o.Stdin, stdinTerminal: o.StdinTerminal && o.Stdin != nil, stderr: o.Stderr,
		environ: o.Environ, now: o.Now, run: make(chan struct{}, 1),
	}
	if a.environ == nil {
		a.environ = os.Environ
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.stderr == nil {
		a.stderr = io.Discard
	}
	if ec.ProvideClusterInfo {
		c, err := rest.ConfigToExecCluster(cfg)
		if err != nil {
			return nil, err
		}
		a.cluster = c
	}
	return a, nil
}

// install makes tc use the plugin's credentials: a bearer token on each request, or the client
// certificate in the TLS handshake. As in client-go, credentials set in the kubeconfig itself
// win over the plugin.
func (a *execAuth) install(tc *transport.Config) {
	if tc.HasTokenAuth() || tc.HasBasicAuth() || tc.HasCertAuth() {
		return
	}
	tc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &execRoundTripper{a: a, base: rt} })
	// The round tripper has fetched the credential before any connection is dialled.
	tc.TLS.GetCertHolder = &transport.GetCertHolder{GetCert: a.cachedCert}
}

type execRoundTripper struct {
	a    *execAuth
	base http.RoundTripper
}

func (r *execRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "" {
		return r.base.RoundTrip(req)
	}
	creds, err := r.a.get(req.Context())
	if err != nil {
		return nil, err
	}
	if creds.token != "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+creds.token)
	}
	res, err := r.base.RoundTrip(req)
	if err == nil && res.StatusCode == http.StatusUnauthorized {
		r.a.forget(creds) // revoked or expired early: the next request runs the plugin again
	}
	return res, err
}

func (r *execRoundTripper) WrappedRoundTripper() http.RoundTripper { return r.base }

func (a *execAuth) cached() (*execCreds, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return nil, a.err
	}
	if c := a.creds; c != nil && (c.expiry.IsZero() || a.now().Before(c.expiry)) {
		return c, nil
	}
	return nil, nil
}

func (a *execAuth) cachedCert() (*tls.Certificate, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.creds == nil {
		return nil, nil
	}
	return a.creds.cert, nil
}

func (a *execAuth) forget(c *execCreds) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.creds == c {
		a.creds = nil
	}
}

// get returns valid credentials, running the plugin when there are none.
func (a *execAuth) get(ctx context.Context) (*execCreds, error) {
	if c, err := a.cached(); c != nil || err != nil {
		return c, err
	}
	if err := ctx.Err(); err != nil {
		return nil, &ExecPluginError{Command: a.exec.Command, Err: err}
	}
	select {
	case a.run <- struct{}{}:
	case <-ctx.Done():
		return nil, &ExecPluginError{Command: a.exec.Command, Err: ctx.Err()}
	}
	defer func() { <-a.run }()
	if c, err := a.cached(); c != nil || err != nil {
		return c, err // another request ran it meanwhile
	}
	c, err := a.runPlugin(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case err == nil:
		a.creds = c
	case !errors.Is(err, context.Canceled):
		// Canceled is this request's own business; a plugin that failed or did not finish in
		// time would do the same for the next request.
		a.err = err
	}
	return c, err
}

func (a *execAuth) interactive() (bool, error) {
	switch a.exec.InteractiveMode {
	case clientcmdapi.NeverExecInteractiveMode:
		return false, nil
	case clientcmdapi.AlwaysExecInteractiveMode:
		if !a.stdinTerminal {
			return false, errors.New("its interactiveMode is Always and flytedoctor's standard input is not a terminal")
		}
		return true, nil
	case clientcmdapi.IfAvailableExecInteractiveMode, "":
		return a.stdinTerminal, nil
	}
	return false, fmt.Errorf("unknown interactiveMode %q", a.exec.InteractiveMode)
}

func (a *execAuth) runPlugin(ctx context.Context) (*execCreds, error) {
	fail := func(err error) (*execCreds, error) {
		return nil, &ExecPluginError{Command: a.exec.Command, Err: err}
	}
	interactive, err := a.interactive()
	if err != nil {
		return fail(err)
	}
	req := &clientauthentication.ExecCredential{Spec: clientauthentication.ExecCredentialSpec{Interactive: interactive, Cluster: a.cluster}}
	info, err := runtime.Encode(a.codecs.LegacyCodec(a.gv), req)
	if err != nil {
		return fail(fmt.Errorf("encode %s: %w", execInfoEnv, err))
	}
	cmd := subproc.Command(ctx, interactive, a.exec.Command, a.exec.Args...)
	cmd.Env = a.environ()
	for _, e := range a.exec.Env {
		cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
	}
	cmd.Env = append(cmd.Env, execInfoEnv+"="+string(info))
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = a.stderr
	if interactive {
		cmd.Stdin = a.stdin
	}
	if err := subproc.Finished(cmd, cmd.Run()); err != nil {
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
		var ee *exec.Error
		if errors.As(err, &ee) && a.exec.InstallHint != "" {
			return fail(fmt.Errorf("%v (%s)", err, oneLine(a.exec.InstallHint)))
		}
		return fail(err)
	}
	c, err := a.decode(stdout.Bytes())
	if err != nil {
		return fail(err)
	}
	return c, nil
}

// decode reads the ExecCredential the plugin printed, in the kubeconfig's apiVersion.
func (a *execAuth) decode(out []byte) (*execCreds, error) {
	cred := &clientauthentication.ExecCredential{}
	_, gvk, err := a.codecs.UniversalDecoder(a.gv).Decode(out, nil, cred)
	switch {
	case err != nil:
		return nil, fmt.Errorf("its output is not an ExecCredential: %s", oneLine(err.Error()))
	case gvk.GroupVersion() != a.gv:
		return nil, fmt.Errorf("it printed apiVersion %s, the kubeconfig says %s", gvk.GroupVersion(), a.gv)
	case cred.Status == nil:
		return nil, errors.New("its ExecCredential has no status")
	}
	st := cred.Status
	if st.Token == "" && st.ClientCertificateData == "" && st.ClientKeyData == "" {
		return nil, errors.New("its ExecCredential has neither a token nor a client certificate")
	}
	if (st.ClientCertificateData == "") != (st.ClientKeyData == "") {
		return nil, errors.New("its ExecCredential has a client certificate or key without the other")
	}
	c := &execCreds{token: st.Token}
	if st.ExpirationTimestamp != nil {
		c.expiry = st.ExpirationTimestamp.Time
	}
	if st.ClientCertificateData != "" {
		cert, err := tls.X509KeyPair([]byte(st.ClientCertificateData), []byte(st.ClientKeyData))
		if err != nil {
			return nil, fmt.Errorf("its client certificate and key do not load: %v", err)
		}
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("its client certificate does not parse: %v", err)
		}
		c.cert = &cert
	}
	return c, nil
}

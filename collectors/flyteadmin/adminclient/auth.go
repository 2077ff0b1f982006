package adminclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"

	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
)

// DefaultAuthorizationHeader is used when neither admin.authorizationHeader nor the server
// names one; flyteadmin's default, which it also copies into "authorization".
const DefaultAuthorizationHeader = "flyte-authorization"

// ProxyAuthorizationHeader carries the admin.proxyCommand output.
const ProxyAuthorizationHeader = "proxy-authorization"

const authMetadataPrefix = "/flyteidl.service.AuthMetadataService/"

// expiryDelta refreshes a token this long before it expires, as oauth2 does.
const expiryDelta = 10 * time.Second

// authenticator adds the token header to calls. It asks the server once whether auth is on
// (AuthMetadataService is registered only then) and never sends credentials to a server that
// has it off, unless a call is rejected with Unauthenticated.
type authenticator struct {
	cfg        flyteconfig.Admin
	meta       service.AuthMetadataServiceClient
	getenv     func(string) string
	readFile   func(string) ([]byte, error)
	run        func(context.Context, []string) ([]byte, error)
	httpClient *http.Client
	now        func() time.Time
	stats      *counters

	// lock is a one-slot semaphore rather than a mutex so waiting callers honour their ctx.
	lock     chan struct{}
	probed   bool
	probeErr error // sticky: the server could not be reached at all
	authOn   bool
	pub      *service.PublicClientAuthConfigResponse // nil when the server has auth off
	tokenURL string
	tok      *oauth2.Token

	proxyLock chan struct{}
	proxyTok  string

	// Pkce and DeviceFlow.
	pc          *publicClient
	md          *service.OAuth2MetadataResponse
	cacheDir    string // "" keeps tokens in memory only
	keyring     func(service, user string) (string, error)
	openBrowser func(url string) error
	prompt      io.Writer
	noLogin     bool
	cacheRead   bool
	loginErr    error    // sticky: the refresh failed, the user must log in
	source      string   // where the token in use came from
	notes       []string // cache files that could not be used

	cachePath   string // flytedoctor's cache file for this endpoint and client
	keyringNote string // why flytectl's keyring entry was not used
	saved       bool
}

func acquire(ctx context.Context, l chan struct{}) error {
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *authenticator) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	proxy, err := a.proxyToken(ctx)
	if err != nil {
		return err
	}
	withProxy := func(ctx context.Context) context.Context {
		if proxy == "" {
			return ctx
		}
		return metadata.AppendToOutgoingContext(ctx, ProxyAuthorizationHeader, "Bearer "+proxy)
	}
	if strings.HasPrefix(method, authMetadataPrefix) {
		a.stats.authMetadata.Add(1)
		return invoker(withProxy(ctx), method, req, reply, cc, opts...)
	}
	a.stats.calls.Add(1)

	header, tok, err := a.credentials(ctx, false, "")
	if err != nil {
		return err
	}
	err = invoker(withAuth(withProxy(ctx), header, tok), method, req, reply, cc, opts...)
	if status.Code(err) != codes.Unauthenticated || ctx.Err() != nil {
		return err
	}
	// The token was revoked or expired early, or the server wants auth after all.
	a.stats.reauthorized.Add(1)
	header, tok, terr := a.credentials(ctx, true, tok)
	if terr != nil {
		var lr *LoginRequiredError
		if errors.As(terr, &lr) {
			return terr
		}
		return status.Errorf(codes.Unauthenticated, "%s; getting a new token failed: %v", status.Convert(err).Message(), terr)
	}
	err = invoker(withAuth(withProxy(ctx), header, tok), method, req, reply, cc, opts...)
	if status.Code(err) == codes.Unauthenticated && a.interactive() && ctx.Err() == nil {
		return &LoginRequiredError{Reason: fmt.Sprintf("Flyte Admin rejected the token even after it was renewed (%s)", oneline.Clip(status.Convert(err).Message(), 300))}
	}
	return err
}

func withAuth(ctx context.Context, header, tok string) context.Context {
	if tok == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, header, tok)
}

// credentials returns the header and its value ("Bearer x"), or "" when auth is off. With
// force it gets a token even if the server looked auth-free, and replaces stale if that is
// still the cached one (another call may have refreshed it already).
func (a *authenticator) credentials(ctx context.Context, force bool, stale string) (header, value string, err error) {
	if err := acquire(ctx, a.lock); err != nil {
		return "", "", err
	}
	defer func() { <-a.lock }()

	if a.probeErr != nil {
		return "", "", a.probeErr
	}
	if !a.probed {
		if err := a.probe(ctx); err != nil {
			return "", "", err
		}
	}
	if force {
		a.authOn = true
	}
	if !a.authOn {
		return "", "", nil
	}
	header = a.header()
	if a.tok != nil {
		cached := bearer(a.tok)
		switch {
		case force && cached != stale:
			return header, cached, nil
		case !force && a.valid(a.tok):
			return header, cached, nil
		}
	}
	prev := a.tok
	a.tok = nil
	tok, err := a.fetch(ctx, prev, force)
	if err != nil {
		return "", "", err
	}
	a.stats.tokenFetches.Add(1)
	a.tok = tok
	return header, bearer(tok), nil
}

func bearer(t *oauth2.Token) string { return t.Type() + " " + t.AccessToken }

func (a *authenticator) valid(t *oauth2.Token) bool {
	if a.interactive() {
		return a.fresh(t)
	}
	return t.AccessToken != "" && (t.Expiry.IsZero() || a.now().Add(expiryDelta).Before(t.Expiry))
}

func (a *authenticator) probe(ctx context.Context) error {
	pub, err := a.meta.GetPublicClientConfig(ctx, &service.PublicClientAuthConfigRequest{})
	switch status.Code(err) {
	case codes.OK:
		a.pub, a.authOn = pub, true
	case codes.Unimplemented:
		a.authOn = false // AuthMetadataService is registered only when auth is on
	case codes.Unauthenticated:
		a.authOn = true // a gateway in front wants a token even for the anonymous metadata
	default:
		st := status.Convert(err)
		err = status.Errorf(st.Code(), "%s (while asking whether Flyte Admin requires auth)", st.Message())
		// The retry interceptor already gave an unreachable server its chances: calls waiting
		// behind this one fail with the same answer instead of each waiting out the retries again.
		if st.Code() == codes.Unavailable && ctx.Err() == nil {
			a.probeErr = err
		}
		return err
	}
	a.probed = true
	return nil
}

func (a *authenticator) header() string {
	h := a.cfg.AuthorizationHeader
	if h == "" {
		h = a.pub.GetAuthorizationMetadataKey()
	}
	if h == "" {
		h = DefaultAuthorizationHeader
	}
	return strings.ToLower(h)
}

func (a *authenticator) fetch(ctx context.Context, prev *oauth2.Token, force bool) (*oauth2.Token, error) {
	switch a.cfg.AuthType {
	case flyteconfig.AuthPkce, flyteconfig.AuthDeviceFlow:
		return a.userToken(ctx, prev, force)
	case flyteconfig.AuthClientSecret, "":
		a.source = SourceProvider
		return a.clientCredentials(ctx)
	case flyteconfig.AuthExternalCommand:
		if len(a.cfg.Command) == 0 {
			return nil, errors.New("flyteadmin requires a token and admin.command is empty: set admin.command to a command that prints one")
		}
		out, err := a.runBounded(ctx, a.cfg.Command)
		if err != nil {
			return nil, fmt.Errorf("admin.command %s failed: %v: fix the command or run it by hand to check it prints a token", userinput.Quote(strings.Join(a.cfg.Command, " ")), err)
		}
		tok := strings.TrimSpace(string(out))
		if tok == "" {
			return nil, fmt.Errorf("admin.command %s printed no token: it must print the token on stdout", userinput.Quote(strings.Join(a.cfg.Command, " ")))
		}
		a.source = SourceCommand
		return &oauth2.Token{AccessToken: tok, TokenType: "Bearer"}, nil
	default:
		return nil, fmt.Errorf("admin.authType %s is unknown", userinput.Quote(string(a.cfg.AuthType)))
	}
}

func (a *authenticator) clientCredentials(ctx context.Context) (*oauth2.Token, error) {
	tokenURL, err := a.tokenEndpoint(ctx)
	if err != nil {
		return nil, err
	}
	secret, err := a.secret()
	if err != nil {
		return nil, err
	}
	scopes := a.cfg.Scopes
	if len(scopes) == 0 {
		scopes = a.pub.GetScopes()
	}
	params := url.Values{}
	if aud := a.cfg.Audience; aud != "" {
		params.Set("audience", aud)
	} else if aud := a.pub.GetAudience(); a.cfg.UseAudienceFromAdmin && aud != "" {
		params.Set("audience", aud)
	}
	cc := clientcredentials.Config{
		ClientID:       a.cfg.ClientID,
		ClientSecret:   secret,
		TokenURL:       tokenURL,
		Scopes:         scopes,
		EndpointParams: params,
	}
	tctx, cancel := a.bounded(ctx)
	defer cancel()
	tok, err := cc.Token(context.WithValue(tctx, oauth2.HTTPClient, a.httpClient))
	if err != nil {
		return nil, fmt.Errorf("get a token from %s for client %s: %s: check admin.clientId and the client secret", userinput.ClipPath(tokenURL), userinput.Quote(a.cfg.ClientID), oneline.Clip(err.Error(), 300))
	}
	return tok, nil
}

func (a *authenticator) tokenEndpoint(ctx context.Context) (string, error) {
	if a.cfg.TokenURL != "" {
		return a.cfg.TokenURL, nil
	}
	if a.tokenURL != "" {
		return a.tokenURL, nil
	}
	md, err := a.meta.GetOAuth2Metadata(ctx, &service.OAuth2MetadataRequest{})
	if status.Code(err) == codes.Unimplemented || (err == nil && md.GetTokenEndpoint() == "") {
		return "", errors.New("flyteadmin requires a token but advertises no token endpoint: set admin.tokenUrl")
	}
	if err != nil {
		return "", fmt.Errorf("ask flyteadmin for its token endpoint (AuthMetadataService.GetOAuth2Metadata): %w", err)
	}
	a.tokenURL = md.GetTokenEndpoint()
	return a.tokenURL, nil
}

func (a *authenticator) secret() (string, error) {
	if name := a.cfg.ClientSecretEnvVar; name != "" {
		s := strings.TrimSpace(a.getenv(name))
		if s == "" {
			return "", fmt.Errorf("client secret env var %s (admin.clientSecretEnvVar) is empty: export it or unset admin.clientSecretEnvVar", userinput.ClipPath(name))
		}
		return s, nil
	}
	loc := a.cfg.ClientSecretLocation
	if loc == "" {
		return "", errors.New("no client secret: set admin.clientSecretLocation or admin.clientSecretEnvVar")
	}
	b, err := a.readFile(loc)
	if err != nil {
		return "", fmt.Errorf("client secret file %s (admin.clientSecretLocation) cannot be read (%v): create it, or set admin.clientSecretEnvVar, or use authType ExternalCommand", userinput.ClipPath(loc), unwrapPath(err))
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("client secret file %s (admin.clientSecretLocation) is empty: put the secret in it", userinput.ClipPath(loc))
	}
	return s, nil
}

// proxyToken runs admin.proxyCommand once; its output goes with every call.
func (a *authenticator) proxyToken(ctx context.Context) (string, error) {
	if len(a.cfg.ProxyCommand) == 0 {
		return "", nil
	}
	if err := acquire(ctx, a.proxyLock); err != nil {
		return "", err
	}
	defer func() { <-a.proxyLock }()
	if a.proxyTok != "" {
		return a.proxyTok, nil
	}
	out, err := a.runBounded(ctx, a.cfg.ProxyCommand)
	a.stats.proxyCommands.Add(1)
	if err != nil {
		return "", fmt.Errorf("admin.proxyCommand %s failed: %v: fix the command or remove admin.proxyCommand", userinput.Quote(strings.Join(a.cfg.ProxyCommand, " ")), err)
	}
	tok := strings.TrimSpace(string(out))
	if tok == "" {
		return "", fmt.Errorf("admin.proxyCommand %s printed nothing: it must print the proxy token on stdout", userinput.Quote(strings.Join(a.cfg.ProxyCommand, " ")))
	}
	a.proxyTok = tok
	return tok, nil
}

func (a *authenticator) runBounded(ctx context.Context, argv []string) ([]byte, error) {
	ctx, cancel := a.bounded(ctx)
	defer cancel()
	return a.run(ctx, argv)
}

// bounded gives token work the same budget as one attempt.
func (a *authenticator) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if a.cfg.PerRetryTimeout > 0 {
		return context.WithTimeout(ctx, a.cfg.PerRetryTimeout)
	}
	return context.WithCancel(ctx)
}

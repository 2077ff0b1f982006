package adminclient

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"

	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
)

// LoginCommand is what the user types to log in again.
const LoginCommand = "flytedoctor auth login"

// LoginRequiredError says the cached token cannot be used or renewed and the user must log in.
type LoginRequiredError struct{ Reason string }

func (e *LoginRequiredError) Error() string {
	return e.Reason + ": log in again with '" + LoginCommand + "'"
}

// Token sources, for `flytedoctor auth status`.
const (
	SourceCache    = "flytedoctor's token cache"
	SourceKeyring  = "flytectl's keyring entry"
	SourceRefresh  = "refreshed with the refresh token"
	SourceLogin    = "a new login"
	SourceProvider = "the identity provider (client credentials)"
	SourceCommand  = "admin.command"
)

// publicClient is the OAuth2 public client flytectl's Pkce and DeviceFlow use: what Admin
// advertises, with the config's overrides.
type publicClient struct {
	cfg      oauth2.Config
	audience string
}

func (a *authenticator) interactive() bool {
	return a.cfg.AuthType == flyteconfig.AuthPkce || a.cfg.AuthType == flyteconfig.AuthDeviceFlow
}

func (a *authenticator) publicClient(ctx context.Context) (*publicClient, error) {
	if a.pc != nil {
		return a.pc, nil
	}
	pub := a.pub
	if pub == nil {
		p, err := a.meta.GetPublicClientConfig(ctx, &service.PublicClientAuthConfigRequest{})
		if err != nil {
			return nil, fmt.Errorf("ask flyteadmin for its public client (AuthMetadataService.GetPublicClientConfig): %w", err)
		}
		pub = p
	}
	md, err := a.oauthMetadata(ctx)
	if err != nil {
		return nil, err
	}
	pc := &publicClient{cfg: oauth2.Config{
		ClientID:    pub.GetClientId(),
		RedirectURL: pub.GetRedirectUri(),
		Scopes:      pub.GetScopes(),
		Endpoint: oauth2.Endpoint{
			AuthURL:       md.GetAuthorizationEndpoint(),
			TokenURL:      md.GetTokenEndpoint(),
			DeviceAuthURL: md.GetDeviceAuthorizationEndpoint(),
			// A public client has no secret: its id goes in the form, not in Basic auth.
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}, audience: pub.GetAudience()}
	c := a.cfg
	if c.ClientIDSet && c.ClientID != "" {
		pc.cfg.ClientID = c.ClientID
	}
	if len(c.Scopes) > 0 {
		pc.cfg.Scopes = c.Scopes
	}
	if c.TokenURL != "" {
		pc.cfg.Endpoint.TokenURL = c.TokenURL
	}
	if c.RedirectURI != "" {
		pc.cfg.RedirectURL = c.RedirectURI
	}
	if c.Audience != "" {
		pc.audience = c.Audience
	}
	if pc.cfg.ClientID == "" {
		return nil, errors.New("flyteadmin advertises no public client id: set admin.clientId to the client flytectl uses")
	}
	if pc.cfg.Endpoint.TokenURL == "" {
		return nil, errors.New("flyteadmin advertises no token endpoint: set admin.tokenUrl")
	}
	a.pc = pc
	return pc, nil
}

func (pc *publicClient) options() []oauth2.AuthCodeOption {
	if pc.audience == "" {
		return nil
	}
	return []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("audience", pc.audience)}
}

func (a *authenticator) oauthMetadata(ctx context.Context) (*service.OAuth2MetadataResponse, error) {
	if a.md != nil {
		return a.md, nil
	}
	md, err := a.meta.GetOAuth2Metadata(ctx, &service.OAuth2MetadataRequest{})
	if err != nil {
		return nil, fmt.Errorf("ask flyteadmin for its identity provider (AuthMetadataService.GetOAuth2Metadata): %w", err)
	}
	a.md = md
	return md, nil
}

func (a *authenticator) refreshTime() time.Duration {
	d := a.cfg.PkceConfig.RefreshTime
	if a.cfg.AuthType == flyteconfig.AuthDeviceFlow {
		d = a.cfg.DeviceFlowConfig.RefreshTime
	}
	return max(d, expiryDelta)
}

// fresh is true when t can be sent without refreshing it first.
func (a *authenticator) fresh(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	exp := expiry(t)
	return exp.IsZero() || a.now().Add(a.refreshTime()).Before(exp)
}

// userToken gets a Pkce or DeviceFlow token: the one in memory or in a cache if still fresh,
// else refreshed, else (when prev holds no refresh token) from a new login. prev is the token
// in use so far, nil at first.
func (a *authenticator) userToken(ctx context.Context, prev *oauth2.Token, force bool) (*oauth2.Token, error) {
	if a.loginErr != nil {
		return nil, a.loginErr // calls after a failed refresh do not start a login
	}
	pc, err := a.publicClient(ctx)
	if err != nil {
		return nil, err
	}
	if prev == nil && !a.cacheRead {
		a.cacheRead = true
		prev, a.source = a.loadCached(pc)
		if prev != nil && !force && a.fresh(prev) {
			return prev, nil
		}
	}
	if prev != nil && prev.RefreshToken != "" {
		return a.refresh(ctx, pc, prev)
	}
	if a.noLogin {
		return nil, &LoginRequiredError{Reason: "no usable Admin token is cached for " + pc.cfg.ClientID}
	}
	return a.login(ctx, pc)
}

// loadCached looks in flytedoctor's cache, then in flytectl's keyring.
func (a *authenticator) loadCached(pc *publicClient) (*oauth2.Token, string) {
	if a.cacheDir != "" {
		path := tokenFile(a.cacheDir, a.cfg.Endpoint, pc.cfg.ClientID)
		a.cachePath = path
		t, err := readTokenFile(path)
		switch {
		case err == nil:
			return t, SourceCache + " " + path
		case !errors.Is(err, fs.ErrNotExist):
			a.notes = append(a.notes, oneline.Clip(err.Error(), 300))
		}
	}
	if a.keyring != nil {
		s, err := a.keyring(FlytectlKeyringService, FlytectlKeyringUser(a.cfg.Endpoint))
		if err != nil {
			a.keyringNote = fmt.Sprintf("flytectl's keyring entry (service %q, user %q) could not be read: %s", FlytectlKeyringService, FlytectlKeyringUser(a.cfg.Endpoint), oneline.Clip(err.Error(), 300))
			return nil, ""
		}
		t, err := parseKeyringToken(s)
		if err != nil {
			a.keyringNote = err.Error()
			return nil, ""
		}
		return t, SourceKeyring
	}
	return nil, ""
}

func (a *authenticator) refresh(ctx context.Context, pc *publicClient, prev *oauth2.Token) (*oauth2.Token, error) {
	tctx, cancel := a.bounded(ctx)
	defer cancel()
	// No access token, so oauth2 refreshes whatever the clocks say.
	ts := pc.cfg.TokenSource(context.WithValue(tctx, oauth2.HTTPClient, a.httpClient), &oauth2.Token{RefreshToken: prev.RefreshToken})
	tok, err := ts.Token()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		a.loginErr = &LoginRequiredError{Reason: fmt.Sprintf("the Admin token has expired and refreshing it at %s failed (%s)", userinput.ClipPath(pc.cfg.Endpoint.TokenURL), oauthError(err))}
		return nil, a.loginErr
	}
	a.stats.refreshes.Add(1)
	a.source = SourceRefresh
	a.save(pc, tok)
	return tok, nil
}

func (a *authenticator) login(ctx context.Context, pc *publicClient) (*oauth2.Token, error) {
	var tok *oauth2.Token
	var err error
	if a.cfg.AuthType == flyteconfig.AuthDeviceFlow {
		tok, err = a.deviceFlow(ctx, pc)
	} else {
		tok, err = a.pkce(ctx, pc)
	}
	if err != nil {
		return nil, err
	}
	a.stats.logins.Add(1)
	a.source = SourceLogin + " (" + string(a.cfg.AuthType) + ")"
	a.save(pc, tok)
	return tok, nil
}

// save writes flytedoctor's own cache (never flytectl's keyring). A token that cannot be
// saved still works for this run.
func (a *authenticator) save(pc *publicClient, tok *oauth2.Token) {
	if a.cacheDir == "" {
		return
	}
	path := tokenFile(a.cacheDir, a.cfg.Endpoint, pc.cfg.ClientID)
	a.cachePath = path
	err := writeTokenFile(path, cachedToken{Endpoint: a.cfg.Endpoint, ClientID: pc.cfg.ClientID,
		AuthType: string(a.cfg.AuthType), SavedAt: a.now().UTC(), Token: tok})
	if err != nil {
		fmt.Fprintf(a.prompt, "flytedoctor: the Admin token could not be saved to %s (%v): you will have to log in again next time\n", path, unwrapPath(err))
		return
	}
	a.saved = true
}

// pkce runs the authorization-code flow with PKCE (S256) through the user's browser and a
// listener on the redirect URI's loopback port.
func (a *authenticator) pkce(ctx context.Context, pc *publicClient) (*oauth2.Token, error) {
	if pc.cfg.Endpoint.AuthURL == "" {
		return nil, errors.New("flyteadmin advertises no authorization endpoint for Pkce: check Admin's auth config, or use authType DeviceFlow")
	}
	ru, err := url.Parse(pc.cfg.RedirectURL)
	if err != nil || ru.Scheme != "http" || ru.Host == "" {
		return nil, fmt.Errorf("the Pkce redirect URI %s is not an http://localhost:PORT/path URL: set flytedoctor.redirectUri", userinput.Quote(pc.cfg.RedirectURL))
	}
	host := ru.Hostname()
	switch host {
	case "localhost":
		host = "127.0.0.1"
	case "127.0.0.1", "::1":
	default:
		return nil, fmt.Errorf("the Pkce redirect URI %s is not on this machine (localhost or 127.0.0.1): set flytedoctor.redirectUri to an http://localhost:PORT/callback URL the identity provider accepts", userinput.Quote(pc.cfg.RedirectURL))
	}
	port := ru.Port()
	if port == "" {
		port = "80"
	}
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("the Pkce callback port %s (redirect URI %s) is in use by another program: stop it, or set flytedoctor.redirectUri to a free port the identity provider accepts", port, userinput.Quote(pc.cfg.RedirectURL))
		}
		return nil, fmt.Errorf("listen for the Pkce callback on %s: %v", net.JoinHostPort(host, port), unwrapNet(err))
	}

	verifier := oauth2.GenerateVerifier()
	state := randomString()
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, pc.options()...)
	authURL := pc.cfg.AuthCodeURL(state, opts...)

	type result struct {
		tok *oauth2.Token
		err error
	}
	done := make(chan result, 1)
	finish := func(r result) {
		select {
		case done <- r:
		default: // a second callback after the first
		}
	}
	path := ru.Path
	if path == "" {
		path = "/"
	}
	mux := http.NewServeMux()
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if q.Get("state") != state {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, "<h1>flytedoctor</h1><p>This login answer is not for the login flytedoctor started (state mismatch).</p>")
			finish(result{err: errors.New("the Pkce callback carried a state this login did not send (a stale or forged callback): run the command again")})
			return
		}
		if e := q.Get("error"); e != "" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, "<h1>flytedoctor</h1><p>Login refused: %s</p>", html.EscapeString(e))
			desc := ""
			if d := q.Get("error_description"); d != "" {
				desc = ": " + userinput.Quote(d)
			}
			finish(result{err: fmt.Errorf("the identity provider refused the login (%s%s): log in again with '%s' and grant access", userinput.Quote(e), desc, LoginCommand)})
			return
		}
		code := q.Get("code")
		if code == "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, "<h1>flytedoctor</h1><p>No authorization code in the callback.</p>")
			finish(result{err: errors.New("the Pkce callback carried no authorization code")})
			return
		}
		xctx, cancel := a.bounded(r.Context())
		defer cancel()
		xopts := append([]oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}, pc.options()...)
		tok, err := pc.cfg.Exchange(context.WithValue(xctx, oauth2.HTTPClient, a.httpClient), code, xopts...)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<h1>flytedoctor</h1><p>The token exchange failed; see the terminal.</p>")
			finish(result{err: fmt.Errorf("exchange the authorization code at %s for client %s: %s: check admin.clientId", userinput.ClipPath(pc.cfg.Endpoint.TokenURL), userinput.Quote(pc.cfg.ClientID), oauthError(err))})
			return
		}
		fmt.Fprint(w, "<h1>flytedoctor</h1><p>Logged in to Flyte Admin. You can close this tab.</p>")
		finish(result{tok: tok})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	// Shutdown, not Close: the handler that delivered the code is still writing the browser's
	// page when the login returns, and Close would cut it off (the browser sees EOF).
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	timeout := a.cfg.PkceConfig.Timeout
	if timeout <= 0 {
		timeout = flyteconfig.DefaultPkceTimeout
	}
	fmt.Fprintf(a.prompt, "flytedoctor: log in to Flyte Admin (%s, client %s) in a browser:\n  %s\n", a.cfg.AuthType, pc.cfg.ClientID, authURL)
	if err := a.openBrowser(authURL); err != nil {
		fmt.Fprintf(a.prompt, "flytedoctor: no browser opened (%s); open the URL above yourself\n", oneline.Clip(err.Error(), 300))
	}
	fmt.Fprintf(a.prompt, "flytedoctor: waiting up to %s for the login to reach %s (over SSH, forward the port: ssh -L %s:localhost:%s HOST)\n", timeout, pc.cfg.RedirectURL, port, port)

	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case r := <-done:
		return r.tok, r.err
	case <-wctx.Done():
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("no Pkce login completed within %s (admin.pkceConfig.timeout): open the printed URL and log in, or raise admin.pkceConfig.timeout", timeout)
	}
}

// deviceFlow runs RFC 8628 device authorization: the user approves on any device while we poll.
func (a *authenticator) deviceFlow(ctx context.Context, pc *publicClient) (*oauth2.Token, error) {
	if pc.cfg.Endpoint.DeviceAuthURL == "" {
		return nil, errors.New("flyteadmin advertises no device authorization endpoint: its identity provider may not support DeviceFlow; use authType Pkce")
	}
	timeout := a.cfg.DeviceFlowConfig.Timeout
	if timeout <= 0 {
		timeout = flyteconfig.DefaultDeviceFlowTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hctx := context.WithValue(dctx, oauth2.HTTPClient, a.httpClient)
	da, err := pc.cfg.DeviceAuth(hctx, pc.options()...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("start the device login at %s for client %s: %s: check admin.clientId", userinput.ClipPath(pc.cfg.Endpoint.DeviceAuthURL), userinput.Quote(pc.cfg.ClientID), oauthError(err))
	}
	if da.Interval <= 0 {
		da.Interval = int64(max(a.cfg.DeviceFlowConfig.PollInterval, time.Second) / time.Second)
	}
	fmt.Fprintf(a.prompt, "flytedoctor: log in to Flyte Admin (DeviceFlow, client %s): open %s and enter the code %s\n", pc.cfg.ClientID, da.VerificationURI, da.UserCode)
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(a.prompt, "  or open %s\n", da.VerificationURIComplete)
	}
	fmt.Fprintf(a.prompt, "flytedoctor: waiting up to %s for the approval (checking every %ds)\n", timeout, da.Interval)
	started := time.Now()
	tok, err := pc.cfg.DeviceAccessToken(hctx, da, pc.options()...)
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.As(err, &re) && re.ErrorCode == "access_denied":
		return nil, fmt.Errorf("the device login was denied at %s: log in again with '%s' and approve it", da.VerificationURI, LoginCommand)
	case errors.As(err, &re) && re.ErrorCode == "expired_token",
		!da.Expiry.IsZero() && !time.Now().Before(da.Expiry):
		return nil, fmt.Errorf("the device code expired before the login was approved (after %s): log in again with '%s' and approve within the time shown", time.Since(started).Round(time.Second), LoginCommand)
	case dctx.Err() != nil:
		return nil, fmt.Errorf("the device login was not approved within %s (admin.deviceFlowConfig.timeout): approve it sooner or raise the timeout", timeout)
	default:
		return nil, fmt.Errorf("device login at %s: %s", userinput.ClipPath(pc.cfg.Endpoint.TokenURL), oauthError(err))
	}
}

// oauthError is the error code and description of an OAuth2 error reply, or the error.
func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		s := re.ErrorCode
		if re.ErrorDescription != "" {
			s += ": " + re.ErrorDescription
		}
		return oneline.Clip(s, 300)
	}
	return oneline.Clip(err.Error(), 300)
}

func unwrapNet(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// errNoBrowser: nothing to open a browser with (no display, no $BROWSER).
var errNoBrowser = errors.New("no display and no $BROWSER")

// OpenBrowser opens url with $BROWSER, or xdg-open / open / the Windows URL handler when
// there is a display. It does not wait for the browser.
func OpenBrowser(getenv func(string) string) func(url string) error {
	return func(u string) error {
		var argv []string
		switch b := getenv("BROWSER"); {
		case b != "":
			argv = append(strings.Fields(strings.Split(b, ":")[0]), u)
		case runtime.GOOS == "darwin":
			argv = []string{"open", u}
		case runtime.GOOS == "windows":
			argv = []string{"rundll32", "url.dll,FileProtocolHandler", u}
		case getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "":
			return errNoBrowser
		default:
			argv = []string{"xdg-open", u}
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = nil, nil
		if err := cmd.Start(); err != nil {
			return err
		}
		go func() { _ = cmd.Wait() }()
		return nil
	}
}

// proxyAuthTransport sends the admin.proxyCommand token with the OAuth2 calls too, as
// flytectl does, so an identity provider behind the same proxy is reachable.
type proxyAuthTransport struct {
	base http.RoundTripper
	a    *authenticator
}

func (t proxyAuthTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tok, err := t.a.proxyToken(r.Context())
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set(ProxyAuthorizationHeader, "Bearer "+tok)
	return t.base.RoundTrip(r)
}

// proxyURL parses admin.httpProxyURL (checked when the config was read).
func proxyURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("admin.httpProxyURL %s is not a proxy URL: use one such as http://proxy.example.com:3128", userinput.Quote(s))
	}
	return u, nil
}

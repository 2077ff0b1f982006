package adminclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/internal/testoidc"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

// authEnv is a real OpenID provider and a fake Admin that advertises it and requires its tokens.
type authEnv struct {
	t        *testing.T
	op       *testoidc.Provider
	addr     string
	admin    *fakeadmin.Server
	redirect string
	port     string
	cacheDir string
}

type envOpts struct {
	op    testoidc.Options
	fault func(method string, req proto.Message) error
}

func newAuthEnv(t *testing.T, o envOpts) *authEnv {
	t.Helper()
	p := testoidc.Start(t, o.op)
	port := freePort(t)
	e := &authEnv{t: t, op: p, port: port, redirect: "http://localhost:" + port + "/callback", cacheDir: t.TempDir()}
	e.admin = fakeadmin.New(nil, fakeadmin.Options{Fault: o.fault, Auth: &fakeadmin.Auth{
		Metadata: &service.OAuth2MetadataResponse{
			Issuer: p.Issuer, AuthorizationEndpoint: p.AuthorizationEndpoint(), TokenEndpoint: p.TokenEndpoint(),
			DeviceAuthorizationEndpoint: p.DeviceEndpoint(), JwksUri: p.JWKSURI(),
			CodeChallengeMethodsSupported: []string{"S256"}, GrantTypesSupported: []string{"authorization_code", "refresh_token"},
		},
		PublicClient: &service.PublicClientAuthConfigResponse{
			ClientId: p.ClientID, RedirectUri: e.redirect, Scopes: []string{"openid", "profile", "offline_access"},
			AuthorizationMetadataKey: "flyte-authorization",
		},
		Verify: func(ctx context.Context, tok string) (fakeadmin.Identity, error) {
			c, err := p.Verify(ctx, tok)
			return fakeadmin.Identity{Subject: c.Subject, Expiry: c.Expiry}, err
		},
	}})
	addr, stop, err := e.admin.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	e.addr = addr
	return e
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

func (e *authEnv) cfg(authType flyteconfig.AuthType) flyteconfig.Admin {
	c := cfg(e.addr)
	c.AuthType = authType
	c.PkceConfig.Timeout = 20 * time.Second
	c.PkceConfig.RefreshTime = time.Minute // the provider's tokens live 5 minutes
	c.DeviceFlowConfig.RefreshTime = time.Minute
	return c
}

// prompt collects what flytedoctor tells the user and hands each write to a waiter.
type prompt struct {
	mu     sync.Mutex
	text   strings.Builder
	writes chan string
}

func newPrompt() *prompt { return &prompt{writes: make(chan string, 64)} }

func (p *prompt) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.text.Write(b)
	p.mu.Unlock()
	select {
	case p.writes <- string(b):
	default:
	}
	return len(b), nil
}

func (p *prompt) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.text.String()
}

// wait returns the first submatch of re in a write, or fails after 20s.
func (p *prompt) wait(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case w := <-p.writes:
			if m := re.FindStringSubmatch(w); m != nil {
				return m[1]
			}
		case <-timeout:
			t.Fatalf("no %s in the prompt: %s", re, p.String())
		}
	}
}

// browser is the user's side of Pkce: it follows the URL, logs in (or denies) and lands on
// the callback, as a browser would.
type browser struct {
	t      *testing.T
	op     *testoidc.Provider
	deny   bool
	mu     sync.Mutex
	opened []string
	done   chan error
}

func newBrowser(t *testing.T, op *testoidc.Provider) *browser {
	return &browser{t: t, op: op, done: make(chan error, 4)}
}

func (b *browser) open(u string) error {
	b.mu.Lock()
	b.opened = append(b.opened, u)
	b.mu.Unlock()
	go func() {
		_, err := b.op.User(context.Background(), u, b.deny)
		b.done <- err
	}()
	return nil
}

func (b *browser) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.opened)
}

func (e *authEnv) dial(o adminclient.Options) *adminclient.Conn {
	e.t.Helper()
	if o.TokenCacheDir == "" {
		o.TokenCacheDir = e.cacheDir
	}
	if o.Prompt == nil {
		o.Prompt = newPrompt()
	}
	return dial(e.t, o)
}

// First login with Pkce, then a second run that reuses the cached token without asking the
// provider anything.
func TestPkceLoginThenCachedToken(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	b := newBrowser(t, e.op)
	pr := newPrompt()
	c := e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open, Prompt: pr})
	if err := getVersion(c); err != nil {
		t.Fatalf("GetVersion with Pkce: %v", err)
	}
	if err := <-b.done; err != nil {
		t.Fatalf("browser: %v", err)
	}
	if s := c.Stats(); s.Logins != 1 || s.Refreshes != 0 {
		t.Errorf("stats %+v, want 1 login", s)
	}
	if g := e.op.Grants(); g["authorization_code"] != 1 {
		t.Errorf("grants %v, want one authorization_code exchange", g)
	}
	authURL := b.opened[0]
	for _, want := range []string{"code_challenge_method=S256", "code_challenge=", "state=", "client_id=flytectl", "redirect_uri=http%3A%2F%2Flocalhost%3A" + e.port} {
		if !strings.Contains(authURL, want) {
			t.Errorf("auth URL %s lacks %s", authURL, want)
		}
	}
	if !strings.Contains(pr.String(), authURL) {
		t.Errorf("the URL is not printed: %q", pr.String())
	}
	info, err := c.Authenticate(context.Background())
	if err != nil || info.Subject != testoidc.UserID || !strings.HasPrefix(info.Source, adminclient.SourceLogin) || !info.Saved {
		t.Errorf("info %+v, %v", info, err)
	}
	st, err := os.Stat(info.CachePath)
	if err != nil || st.Mode().Perm() != 0o600 || !strings.HasPrefix(info.CachePath, e.cacheDir) {
		t.Fatalf("cache file %s: %v %v", info.CachePath, st, err)
	}

	before := e.op.Requests()
	c2 := e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open})
	if err := getVersion(c2); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if n := e.op.Requests() - before; n != 0 {
		t.Errorf("second run made %d requests to the provider, want 0", n)
	}
	if s := c2.Stats(); s.Logins != 0 || s.Refreshes != 0 || b.count() != 1 {
		t.Errorf("second run stats %+v, browser opened %d times", s, b.count())
	}
	info2, _ := c2.Authenticate(context.Background())
	if !strings.HasPrefix(info2.Source, adminclient.SourceCache) {
		t.Errorf("second run source %q", info2.Source)
	}
}

// An expired cached token is refreshed with the refresh token, without a login.
func TestPkceExpiredTokenRefreshed(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	b := newBrowser(t, e.op)
	if err := getVersion(e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open})); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().Add(10 * time.Minute)} // past the 5-minute access token
	c := e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open, Now: clk.now})
	if err := getVersion(c); err != nil {
		t.Fatalf("GetVersion after expiry: %v", err)
	}
	if s := c.Stats(); s.Refreshes != 1 || s.Logins != 0 || b.count() != 1 {
		t.Errorf("stats %+v, browser %d, want one refresh and no login", s, b.count())
	}
	if g := e.op.Grants(); g["refresh_token"] != 1 {
		t.Errorf("grants %v", g)
	}
	// The refreshed token was saved: a third run needs nothing (the provider's clock is the
	// real one, so its new token is fresh now).
	before := e.op.Requests()
	if err := getVersion(e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce)})); err != nil || e.op.Requests() != before {
		t.Errorf("third run: %v, %d provider requests", err, e.op.Requests()-before)
	}
}

// A revoked refresh token gives one line that says to log in again; no browser is opened.
func TestPkceRefreshTokenRevoked(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	b := newBrowser(t, e.op)
	if err := getVersion(e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open})); err != nil {
		t.Fatal(err)
	}
	if err := e.op.RevokeRefreshTokens(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().Add(10 * time.Minute)}
	err := getVersion(e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open, Now: clk.now}))
	var lr *adminclient.LoginRequiredError
	if !errors.As(err, &lr) {
		t.Fatalf("got %v, want LoginRequiredError", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "refreshing it") || !strings.Contains(msg, "invalid_grant") ||
		!strings.HasSuffix(msg, "log in again with 'flytedoctor auth login'") {
		t.Errorf("message %q", msg)
	}
	if b.count() != 1 {
		t.Errorf("browser opened %d times, want only the first login", b.count())
	}
}

// Admin still rejecting the token after a refresh says so in one line.
func TestTokenRejectedAfterRefresh(t *testing.T) {
	var reject sync.Map
	e := newAuthEnv(t, envOpts{fault: func(method string, _ proto.Message) error {
		if _, ok := reject.Load("on"); ok {
			return status.Error(codes.Unauthenticated, "token parse error [JWT_VERIFICATION_FAILED] audience mismatch")
		}
		return nil
	}})
	b := newBrowser(t, e.op)
	if err := getVersion(e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open})); err != nil {
		t.Fatal(err)
	}
	reject.Store("on", true)
	c := e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open})
	err := getVersion(c)
	var lr *adminclient.LoginRequiredError
	if !errors.As(err, &lr) || !strings.Contains(err.Error(), "rejected the token even after it was renewed (token parse error") ||
		!strings.Contains(err.Error(), "flytedoctor auth login") {
		t.Fatalf("got %v", err)
	}
	if s := c.Stats(); s.Refreshes != 1 || s.Logins != 0 {
		t.Errorf("stats %+v", s)
	}
}

// The user denies consent: the callback's error= is reported in one line.
func TestPkceUserDenies(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	b := newBrowser(t, e.op)
	b.deny = true
	err := getVersion(e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open}))
	if err == nil || !strings.Contains(err.Error(), `the identity provider refused the login ("access_denied": "the user denied access")`) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v", err)
	}
	if g := e.op.Grants(); g["authorization_code"] != 0 {
		t.Errorf("grants %v", g)
	}
}

// A client id the provider does not know: the browser gets the provider's error page and the
// login times out with a message naming the config key.
func TestPkceWrongClientID(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	b := newBrowser(t, e.op)
	c := e.cfg(flyteconfig.AuthPkce)
	c.ClientID, c.ClientIDSet = "no-such-client", true
	c.PkceConfig.Timeout = 2 * time.Second
	start := time.Now()
	err := getVersion(e.dial(adminclient.Options{Config: c, OpenBrowser: b.open}))
	if err == nil || !strings.Contains(err.Error(), "no Pkce login completed within 2s (admin.pkceConfig.timeout)") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	if berr := <-b.done; berr == nil || !strings.Contains(berr.Error(), "no login form") {
		t.Errorf("browser: %v", berr)
	}
	if !strings.Contains(b.opened[0], "client_id=no-such-client") {
		t.Errorf("auth URL %s", b.opened[0])
	}
}

// The callback port taken by another program: one line naming the port and the config key.
func TestPkceCallbackPortBusy(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	l, err := net.Listen("tcp", "127.0.0.1:"+e.port)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	b := newBrowser(t, e.op)
	err = getVersion(e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open}))
	want := fmt.Sprintf("the Pkce callback port %s (redirect URI %q) is in use by another program: stop it, or set flytedoctor.redirectUri", e.port, e.redirect)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if b.count() != 0 {
		t.Error("a browser was opened")
	}
	// flytedoctor.redirectUri moves the listener; the provider accepts any loopback port.
	c := e.cfg(flyteconfig.AuthPkce)
	c.RedirectURI = "http://localhost:" + freePort(t) + "/callback"
	if err := getVersion(e.dial(adminclient.Options{Config: c, OpenBrowser: b.open})); err != nil {
		t.Fatalf("with flytedoctor.redirectUri: %v", err)
	}
}

// A callback whose state is not the one sent is refused.
func TestPkceStateChecked(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	got := make(chan int, 1)
	forged := func(u string) error {
		go func() {
			resp, err := http.Get(e.redirect + "?code=stolen&state=forged")
			if err != nil {
				got <- 0
				return
			}
			resp.Body.Close()
			got <- resp.StatusCode
		}()
		return nil
	}
	err := getVersion(e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: forged}))
	if err == nil || !strings.Contains(err.Error(), "carried a state this login did not send") {
		t.Fatalf("got %v", err)
	}
	if code := <-got; code != http.StatusBadRequest {
		t.Errorf("callback answered %d", code)
	}
	if g := e.op.Grants(); g["authorization_code"] != 0 {
		t.Errorf("a forged code was exchanged: %v", g)
	}
}

// Nobody logs in: the timeout ends the wait with a message.
func TestPkceTimeout(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	c := e.cfg(flyteconfig.AuthPkce)
	c.PkceConfig.Timeout = 500 * time.Millisecond
	pr := newPrompt()
	start := time.Now()
	err := getVersion(e.dial(adminclient.Options{Config: c, Prompt: pr})) // no browser here
	if err == nil || err.Error() != "no Pkce login completed within 500ms (admin.pkceConfig.timeout): open the printed URL and log in, or raise admin.pkceConfig.timeout" {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
	if !strings.Contains(pr.String(), e.op.AuthorizationEndpoint()+"?") || !strings.Contains(pr.String(), "no browser opened") {
		t.Errorf("prompt %q", pr.String())
	}
}

var userCodeRE = regexp.MustCompile(`enter the code (\S+)`)

// DeviceFlow: the code on stderr, the user approves elsewhere, polling backs off on slow_down.
func TestDeviceFlowWithSlowDown(t *testing.T) {
	e := newAuthEnv(t, envOpts{op: testoidc.Options{SlowDown: 1}})
	pr := newPrompt()
	c := e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthDeviceFlow), Prompt: pr})
	start := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- getVersion(c) }()
	code := pr.wait(t, userCodeRE)
	if err := e.op.ApproveDevice(context.Background(), code, false); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("GetVersion with DeviceFlow: %v", err)
	}
	elapsed := time.Since(start)
	g := e.op.Grants()
	// Poll 1 at 1s gets slow_down, so the next comes 1+5 s later and gets the token.
	if g["urn:ietf:params:oauth:grant-type:device_code"] != 2 || elapsed < 6*time.Second || elapsed > 12*time.Second {
		t.Errorf("grants %v after %s, want 2 polls 6s apart", g, elapsed)
	}
	if !strings.Contains(pr.String(), "open "+e.op.Issuer+"/device and enter the code "+code) {
		t.Errorf("prompt %q", pr.String())
	}
	info, _ := c.Authenticate(context.Background())
	if info.Subject != testoidc.UserID || !info.Saved {
		t.Errorf("info %+v", info)
	}
	// Cached for the next run.
	before := e.op.Requests()
	if err := getVersion(e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthDeviceFlow)})); err != nil || e.op.Requests() != before {
		t.Errorf("second run: %v, %d provider requests", err, e.op.Requests()-before)
	}
}

// The device code expires before anyone approves it.
func TestDeviceCodeExpired(t *testing.T) {
	e := newAuthEnv(t, envOpts{op: testoidc.Options{DeviceLifetime: 2 * time.Second}})
	start := time.Now()
	err := getVersion(e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthDeviceFlow)}))
	if err == nil || !strings.Contains(err.Error(), "the device code expired before the login was approved") || !strings.Contains(err.Error(), "flytedoctor auth login") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

// DeviceFlow with a client id the provider does not know fails at once, naming admin.clientId.
func TestDeviceFlowWrongClientID(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	c := e.cfg(flyteconfig.AuthDeviceFlow)
	c.ClientID, c.ClientIDSet = "no-such-client", true
	err := getVersion(e.dial(adminclient.Options{Config: c}))
	if err == nil || !strings.Contains(err.Error(), `for client "no-such-client"`) || !strings.Contains(err.Error(), "check admin.clientId") {
		t.Fatalf("got %v", err)
	}
}

// A token flytectl left in the keyring is used (read-only) so no login is needed.
func TestFlytectlKeyringTokenReused(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	b := newBrowser(t, e.op)
	c := e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open})
	if err := getVersion(c); err != nil {
		t.Fatal(err)
	}
	info, _ := c.Authenticate(context.Background())
	raw, err := os.ReadFile(info.CachePath)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Token json.RawMessage `json:"token"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	var asked []string
	kr := func(svc, user string) (string, error) {
		asked = append(asked, svc+"|"+user)
		return string(file.Token), nil // flytectl stores the oauth2.Token JSON
	}
	empty := t.TempDir()
	c2 := e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open, Keyring: kr, TokenCacheDir: empty})
	if err := getVersion(c2); err != nil {
		t.Fatal(err)
	}
	if want := "flytectl|" + e.addr + ":flytectl-user"; len(asked) != 1 || asked[0] != want {
		t.Errorf("keyring asked %v, want %s", asked, want)
	}
	info2, _ := c2.Authenticate(context.Background())
	if info2.Source != adminclient.SourceKeyring || c2.Stats().Logins != 0 || b.count() != 1 {
		t.Errorf("info %+v stats %+v", info2, c2.Stats())
	}
	if _, err := os.Stat(filepath.Join(empty, "tokens")); err == nil {
		t.Error("a keyring token that needed nothing was copied into the cache")
	}

	// An unreachable keyring is noted and the login goes on.
	c3 := e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open, TokenCacheDir: t.TempDir(),
		Keyring: adminclient.ReadKeyring(func(string) string { return "" })})
	if err := getVersion(c3); err != nil {
		t.Fatal(err)
	}
	info3, _ := c3.Authenticate(context.Background())
	if !strings.Contains(info3.KeyringNote, "no D-Bus session bus") || c3.Stats().Logins != 1 {
		t.Errorf("info %+v", info3)
	}
}

// Logout removes the cached token; the next run logs in again.
func TestLoginLogout(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	b := newBrowser(t, e.op)
	c := e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), OpenBrowser: b.open})
	info, err := c.Login(context.Background())
	if err != nil || info.Subject != testoidc.UserID {
		t.Fatalf("Login: %+v %v", info, err)
	}
	path, removed, err := c.Logout(context.Background())
	if err != nil || !removed || path != info.CachePath {
		t.Fatalf("Logout: %s %v %v", path, removed, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("token file still there: %v", err)
	}
	c2 := e.dial(adminclient.Options{Config: e.cfg(flyteconfig.AuthPkce), NoLogin: true})
	err = getVersion(c2)
	var lr *adminclient.LoginRequiredError
	if !errors.As(err, &lr) {
		t.Errorf("after logout with NoLogin: %v", err)
	}
}

// proxyCommand's token goes with the identity provider calls too, and httpProxyURL carries
// them: here the "proxy" is a forwarding server on 127.0.0.1 that records what it relays.
func TestProviderCallsUseProxySettings(t *testing.T) {
	e := newAuthEnv(t, envOpts{})
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path+" "+r.Header.Get("Proxy-Authorization"))
		mu.Unlock()
		// A forward proxy gets the absolute URL; relay it.
		out, _ := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), r.Body)
		out.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer proxy.Close()
	c := e.cfg(flyteconfig.AuthDeviceFlow)
	c.ProxyCommand = []string{"proxy-token"}
	c.HTTPProxyURL = proxy.URL
	pr := newPrompt()
	// No HTTPClient: Dial builds its own with the proxy settings (http.ProxyURL is used for
	// every host, loopback included, unlike the environment's proxy).
	conn, err := adminclient.Dial(context.Background(), adminclient.Options{Config: c, Prompt: pr, TokenCacheDir: e.cacheDir,
		Getenv: func(string) string { return "" }, Sleep: (&sleeps{}).sleep,
		RunCommand: func(context.Context, []string) ([]byte, error) { return []byte("ptok"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	errc := make(chan error, 1)
	go func() { errc <- getVersion(conn) }()
	if err := e.op.ApproveDevice(context.Background(), pr.wait(t, userCodeRE), false); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || seen[0] != "/device_authorization Bearer ptok" || !strings.HasPrefix(seen[len(seen)-1], "/oauth/token Bearer ptok") {
		t.Errorf("through the proxy: %q", seen)
	}
}

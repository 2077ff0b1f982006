package cli

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
	"github.com/flytedoctor/flytedoctor/internal/testoidc"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

// oidcAdmin is the test provider and a fake Admin with auth on that advertises it.
type oidcAdmin struct {
	op       *testoidc.Provider
	addr     string
	redirect string
	cacheDir string
}

func startOIDCAdmin(t *testing.T, o testoidc.Options) *oidcAdmin {
	t.Helper()
	p := testoidc.Start(t, o)
	port := freeTCPPort(t)
	e := &oidcAdmin{op: p, redirect: "http://localhost:" + port + "/callback", cacheDir: t.TempDir()}
	e.addr = startAdminOpts(t, fakeadmin.Options{Auth: &fakeadmin.Auth{
		Metadata: &service.OAuth2MetadataResponse{Issuer: p.Issuer, AuthorizationEndpoint: p.AuthorizationEndpoint(),
			TokenEndpoint: p.TokenEndpoint(), DeviceAuthorizationEndpoint: p.DeviceEndpoint(), JwksUri: p.JWKSURI()},
		PublicClient: &service.PublicClientAuthConfigResponse{ClientId: p.ClientID, RedirectUri: e.redirect,
			Scopes: []string{"openid", "profile", "offline_access"}, AuthorizationMetadataKey: "flyte-authorization"},
		Verify: func(ctx context.Context, tok string) (fakeadmin.Identity, error) {
			c, err := p.Verify(ctx, tok)
			return fakeadmin.Identity{Subject: c.Subject, Name: "Test User"}, err
		},
	}})
	return e
}

func freeTCPPort(t *testing.T) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strings.TrimPrefix(l.Addr().String()[strings.LastIndex(l.Addr().String(), ":"):], ":")
}

// lines hands each stderr write to a waiter, so the test can act as the user on what it reads.
type lines struct {
	mu  sync.Mutex
	buf strings.Builder
	ch  chan string
}

func (l *lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	l.buf.Write(b)
	l.mu.Unlock()
	select {
	case l.ch <- string(b):
	default:
	}
	return len(b), nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// authFactory wires the test's browser, token cache and stderr into the production options.
func (e *oidcAdmin) factory(t *testing.T, cfgBody string, browse func(string) error) (*Factory, *lines, func() string) {
	t.Helper()
	path := writeConfig(t, cfgBody)
	f, out, _ := testFactory(t, map[string]string{"FLYTECTL_CONFIG": path})
	prompt := &lines{ch: make(chan string, 64)}
	f.IO.ErrOut = prompt
	f.AdminOptions = func(cfg *flyteconfig.Config) adminclient.Options {
		o := defaultAdminOptions(f, cfg)
		o.TokenCacheDir = e.cacheDir
		o.Keyring = nil // the machine's keyring is not the test's
		o.OpenBrowser = browse
		o.HTTPClient = testnet.New(t).HTTPClient()
		return o
	}
	return f, prompt, out.String
}

func (e *oidcAdmin) config(authType string) string {
	return "admin:\n  endpoint: dns:///" + e.addr + "\n  insecure: true\n  authType: " + authType +
		"\n  pkceConfig:\n    timeout: 20s\n    refreshTime: 1m\n  deviceFlowConfig:\n    refreshTime: 1m\nproject: flytesnacks\ndomain: development\n"
}

func (e *oidcAdmin) browser(t *testing.T) (func(string) error, func() int) {
	var mu sync.Mutex
	n := 0
	return func(u string) error {
			mu.Lock()
			n++
			mu.Unlock()
			go func() {
				if _, err := e.op.User(context.Background(), u, false); err != nil {
					t.Errorf("browser: %v", err)
				}
			}()
			return nil
		}, func() int {
			mu.Lock()
			defer mu.Unlock()
			return n
		}
}

// With authType Pkce, `flytedoctor EXECUTION` logs in against the provider and diagnoses; the
// next run uses the cached token.
func TestDiagnoseWithPkceLogin(t *testing.T) {
	e := startOIDCAdmin(t, testoidc.Options{})
	browse, opened := e.browser(t)
	f, prompt, out := e.factory(t, e.config("Pkce"), browse)
	if code := run(f, "failedrun"); code != ExitErrors {
		t.Fatalf("exit %d; stderr: %s", code, prompt)
	}
	if !strings.Contains(out(), "flytesnacks/development/failedrun  FAILED") || !strings.Contains(out(), "ContainersNotReady|ImagePullBackOff") {
		t.Errorf("output:\n%s", out())
	}
	if !strings.Contains(prompt.String(), "log in to Flyte Admin (Pkce, client flytectl) in a browser:\n  "+e.op.AuthorizationEndpoint()+"?") {
		t.Errorf("stderr: %s", prompt)
	}
	f2, prompt2, out2 := e.factory(t, e.config("Pkce"), browse)
	before := e.op.Requests()
	if code := run(f2, "failedrun"); code != ExitErrors || opened() != 1 || e.op.Requests() != before {
		t.Errorf("second run: exit %d, browser opened %d, %d provider requests; stderr %s", code, opened(), e.op.Requests()-before, prompt2)
	}
	if !strings.Contains(out2(), "failedrun  FAILED") || prompt2.String() != "" {
		t.Errorf("second run output %q stderr %q", out2(), prompt2)
	}
}

var codeRE = regexp.MustCompile(`enter the code (\S+)`)

// With authType DeviceFlow the code is on stderr; the user approves it elsewhere.
func TestDiagnoseWithDeviceFlowLogin(t *testing.T) {
	e := startOIDCAdmin(t, testoidc.Options{})
	f, prompt, out := e.factory(t, e.config("DeviceFlow"), nil)
	done := make(chan int, 1)
	go func() { done <- run(f, "failedrun") }()
	var code string
	timeout := time.After(20 * time.Second)
	for code == "" {
		select {
		case w := <-prompt.ch:
			if m := codeRE.FindStringSubmatch(w); m != nil {
				code = m[1]
			}
		case <-timeout:
			t.Fatalf("no user code on stderr: %s", prompt)
		}
	}
	if err := e.op.ApproveDevice(context.Background(), code, false); err != nil {
		t.Fatal(err)
	}
	if c := <-done; c != ExitErrors {
		t.Fatalf("exit %d; stderr %s", c, prompt)
	}
	if !strings.Contains(out(), "failedrun  FAILED") {
		t.Errorf("output:\n%s", out())
	}
}

// auth login / status / logout, and a revoked refresh token reported in one line.
func TestAuthCommands(t *testing.T) {
	e := startOIDCAdmin(t, testoidc.Options{})
	browse, _ := e.browser(t)
	f, prompt, out := e.factory(t, e.config("Pkce"), browse)
	if code := run(f, "auth", "login"); code != ExitOK {
		t.Fatalf("login exit %d: %s", code, prompt)
	}
	if !strings.Contains(out(), "Logged in to dns:///"+e.addr+" with Pkce as "+testoidc.UserID) || !strings.Contains(out(), "Token saved to "+e.cacheDir) {
		t.Errorf("login output %q", out())
	}

	f, prompt, out = e.factory(t, e.config("Pkce"), browse)
	if code := run(f, "auth", "whoami"); code != ExitOK {
		t.Fatalf("status exit %d: %s", code, prompt)
	}
	for _, want := range []string{
		"Flyte Admin  dns:///" + e.addr,
		"auth        Pkce, client flytectl, header flyte-authorization",
		"token       from flytedoctor's token cache " + e.cacheDir,
		"user        " + testoidc.UserID + " (Test User)",
		"Kubernetes   none: no kubeconfig in this test",
		"AWS          none:",
	} {
		if !strings.Contains(out(), want) {
			t.Errorf("status lacks %q:\n%s", want, out())
		}
	}

	f, _, out = e.factory(t, e.config("Pkce"), browse)
	if code := run(f, "auth", "logout"); code != ExitOK || !strings.HasPrefix(out(), "Removed "+e.cacheDir) {
		t.Errorf("logout: %d %q", code, out())
	}
	f, _, _ = e.factory(t, e.config("Pkce"), func(string) error { return errors.New("status must not log in") })
	if code := run(f, "auth", "status", "--skip-nothing"); code != ExitUsage {
		t.Errorf("unknown flag: exit %d", code)
	}
	f, _, out = e.factory(t, e.config("Pkce"), func(string) error { t.Error("status started a login"); return nil })
	run(f, "auth", "status")
	if !strings.Contains(out(), "token       none usable: no usable Admin token is cached for flytectl: log in again with 'flytedoctor auth login'") {
		t.Errorf("status after logout:\n%s", out())
	}
}

// An expired token whose refresh token was revoked: `flytedoctor EXECUTION` says to log in again.
func TestDiagnoseRefreshTokenRevoked(t *testing.T) {
	e := startOIDCAdmin(t, testoidc.Options{})
	browse, opened := e.browser(t)
	f, prompt, _ := e.factory(t, e.config("Pkce"), browse)
	if code := run(f, "auth", "login"); code != ExitOK {
		t.Fatalf("login: %s", prompt)
	}
	if err := e.op.RevokeRefreshTokens(context.Background()); err != nil {
		t.Fatal(err)
	}
	f, prompt, _ = e.factory(t, e.config("Pkce"), browse)
	base := f.AdminOptions
	f.AdminOptions = func(cfg *flyteconfig.Config) adminclient.Options {
		o := base(cfg)
		o.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
		return o
	}
	code := run(f, "failedrun")
	msg := prompt.String()
	if code != ExitFailure || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "refreshing it at") ||
		!strings.Contains(msg, "log in again with 'flytedoctor auth login'") || opened() != 1 {
		t.Errorf("exit %d, stderr %q", code, msg)
	}
}

// Package testoidc starts a real OpenID Connect provider on 127.0.0.1 for tests: zitadel/oidc's
// op package (authorization code + PKCE, refresh tokens, device authorization, JWT access
// tokens, JWKS) over the in-memory storage of its example, with a small login UI of our own
// that a plain HTTP client can drive (or deny), so no browser is needed.
package testoidc

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// The user the login form accepts (the example storage's first user).
const (
	UserID   = "id1"
	Password = "verysecure"
)

// Options tune a Provider.
type Options struct {
	// ClientID is the public client flytectl would use (default "flytectl").
	ClientID string
	// RedirectURIs registered for ClientID; loopback URIs match any port (RFC 8252).
	RedirectURIs []string
	// DeviceLifetime and DevicePollInterval of device codes (defaults 5m and 1s).
	DeviceLifetime     time.Duration
	DevicePollInterval time.Duration
	// SlowDown answers this many device-code polls with slow_down before passing them on.
	SlowDown int
}

// Provider is a running OP.
type Provider struct {
	Issuer   string
	ClientID string
	Username string

	op       *op.Provider
	store    *clientStorage
	verifier *op.AccessTokenVerifier

	mu       sync.Mutex
	grants   map[string]int // token endpoint calls by grant_type
	requests int            // every HTTP request
	slowDown int
}

// Start serves a provider on 127.0.0.1 until the test ends.
func Start(t testing.TB, o Options) *Provider {
	t.Helper()
	if o.ClientID == "" {
		o.ClientID = "flytectl"
	}
	if len(o.RedirectURIs) == 0 {
		o.RedirectURIs = []string{"http://localhost/callback", "http://127.0.0.1/callback"}
	}
	if o.DeviceLifetime == 0 {
		o.DeviceLifetime = 5 * time.Minute
	}
	if o.DevicePollInterval == 0 {
		o.DevicePollInterval = time.Second
	}
	srv := httptest.NewUnstartedServer(nil) // listens on 127.0.0.1
	issuer := "http://" + srv.Listener.Addr().String()
	users := storage.NewUserStore(issuer)
	base := storage.NewStorageWithClients(users, map[string]*storage.Client{
		// Registered so the example storage knows the id (device codes); served by clientStorage.
		o.ClientID: storage.NativeClient(o.ClientID, o.RedirectURIs...),
	})
	cs := &clientStorage{Storage: base, client: &publicClient{id: o.ClientID, redirects: o.RedirectURIs}}

	var key [32]byte
	_, _ = rand.Read(key[:])
	cfg := &op.Config{
		CryptoKey:             key,
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedUILocales:    []language.Tag{language.English},
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime:     o.DeviceLifetime,
			PollInterval: o.DevicePollInterval,
			UserFormPath: "/device",
			UserCode:     op.UserCodeBase20,
		},
	}
	provider, err := op.NewProvider(cfg, cs, op.StaticIssuer(issuer), op.WithAllowInsecure(),
		op.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatalf("testoidc: %v", err)
	}
	p := &Provider{
		Issuer: issuer, ClientID: o.ClientID, Username: users.GetUserByID(UserID).Username,
		op: provider, store: cs, grants: map[string]int{}, slowDown: o.SlowDown,
		verifier: op.NewAccessTokenVerifier(issuer, rp.NewRemoteKeySet(http.DefaultClient, issuer+"/keys")),
	}
	interceptor := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", p.loginPage)
	mux.HandleFunc("POST /login", interceptor.HandlerFunc(p.loginSubmit))
	mux.HandleFunc("GET /device", p.devicePage)
	mux.HandleFunc("POST /device", p.deviceSubmit)
	mux.Handle("/", provider)
	srv.Config.Handler = p.count(mux)
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

// count records token endpoint grants and plays slow_down on device-code polls.
func (p *Provider) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests++
		p.mu.Unlock()
		if r.Method == http.MethodPost && r.URL.Path == "/oauth/token" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			g := form.Get("grant_type")
			p.mu.Lock()
			p.grants[g]++
			slow := g == string(oidc.GrantTypeDeviceCode) && p.slowDown > 0
			if slow {
				p.slowDown--
			}
			p.mu.Unlock()
			if slow {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"error":"slow_down","error_description":"polling too fast"}`)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Grants returns how many token requests each grant_type made.
func (p *Provider) Grants() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.grants))
	for k, v := range p.grants {
		out[k] = v
	}
	return out
}

// Requests is the number of HTTP requests the provider has served.
func (p *Provider) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// Endpoints as Flyte Admin's AuthMetadataService would advertise them.
func (p *Provider) AuthorizationEndpoint() string { return p.Issuer + "/authorize" }
func (p *Provider) TokenEndpoint() string         { return p.Issuer + "/oauth/token" }
func (p *Provider) DeviceEndpoint() string        { return p.Issuer + "/device_authorization" }
func (p *Provider) JWKSURI() string               { return p.Issuer + "/keys" }

// Claims of a verified access token.
type Claims struct {
	Subject  string
	ClientID string
	Expiry   time.Time
	Scopes   []string
}

// Verify checks a JWT access token's signature (JWKS), issuer and expiry, and that it was not
// revoked (the storage still holds it), as a resource server would.
func (p *Provider) Verify(ctx context.Context, token string) (Claims, error) {
	c, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](ctx, token, p.verifier)
	if err != nil {
		return Claims{}, err
	}
	if _, err := p.store.AccessTokenByID(c.JWTID); err != nil {
		return Claims{}, errors.New("token revoked")
	}
	return Claims{Subject: c.Subject, ClientID: c.ClientID, Expiry: c.Expiration.AsTime(), Scopes: c.Scopes}, nil
}

// RevokeRefreshTokens revokes every refresh token of the user (and the access tokens made from them).
func (p *Provider) RevokeRefreshTokens(ctx context.Context) error {
	return p.store.TerminateSession(ctx, UserID, p.ClientID)
}

// User plays the person in front of the browser: it follows authURL to the login form, logs in
// (or denies) and follows the redirects to the client's callback. It returns the callback's status.
func (p *Provider) User(ctx context.Context, authURL string, deny bool) (int, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="id" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		return resp.StatusCode, fmt.Errorf("no login form at %s (status %d): %.300s", resp.Request.URL, resp.StatusCode, page)
	}
	form := url.Values{"id": {string(m[1])}, "username": {p.Username}, "password": {Password}}
	if deny {
		form.Set("deny", "1")
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, p.Issuer+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// ApproveDevice enters userCode on the verification page and logs in (or denies).
func (p *Provider) ApproveDevice(ctx context.Context, userCode string, deny bool) error {
	form := url.Values{"user_code": {userCode}, "username": {p.Username}, "password": {Password}}
	if deny {
		form.Set("deny", "1")
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.Issuer+"/device", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("device approval: %d %s", resp.StatusCode, body)
	}
	return nil
}

var loginForm = template.Must(template.New("login").Parse(`<!doctype html><title>Log in</title>
<form method="post" action="/login"><input type="hidden" name="id" value="{{.}}">
<input name="username"> <input name="password" type="password">
<button>Log in</button> <button name="deny" value="1">Deny</button></form>`))

func (p *Provider) loginPage(w http.ResponseWriter, r *http.Request) {
	_ = loginForm.Execute(w, r.URL.Query().Get("authRequestID"))
}

func (p *Provider) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := r.PostForm.Get("id")
	if r.PostForm.Get("deny") != "" {
		ar, err := p.store.AuthRequestByID(r.Context(), id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		op.AuthRequestError(w, r, ar, oidc.ErrAccessDenied().WithDescription("the user denied access"), p.op)
		return
	}
	if err := p.store.CheckUsernamePassword(r.PostForm.Get("username"), r.PostForm.Get("password"), id); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(r.Context(), id), http.StatusFound)
}

func (p *Provider) devicePage(w http.ResponseWriter, r *http.Request) {
	fmt.Fprint(w, `<!doctype html><form method="post"><input name="user_code"><input name="username"><input name="password" type="password"><button>Approve</button></form>`)
}

func (p *Provider) deviceSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	code := r.PostForm.Get("user_code")
	if err := p.store.CheckUsernamePasswordSimple(r.PostForm.Get("username"), r.PostForm.Get("password")); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	if _, err := p.store.GetDeviceAuthorizationByUserCode(r.Context(), code); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	var err error
	if r.PostForm.Get("deny") != "" {
		err = p.store.DenyDeviceAuthorization(r.Context(), code)
	} else {
		err = p.store.CompleteDeviceAuthorization(r.Context(), code, UserID)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprint(w, "done")
}

// clientStorage serves our public client, which the example's constructors cannot make
// (a public client allowed the code, refresh and device grants).
type clientStorage struct {
	*storage.Storage
	client *publicClient
}

func (s *clientStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	if id == s.client.id {
		return s.client, nil
	}
	return s.Storage.GetClientByClientID(ctx, id)
}

// AccessTokenByID reports whether the access token id is still stored (not revoked).
func (s *clientStorage) AccessTokenByID(id string) (string, error) {
	var info oidc.UserInfo
	if err := s.SetUserinfoFromToken(context.Background(), &info, id, "", ""); err != nil {
		return "", err
	}
	return info.Subject, nil
}

type publicClient struct {
	id        string
	redirects []string
}

func (c *publicClient) GetID() string                       { return c.id }
func (c *publicClient) RedirectURIs() []string              { return c.redirects }
func (c *publicClient) PostLogoutRedirectURIs() []string    { return nil }
func (c *publicClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeNative }
func (c *publicClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodNone }
func (c *publicClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *publicClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeDeviceCode}
}
func (c *publicClient) LoginURL(id string) string {
	return "/login?authRequestID=" + url.QueryEscape(id)
}
func (c *publicClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (c *publicClient) IDTokenLifetime() time.Duration      { return time.Hour }
func (c *publicClient) DevMode() bool                       { return false }
func (c *publicClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *publicClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *publicClient) IsScopeAllowed(string) bool           { return false }
func (c *publicClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *publicClient) ClockSkew() time.Duration             { return 0 }

package adminclient_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

// cfg is the default admin section pointed at addr, plaintext.
func cfg(addr string) flyteconfig.Admin {
	a := flyteconfig.DefaultAdmin()
	a.Endpoint = addr
	a.Insecure = true
	return a
}

func dial(t *testing.T, o adminclient.Options) *adminclient.Conn {
	t.Helper()
	if o.Sleep == nil {
		o.Sleep = (&sleeps{}).sleep
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.HTTPClient == nil { // token endpoint calls; the gRPC side is covered by TestMain's trap
		o.HTTPClient = testnet.New(t).HTTPClient()
	}
	c, err := adminclient.Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func getVersion(c *adminclient.Conn) error {
	return getVersionCtx(context.Background(), c)
}

func getVersionCtx(ctx context.Context, c *adminclient.Conn) error {
	_, err := service.NewAdminServiceClient(c).GetVersion(ctx, &admin.GetVersionRequest{})
	return err
}

func TestAuthOffSendsNoHeaderAndProbesOnce(t *testing.T) {
	as := &adminServer{}
	unknown := &unknownCounter{}
	addr := serve(t, func(s *grpc.Server) { service.RegisterAdminServiceServer(s, as) },
		grpc.UnknownServiceHandler(unknown.handle))

	c := dial(t, adminclient.Options{Config: cfg(addr), UserAgent: "flytedoctor/test",
		ReadFile: files(nil), RunCommand: func(context.Context, []string) ([]byte, error) {
			t.Error("no command may run when auth is off")
			return nil, errors.New("no")
		}})
	for range 3 {
		if err := getVersion(c); err != nil {
			t.Fatal(err)
		}
	}
	if n := unknown.n(); n != 1 {
		t.Errorf("AuthMetadataService calls = %d, want 1 probe", n)
	}
	for _, h := range []string{"flyte-authorization", "authorization"} {
		if got := as.headers(h); !reflect.DeepEqual(got, []string{"", "", ""}) {
			t.Errorf("%s headers = %q, want none", h, got)
		}
	}
	if ua := as.headers("user-agent"); !strings.HasPrefix(ua[0], "flytedoctor/test") {
		t.Errorf("user-agent = %q", ua[0])
	}
	st := c.Stats()
	if st.Calls != 3 || st.AuthMetadata != 1 || st.TokenFetches != 0 || st.Attempts != 4 {
		t.Errorf("stats = %+v", st)
	}
	if c.Endpoint() != addr {
		t.Errorf("Endpoint = %q, want %q", c.Endpoint(), addr)
	}
}

// authOn starts an Admin with auth on: AuthMetadataService registered, token required.
func authOn(t *testing.T, check *tokenCheck, meta *authMetaServer) (addr string, as *adminServer) {
	as = &adminServer{}
	addr = serve(t, func(s *grpc.Server) {
		service.RegisterAdminServiceServer(s, as)
		if meta != nil {
			service.RegisterAuthMetadataServiceServer(s, meta)
		}
	}, grpc.UnaryInterceptor(check.intercept))
	return addr, as
}

func TestClientSecret(t *testing.T) {
	tests := []struct {
		name         string
		config       func(a *flyteconfig.Admin, tokenURL string)
		env          map[string]string
		pub          *service.PublicClientAuthConfigResponse
		metaTokenURL bool // server advertises the real token endpoint
		wantScope    string
		wantAudience string
		wantMDCalls  int
		serverHeader string
	}{
		{
			name: "everything from the server",
			config: func(a *flyteconfig.Admin, _ string) {
				a.ClientID, a.ClientSecretLocation, a.UseAudienceFromAdmin = "flytedoctor", "/secret", true
			},
			pub: &service.PublicClientAuthConfigResponse{ClientId: "flytectl", Scopes: []string{"all"},
				AuthorizationMetadataKey: "flyte-authorization", Audience: "https://admin.example.com"},
			metaTokenURL: true, wantScope: "all", wantAudience: "https://admin.example.com", wantMDCalls: 1,
			serverHeader: "flyte-authorization",
		},
		{
			name: "config overrides the server",
			config: func(a *flyteconfig.Admin, tokenURL string) {
				a.ClientID, a.ClientSecretEnvVar = "flytedoctor", "FLYTE_SECRET"
				a.TokenURL, a.Scopes, a.Audience = tokenURL, []string{"read", "offline"}, "aud-from-config"
				a.UseAudienceFromAdmin = true
			},
			env: map[string]string{"FLYTE_SECRET": "  s3cret\n"},
			pub: &service.PublicClientAuthConfigResponse{Scopes: []string{"all"},
				AuthorizationMetadataKey: "flyte-authorization", Audience: "https://admin.example.com"},
			wantScope: "read offline", wantAudience: "aud-from-config", wantMDCalls: 0,
			serverHeader: "flyte-authorization",
		},
		{
			name: "audience from admin only when asked, default header",
			config: func(a *flyteconfig.Admin, _ string) {
				a.ClientID, a.ClientSecretLocation = "flytedoctor", "/secret"
			},
			pub:          &service.PublicClientAuthConfigResponse{Scopes: []string{"all"}, Audience: "https://admin.example.com"},
			metaTokenURL: true, wantScope: "all", wantAudience: "", wantMDCalls: 1,
			serverHeader: "flyte-authorization",
		},
		{
			name: "custom authorizationHeader",
			config: func(a *flyteconfig.Admin, _ string) {
				a.ClientID, a.ClientSecretLocation, a.AuthorizationHeader = "flytedoctor", "/secret", "X-Flyte-Token"
			},
			pub:          &service.PublicClientAuthConfigResponse{Scopes: []string{"all"}, AuthorizationMetadataKey: "flyte-authorization"},
			metaTokenURL: true, wantScope: "all", wantMDCalls: 1,
			serverHeader: "x-flyte-token",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, &tokenServer{clientID: "flytedoctor", secret: "s3cret",
				wantScope: tt.wantScope, wantAudience: tt.wantAudience, expiresIn: 3600})
			meta := &authMetaServer{pub: tt.pub, tokenURL: "http://127.0.0.1:1/not-this-one"}
			if tt.metaTokenURL {
				meta.tokenURL = ts.url
			}
			check := &tokenCheck{header: tt.serverHeader, accept: ts.accept}
			addr, as := authOn(t, check, meta)

			a := cfg(addr)
			tt.config(&a, ts.url)
			c := dial(t, adminclient.Options{Config: a, Getenv: func(k string) string { return tt.env[k] },
				ReadFile: files(map[string]string{"/secret": "s3cret\n"})})
			for range 3 {
				if err := getVersion(c); err != nil {
					t.Fatal(err)
				}
			}
			if got := ts.issuedTokens(); len(got) != 1 {
				t.Errorf("tokens issued = %v, want 1 (cached)", got)
			}
			if got := as.headers(tt.serverHeader); !reflect.DeepEqual(got, []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-1"}) {
				t.Errorf("%s = %q", tt.serverHeader, got)
			}
			if pub, md := meta.counts(); pub != 1 || md != tt.wantMDCalls {
				t.Errorf("GetPublicClientConfig calls = %d (want 1), GetOAuth2Metadata calls = %d (want %d)", pub, md, tt.wantMDCalls)
			}
			if st := c.Stats(); st.TokenFetches != 1 || st.Calls != 3 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func clientSecretServer(t *testing.T, expiresIn int) (*tokenServer, *tokenCheck, *authMetaServer, string, *adminServer) {
	ts := newTokenServer(t, &tokenServer{clientID: "flytepropeller", secret: "s3cret", wantScope: "all", expiresIn: expiresIn})
	meta := &authMetaServer{pub: &service.PublicClientAuthConfigResponse{Scopes: []string{"all"},
		AuthorizationMetadataKey: "flyte-authorization"}, tokenURL: ts.url}
	check := &tokenCheck{header: "flyte-authorization", accept: ts.accept}
	addr, as := authOn(t, check, meta)
	return ts, check, meta, addr, as
}

func TestClientSecretRefreshOnExpiry(t *testing.T) {
	ts, _, _, addr, as := clientSecretServer(t, 3600)
	clk := &clock{t: time.Now()} // oauth2 stamps Expiry from the real clock
	c := dial(t, adminclient.Options{Config: cfg(addr), Now: clk.now,
		ReadFile: files(map[string]string{flyteconfig.DefaultClientSecretLocation: "s3cret"})})

	if err := getVersion(c); err != nil {
		t.Fatal(err)
	}
	clk.advance(59 * time.Minute)
	if err := getVersion(c); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Minute) // within the 10s refresh window of expiry
	if err := getVersion(c); err != nil {
		t.Fatal(err)
	}
	if got := ts.issuedTokens(); len(got) != 2 {
		t.Errorf("tokens issued = %v, want 2", got)
	}
	if got := as.headers("flyte-authorization"); !reflect.DeepEqual(got, []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-2"}) {
		t.Errorf("headers = %q", got)
	}
}

func TestClientSecretRefreshOnUnauthenticated(t *testing.T) {
	ts, check, _, addr, as := clientSecretServer(t, 3600)
	c := dial(t, adminclient.Options{Config: cfg(addr),
		ReadFile: files(map[string]string{flyteconfig.DefaultClientSecretLocation: "s3cret"})})
	if err := getVersion(c); err != nil {
		t.Fatal(err)
	}
	check.reject(1)
	if err := getVersion(c); err != nil {
		t.Fatalf("call after a revoked token: %v", err)
	}
	if got := ts.issuedTokens(); len(got) != 2 {
		t.Errorf("tokens issued = %v, want 2", got)
	}
	// The rejected attempt stops in the server interceptor, so the handler sees two calls.
	if got := as.headers("flyte-authorization"); !reflect.DeepEqual(got, []string{"Bearer tok-1", "Bearer tok-2"}) {
		t.Errorf("headers = %q", got)
	}
	if st := c.Stats(); st.Reauthorized != 1 || st.TokenFetches != 2 || st.Retries != 0 {
		t.Errorf("stats = %+v", st)
	}

	// Rejected twice: one refresh and one retry only, then the error comes back.
	check.reject(2)
	err := getVersion(c)
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("got %v, want Unauthenticated", err)
	}
	if got := len(ts.issuedTokens()); got != 3 {
		t.Errorf("tokens issued = %d, want 3", got)
	}
}

func TestClientSecretConcurrentCallsShareOneToken(t *testing.T) {
	ts, _, meta, addr, _ := clientSecretServer(t, 3600)
	c := dial(t, adminclient.Options{Config: cfg(addr),
		ReadFile: files(map[string]string{flyteconfig.DefaultClientSecretLocation: "s3cret"})})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() { errs <- getVersion(c) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := ts.issuedTokens(); len(got) != 1 {
		t.Errorf("tokens issued = %v, want 1", got)
	}
	if pub, md := meta.counts(); pub != 1 || md != 1 {
		t.Errorf("metadata calls = %d, %d; want 1, 1", pub, md)
	}
}

func TestClientSecretErrors(t *testing.T) {
	tests := []struct {
		name   string
		config func(a *flyteconfig.Admin)
		env    map[string]string
		files  map[string]string
		want   string
	}{
		{"missing secret file", func(a *flyteconfig.Admin) {}, nil, nil,
			"client secret file /etc/secrets/client_secret (admin.clientSecretLocation) cannot be read (file does not exist): create it, or set admin.clientSecretEnvVar"},
		{"empty secret file", func(a *flyteconfig.Admin) {}, nil, map[string]string{"/etc/secrets/client_secret": " \n"},
			"client secret file /etc/secrets/client_secret (admin.clientSecretLocation) is empty"},
		{"empty env var", func(a *flyteconfig.Admin) { a.ClientSecretEnvVar = "FLYTE_SECRET" }, nil,
			map[string]string{"/etc/secrets/client_secret": "s3cret"},
			"client secret env var FLYTE_SECRET (admin.clientSecretEnvVar) is empty: export it or unset admin.clientSecretEnvVar"},
		{"wrong secret", func(a *flyteconfig.Admin) {}, nil, map[string]string{"/etc/secrets/client_secret": "wrong"},
			`for client "flytepropeller": oauth2: "invalid_client" "bad client id or secret"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, _, _, addr, as := clientSecretServer(t, 3600)
			a := cfg(addr)
			tt.config(&a)
			c := dial(t, adminclient.Options{Config: a, Getenv: func(k string) string { return tt.env[k] }, ReadFile: files(tt.files)})
			err := getVersion(c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v\nwant containing %q", err, tt.want)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error is not one line: %q", err)
			}
			if tt.name == "wrong secret" && !strings.Contains(err.Error(), "get a token from "+ts.url) {
				t.Errorf("error does not name the token endpoint: %v", err)
			}
			if n := as.callCount(); n != 0 {
				t.Errorf("Admin got %d calls without a token", n)
			}
		})
	}
}

func TestExternalCommand(t *testing.T) {
	check := &tokenCheck{header: "flyte-authorization", accept: func(tok string) bool { return strings.HasPrefix(tok, "cmd-tok-") }}
	meta := &authMetaServer{pub: &service.PublicClientAuthConfigResponse{AuthorizationMetadataKey: "flyte-authorization"}}
	addr, as := authOn(t, check, meta)

	var mu sync.Mutex
	var runs [][]string
	run := func(_ context.Context, argv []string) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		runs = append(runs, argv)
		return []byte("cmd-tok-" + string(rune('0'+len(runs))) + "\n"), nil
	}
	a := cfg(addr)
	a.AuthType = flyteconfig.AuthExternalCommand
	a.Command = []string{"print-token", "--audience", "flyte"}
	c := dial(t, adminclient.Options{Config: a, RunCommand: run})
	for range 2 {
		if err := getVersion(c); err != nil {
			t.Fatal(err)
		}
	}
	check.reject(1)
	if err := getVersion(c); err != nil {
		t.Fatal(err)
	}
	want := [][]string{a.Command, a.Command}
	if !reflect.DeepEqual(runs, want) {
		t.Errorf("runs = %q, want %q (once, then once more after Unauthenticated)", runs, want)
	}
	if got := as.headers("flyte-authorization"); !reflect.DeepEqual(got, []string{"Bearer cmd-tok-1", "Bearer cmd-tok-1", "Bearer cmd-tok-2"}) {
		t.Errorf("headers = %q", got)
	}
}

func TestExternalCommandRealShell(t *testing.T) {
	check := &tokenCheck{header: "flyte-authorization", accept: func(tok string) bool { return tok == "tok-from-sh" }}
	meta := &authMetaServer{pub: &service.PublicClientAuthConfigResponse{AuthorizationMetadataKey: "flyte-authorization"}}
	addr, _ := authOn(t, check, meta)
	a := cfg(addr)
	a.AuthType = flyteconfig.AuthExternalCommand
	a.Command = []string{"sh", "-c", "echo '  tok-from-sh  '; echo noise >&2"}
	c := dial(t, adminclient.Options{Config: a}) // default RunCommand
	if err := getVersion(c); err != nil {
		t.Fatal(err)
	}

	a.Command = []string{"sh", "-c", "echo denied >&2; exit 3"}
	c = dial(t, adminclient.Options{Config: a})
	err := getVersion(c)
	if err == nil || !strings.Contains(err.Error(), `admin.command "sh -c echo denied >&2; exit 3" failed: exit status 3: denied`) {
		t.Fatalf("got %v", err)
	}
}

// A server that hides AuthMetadataService but still wants a token (e.g. behind a proxy):
// the first call goes without, Unauthenticated triggers the command, the header is the default.
func TestUnauthenticatedWithoutAuthMetadata(t *testing.T) {
	check := &tokenCheck{header: "flyte-authorization", accept: func(tok string) bool { return tok == "t" }}
	addr, as := authOn(t, check, nil)
	a := cfg(addr)
	a.AuthType = flyteconfig.AuthExternalCommand
	a.Command = []string{"tok"}
	c := dial(t, adminclient.Options{Config: a, RunCommand: func(context.Context, []string) ([]byte, error) { return []byte("t"), nil }})
	for range 2 {
		if err := getVersion(c); err != nil {
			t.Fatal(err)
		}
	}
	if got := as.headers("flyte-authorization"); !reflect.DeepEqual(got, []string{"Bearer t", "Bearer t"}) {
		// The interceptor rejects the first, header-less attempt before the handler runs.
		t.Errorf("headers = %q", got)
	}
	if st := c.Stats(); st.Reauthorized != 1 || st.TokenFetches != 1 {
		t.Errorf("stats = %+v", st)
	}
}

// A gateway that wants a token even for AuthMetadataService: the token is fetched before the
// first call, which then goes with the default header.
func TestProbeUnauthenticated(t *testing.T) {
	check := &tokenCheck{header: "flyte-authorization", accept: func(tok string) bool { return tok == "t" }}
	meta := &authMetaServer{pubErr: status.Error(codes.Unauthenticated, "gateway wants a token")}
	addr, as := authOn(t, check, meta)
	a := cfg(addr)
	a.AuthType = flyteconfig.AuthExternalCommand
	a.Command = []string{"tok"}
	c := dial(t, adminclient.Options{Config: a, RunCommand: func(context.Context, []string) ([]byte, error) { return []byte("t"), nil }})
	if err := getVersion(c); err != nil {
		t.Fatal(err)
	}
	if got := as.headers("flyte-authorization"); !reflect.DeepEqual(got, []string{"Bearer t"}) {
		t.Errorf("headers = %q", got)
	}
	if st := c.Stats(); st.Reauthorized != 0 || st.TokenFetches != 1 || st.AuthMetadata != 1 {
		t.Errorf("stats = %+v", st)
	}
}

// The flytectl sandbox config says Pkce and has auth off: nothing is asked of anyone.
func TestInteractiveAuthTypesWithAuthOff(t *testing.T) {
	for _, at := range []flyteconfig.AuthType{flyteconfig.AuthPkce, flyteconfig.AuthDeviceFlow} {
		t.Run(string(at), func(t *testing.T) {
			as := &adminServer{}
			addr := serve(t, func(s *grpc.Server) { service.RegisterAdminServiceServer(s, as) })
			a := cfg(addr)
			a.AuthType = at
			c := dial(t, adminclient.Options{Config: a, OpenBrowser: func(string) error {
				t.Error("a browser was opened with auth off")
				return nil
			}})
			if err := getVersion(c); err != nil {
				t.Fatal(err)
			}
			if h := as.headers("flyte-authorization"); len(h) != 1 || h[0] != "" {
				t.Errorf("headers %q", h)
			}
			if s := c.Stats(); s.Logins != 0 || s.TokenFetches != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestProxyCommand(t *testing.T) {
	as := &adminServer{}
	meta := &authMetaServer{pub: &service.PublicClientAuthConfigResponse{}}
	check := &tokenCheck{header: "flyte-authorization", accept: func(tok string) bool { return tok == "t" }}
	addr := serve(t, func(s *grpc.Server) {
		service.RegisterAdminServiceServer(s, as)
		service.RegisterAuthMetadataServiceServer(s, meta)
	}, grpc.UnaryInterceptor(check.intercept))
	var mu sync.Mutex
	runs := map[string]int{}
	a := cfg(addr)
	a.AuthType = flyteconfig.AuthExternalCommand
	a.Command = []string{"token"}
	a.ProxyCommand = []string{"proxy-token"}
	c := dial(t, adminclient.Options{Config: a, RunCommand: func(_ context.Context, argv []string) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		runs[argv[0]]++
		if argv[0] == "proxy-token" {
			return []byte("ptok\n"), nil
		}
		return []byte("t"), nil
	}})
	for range 2 {
		if err := getVersion(c); err != nil {
			t.Fatal(err)
		}
	}
	if got := as.headers("proxy-authorization"); !reflect.DeepEqual(got, []string{"Bearer ptok", "Bearer ptok"}) {
		t.Errorf("proxy-authorization on Admin calls = %q", got)
	}
	if !reflect.DeepEqual(meta.proxy, []string{"Bearer ptok"}) {
		t.Errorf("proxy-authorization on the auth probe = %q", meta.proxy)
	}
	if runs["proxy-token"] != 1 || runs["token"] != 1 {
		t.Errorf("runs = %v, want each command once", runs)
	}
}

func TestTLS(t *testing.T) {
	caPEM, cert := selfSigned(t)
	addr := serve(t, func(s *grpc.Server) { service.RegisterAdminServiceServer(s, &adminServer{}) },
		grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tls := func(mod func(a *flyteconfig.Admin)) flyteconfig.Admin {
		a := flyteconfig.DefaultAdmin()
		a.Endpoint = addr
		mod(&a)
		return a
	}

	t.Run("caCertFilePath", func(t *testing.T) {
		c := dial(t, adminclient.Options{Config: tls(func(a *flyteconfig.Admin) { a.CACertFilePath = caFile }), ReadFile: os.ReadFile})
		if err := getVersion(c); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("dns target and caCertFilePath", func(t *testing.T) {
		c := dial(t, adminclient.Options{Config: tls(func(a *flyteconfig.Admin) { a.Endpoint = "dns:///" + addr; a.CACertFilePath = caFile }), ReadFile: os.ReadFile})
		if err := getVersion(c); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("insecureSkipVerify", func(t *testing.T) {
		c := dial(t, adminclient.Options{Config: tls(func(a *flyteconfig.Admin) { a.InsecureSkipVerify = true })})
		if err := getVersion(c); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unknown CA fails without retries", func(t *testing.T) {
		s := &sleeps{}
		c := dial(t, adminclient.Options{Config: tls(func(*flyteconfig.Admin) {}), Sleep: s.sleep})
		err := getVersion(c)
		if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("got %v, want Unavailable with a certificate error", err)
		}
		if len(s.got()) != 0 || c.Stats().Retries != 0 {
			t.Errorf("a certificate error was retried: sleeps %v, stats %+v", s.got(), c.Stats())
		}
	})
	t.Run("plaintext client to a TLS server fails", func(t *testing.T) {
		c := dial(t, adminclient.Options{Config: tls(func(a *flyteconfig.Admin) { a.Insecure = true; a.MaxRetries = 0 })})
		if err := getVersion(c); status.Code(err) != codes.Unavailable {
			t.Fatalf("got %v, want Unavailable", err)
		}
	})
}

func TestPlaintext(t *testing.T) {
	addr := serve(t, func(s *grpc.Server) { service.RegisterAdminServiceServer(s, &adminServer{}) })
	for _, a := range []flyteconfig.Admin{
		cfg(addr),
		cfg("dns:///" + addr),
		func() flyteconfig.Admin { a := cfg("http://" + addr); a.Insecure = false; return a }(), // http:// implies insecure
	} {
		t.Run(a.Endpoint, func(t *testing.T) {
			if err := getVersion(dial(t, adminclient.Options{Config: a})); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDialErrors(t *testing.T) {
	tests := []struct {
		name  string
		admin flyteconfig.Admin
		files map[string]string
		want  string
	}{
		{"no endpoint", flyteconfig.DefaultAdmin(), nil, "admin.endpoint is not set: add admin.endpoint to"},
		{"bad endpoint", flyteconfig.Admin{Endpoint: "ftp://x"}, nil, `admin.endpoint "ftp://x" is not a valid endpoint`},
		{"unknown auth type", flyteconfig.Admin{Endpoint: "localhost:1", AuthType: "Basic"}, nil,
			`admin.authType: unknown authType "Basic": use one of ClientSecret, Pkce, ExternalCommand, DeviceFlow`},
		{"missing CA file", flyteconfig.Admin{Endpoint: "localhost:1", CACertFilePath: "/ca.pem"}, nil,
			"admin.caCertFilePath /ca.pem cannot be read (file does not exist): fix the path or remove caCertFilePath"},
		{"CA file is not PEM", flyteconfig.Admin{Endpoint: "localhost:1", CACertFilePath: "/ca.pem"}, map[string]string{"/ca.pem": "hello"},
			"admin.caCertFilePath /ca.pem holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := adminclient.Dial(context.Background(), adminclient.Options{Config: tt.admin, ReadFile: files(tt.files)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v\nwant containing %q", err, tt.want)
			}
		})
	}
}

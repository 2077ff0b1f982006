package adminclient_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"

	"github.com/flytedoctor/flytedoctor/internal/faultsrv"
)

// adminServer answers GetVersion; handler (if set) decides each call, numbered from 1.
type adminServer struct {
	service.UnimplementedAdminServiceServer
	mu      sync.Mutex
	calls   int
	md      []metadata.MD
	handler func(ctx context.Context, n int) (*admin.GetVersionResponse, error)
}

func (s *adminServer) GetVersion(ctx context.Context, _ *admin.GetVersionRequest) (*admin.GetVersionResponse, error) {
	s.mu.Lock()
	s.calls++
	n, h := s.calls, s.handler
	md, _ := metadata.FromIncomingContext(ctx)
	s.md = append(s.md, md)
	s.mu.Unlock()
	if h != nil {
		return h(ctx, n)
	}
	return &admin.GetVersionResponse{ControlPlaneVersion: &admin.Version{Version: "v1.16.8"}}, nil
}

func (s *adminServer) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// headers returns the values of key seen by each GetVersion call.
func (s *adminServer) headers(key string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, md := range s.md {
		out = append(out, strings.Join(md.Get(key), ","))
	}
	return out
}

// authMetaServer is a registered AuthMetadataService, i.e. a server with auth on.
type authMetaServer struct {
	service.UnimplementedAuthMetadataServiceServer
	pub      *service.PublicClientAuthConfigResponse
	pubErr   error // returned by GetPublicClientConfig when set
	tokenURL string
	mu       sync.Mutex
	pubCalls int
	mdCalls  int
	proxy    []string
}

func (s *authMetaServer) GetPublicClientConfig(ctx context.Context, _ *service.PublicClientAuthConfigRequest) (*service.PublicClientAuthConfigResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pubCalls++
	md, _ := metadata.FromIncomingContext(ctx)
	s.proxy = append(s.proxy, strings.Join(md.Get("proxy-authorization"), ","))
	if s.pubErr != nil {
		return nil, s.pubErr
	}
	return s.pub, nil
}

func (s *authMetaServer) GetOAuth2Metadata(context.Context, *service.OAuth2MetadataRequest) (*service.OAuth2MetadataResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mdCalls++
	return &service.OAuth2MetadataResponse{Issuer: "test", TokenEndpoint: s.tokenURL}, nil
}

func (s *authMetaServer) counts() (pub, md int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pubCalls, s.mdCalls
}

// tokenCheck is the server's auth interceptor: header must be "Bearer <tok>" with accept(tok).
type tokenCheck struct {
	header     string
	accept     func(tok string) bool
	mu         sync.Mutex
	rejectNext int // reject this many otherwise valid calls, like a revoked token
}

func (c *tokenCheck) reject(n int) {
	c.mu.Lock()
	c.rejectNext = n
	c.mu.Unlock()
}

func (c *tokenCheck) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if strings.HasPrefix(info.FullMethod, "/flyteidl.service.AuthMetadataService/") {
		return handler(ctx, req)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get(c.header)
	if len(vals) != 1 || !strings.HasPrefix(vals[0], "Bearer ") || !c.accept(strings.TrimPrefix(vals[0], "Bearer ")) {
		return nil, status.Errorf(codes.Unauthenticated, "token parse error %v", vals)
	}
	c.mu.Lock()
	reject := c.rejectNext > 0
	if reject {
		c.rejectNext--
	}
	c.mu.Unlock()
	if reject {
		return nil, status.Error(codes.Unauthenticated, "token expired")
	}
	return handler(ctx, req)
}

type unknownCounter struct {
	mu    sync.Mutex
	count int
}

// handle stands in for gRPC's built-in answer to unregistered services, counting calls.
func (u *unknownCounter) handle(any, grpc.ServerStream) error {
	u.mu.Lock()
	u.count++
	u.mu.Unlock()
	return status.Error(codes.Unimplemented, "unknown service")
}

func (u *unknownCounter) n() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.count
}

// serve starts a gRPC server on 127.0.0.1 and returns its address.
func serve(t *testing.T, register func(*grpc.Server), opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(opts...)
	register(s)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// tokenServer is an OAuth2 token endpoint for client_credentials.
type tokenServer struct {
	t            *testing.T
	clientID     string
	secret       string
	wantScope    string
	wantAudience string
	expiresIn    int
	mu           sync.Mutex
	issued       []string
	url          string
}

func newTokenServer(t *testing.T, ts *tokenServer) *tokenServer {
	ts.t = t
	srv := httptest.NewServer(http.HandlerFunc(ts.serveHTTP)) // binds 127.0.0.1
	t.Cleanup(srv.Close)
	ts.url = srv.URL + "/oauth2/token"
	return ts
}

func (ts *tokenServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	w.Header().Set("Content-Type", "application/json")
	if id != ts.clientID || secret != ts.secret {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprint(w, `{"error":"invalid_client","error_description":"bad client id or secret"}`)
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
		ts.t.Errorf("grant_type = %q", g)
	}
	if s := r.PostForm.Get("scope"); s != ts.wantScope {
		ts.t.Errorf("scope = %q, want %q", s, ts.wantScope)
	}
	if a := r.PostForm.Get("audience"); a != ts.wantAudience {
		ts.t.Errorf("audience = %q, want %q", a, ts.wantAudience)
	}
	ts.mu.Lock()
	tok := fmt.Sprintf("tok-%d", len(ts.issued)+1)
	ts.issued = append(ts.issued, tok)
	ts.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": ts.expiresIn})
}

func (ts *tokenServer) issuedTokens() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.issued...)
}

func (ts *tokenServer) accept(tok string) bool {
	for _, t := range ts.issuedTokens() {
		if t == tok {
			return true
		}
	}
	return false
}

// sleeps records the backoff waits asked of the injected Sleep; it never waits.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// clock is an injectable Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// selfSigned makes a CA-capable certificate for 127.0.0.1 and localhost.
func selfSigned(t *testing.T) (certPEM []byte, cert tls.Certificate) {
	cert, certPEM, _ = faultsrv.Cert(t, "flytedoctor test admin", x509.ExtKeyUsageServerAuth)
	return certPEM, cert
}

func files(m map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if v, ok := m[p]; ok {
			return []byte(v), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
}

// Package testnet keeps tests on this machine: no test may send a packet beyond loopback.
//
// It works in two layers, because a dialer only guards the clients that are handed it:
//
//   - Guard is a dial function (a loopback.Dialer) that refuses every address that is not a
//     loopback IP or "localhost", before the name is resolved and, through net.Dialer.Control,
//     before connect(2), and fails the test that dialed. Tests give it to the clients they build
//     (s3.ClientOptions.HTTPClient, grpc.WithContextDialer, an http.Client).
//   - Main, for TestMain, covers what a test does not build itself: the AWS SDK's
//     instance-metadata, container and STS clients, client-go's transport, gRPC without a
//     custom dialer, and child processes all honour HTTP(S)_PROXY, which Main points at a trap
//     on 127.0.0.1 that answers 403 and records the target (loopback targets never go through a
//     proxy). Main also guards http.DefaultTransport's dialer, so clones of it made without the
//     proxy are covered, turns off the SDK's metadata probe (AWS_EC2_METADATA_DISABLED=true) and
//     fails the run when anything was caught.
package testnet

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/loopback"
)

// Reporter is told about each refused dial; *testing.T is one.
type Reporter interface {
	Errorf(format string, args ...any)
}

// Guard dials loopback addresses and refuses everything else; a refused dial's error wraps
// loopback.ErrRefused.
type Guard struct {
	loopback.Dialer
	r     Reporter
	mu    sync.Mutex
	ended bool // the test has ended: Errorf would panic
}

// New returns a guard that fails r on a refused dial. A *testing.T's guard stops reporting
// to it when the test ends (a late dial from a leftover goroutine goes to stderr instead).
func New(r Reporter) *Guard {
	g := &Guard{r: r}
	g.Refused = g.refused
	if c, ok := r.(interface{ Cleanup(func()) }); ok {
		c.Cleanup(func() {
			g.mu.Lock()
			g.ended = true
			g.mu.Unlock()
		})
	}
	return g
}

// GRPCDialer is DialContext in grpc.WithContextDialer's shape. gRPC resolves dns:/// targets
// itself before dialing, so tests give gRPC IP addresses.
func (g *Guard) GRPCDialer() func(context.Context, string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) { return g.DialContext(ctx, "tcp", addr) }
}

// Transport is an http.Transport that dials through the guard and never through a proxy.
func (g *Guard) Transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = g.DialContext
	return tr
}

// HTTPClient is an http.Client on Transport.
func (g *Guard) HTTPClient() *http.Client { return &http.Client{Transport: g.Transport()} }

func (g *Guard) refused(network, addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ended {
		fmt.Fprintf(os.Stderr, "testnet: refused to dial %s %s after the test ended\n", network, addr)
		return
	}
	g.r.Errorf("testnet: refused to dial %s %s: tests stay on 127.0.0.1", network, addr)
}

// Main runs the tests of m with the trap and the environment described in the package doc and
// returns the exit code: m.Run's, or 1 when a test tried to reach beyond loopback.
//
//	func TestMain(m *testing.M) { os.Exit(testnet.Main(m)) }
func Main(m *testing.M) int { return run(m.Run, os.Setenv, os.Stderr) }

// Env is the environment Main set up, as KEY=VALUE, for a child process started with an
// environment of its own (exec.Cmd.Env): its traffic then meets the same trap.
func Env() []string {
	var out []string
	for _, k := range append(slices.Clone(proxyVars), "NO_PROXY", "no_proxy", "AWS_EC2_METADATA_DISABLED") {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// proxyVars are the variables net/http's ProxyFromEnvironment (and so gRPC, client-go and the
// AWS SDK) reads. It reads them once per process: they must be set before any client is used.
var proxyVars = []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}

func run(tests func() int, setenv func(k, v string) error, stderr io.Writer) int {
	tr, err := startTrap()
	if err != nil {
		fmt.Fprintf(stderr, "testnet: %v\n", err)
		return 1
	}
	defer tr.close()
	env := [][2]string{{"NO_PROXY", ""}, {"no_proxy", ""}, {"AWS_EC2_METADATA_DISABLED", "true"}}
	for _, k := range proxyVars {
		env = append(env, [2]string{k, "http://" + tr.addr})
	}
	for _, kv := range env {
		if err := setenv(kv[0], kv[1]); err != nil {
			fmt.Fprintf(stderr, "testnet: %v\n", err)
			return 1
		}
	}
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		dt.DialContext = New(tr).DialContext
	}
	code := tests()
	if caught := tr.caught(); len(caught) > 0 {
		fmt.Fprintf(stderr, "testnet: the tests tried to reach beyond 127.0.0.1 (refused; point the client at 127.0.0.1 or give it a testnet.Guard):\n  %s\n",
			strings.Join(caught, "\n  "))
		if code == 0 {
			code = 1
		}
	}
	return code
}

// trap is an HTTP proxy on 127.0.0.1 that forwards nothing: it records each request's target
// and answers 403.
type trap struct {
	addr string
	srv  *http.Server
	mu   sync.Mutex
	seen map[string]int
}

func startTrap() (*trap, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("trap proxy: %w", err)
	}
	t := &trap{addr: lis.Addr().String(), seen: map[string]int{}}
	t.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.record(r.Method + " " + r.Host)
		http.Error(w, "testnet: traffic beyond 127.0.0.1 is refused in tests", http.StatusForbidden)
	})}
	go func() { _ = t.srv.Serve(lis) }()
	return t, nil
}

// Errorf makes the trap the Reporter of http.DefaultTransport's guard.
func (t *trap) Errorf(format string, args ...any) { t.record(fmt.Sprintf(format, args...)) }

func (t *trap) record(what string) {
	t.mu.Lock()
	t.seen[what]++
	t.mu.Unlock()
}

func (t *trap) caught() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for what, n := range t.seen {
		out = append(out, fmt.Sprintf("%s (%d×)", what, n))
	}
	slices.Sort(out)
	return out
}

func (t *trap) close() { _ = t.srv.Close() }

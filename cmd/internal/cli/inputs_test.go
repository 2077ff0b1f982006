package cli

import (
	"context"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/internal/faultsrv"
)

// countConnects wraps f.ConnectAdmin; the count says whether anything was sent to Admin.
func countConnects(f *Factory) *atomic.Int32 {
	var n atomic.Int32
	connect := f.ConnectAdmin
	f.ConnectAdmin = func(ctx context.Context, cfg *flyteconfig.Config, ua string) (*AdminSession, error) {
		n.Add(1)
		return connect(ctx, cfg, ua)
	}
	return &n
}

const kubeconfigTwoContexts = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://127.0.0.1:1"}
contexts:
- name: ctx-a
  context: {cluster: a, user: u}
- name: ctx-b
  context: {cluster: a, user: u}
current-context: ctx-a
users:
- name: u
  user: {token: abc}
`

// A wrong input the user gave explicitly is a usage error, one line naming the flag or the
// config key, found before anything is sent: Admin is not even dialled.
func TestWrongExplicitInputsAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	garbage := filepath.Join(dir, "garbage")
	for p, body := range map[string]string{kc: kubeconfigTwoContexts, garbage: "not: [a kubeconfig\n"} {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	badEndpoint := writeConfig(t, "admin:\n  endpoint: \"dns:///my host:30080\"\n  insecure: true\n")
	negRetries := writeConfig(t, "admin:\n  endpoint: localhost:30080\n  maxRetries: -1\n")
	negTimeout := writeConfig(t, "admin:\n  endpoint: localhost:30080\n  perRetryTimeout: -5s\n")
	addr := startAdmin(t) // a working Admin: nothing may reach it
	admin := []string{"--admin-endpoint", addr, "--insecure", "--skip", "s3"}
	long := strings.Repeat("a", 10000)

	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want []string // all in the one line
	}{
		{"missing --kubeconfig", []string{"--kubeconfig", "/does/not/exist"},
			nil, []string{"--kubeconfig /does/not/exist does not exist: pass an existing kubeconfig file"}},
		{"--kubeconfig that does not load", []string{"--kubeconfig", garbage},
			nil, []string{"--kubeconfig " + garbage + " does not load (", "fix it or pass another kubeconfig file"}},
		{"--context not in the kubeconfig", []string{"--kubeconfig", kc, "--context", "nosuch"},
			nil, []string{`--context "nosuch" is not a context in ` + kc + ` (it has "ctx-a", "ctx-b")`}},
		{"--context not in KUBECONFIG", []string{"--context", "nosuch"},
			map[string]string{"KUBECONFIG": kc}, []string{`--context "nosuch" is not a context in KUBECONFIG ` + kc}},
		{"KUBECONFIG file that does not load", nil,
			map[string]string{"KUBECONFIG": garbage}, []string{"KUBECONFIG does not load (", "point KUBECONFIG at another one"}},
		{"--namespace that is not a DNS label", []string{"-n", "Bad Namespace!"},
			nil, []string{`--namespace "Bad Namespace!" is not a valid namespace name: use lower case letters, digits and '-'`}},
		{"--namespace-template with an unknown placeholder", []string{"--namespace-template", "{{ org }}-{{ project }}"},
			nil, []string{`--namespace-template "{{ org }}-{{ project }}": unknown placeholder "{{ org }}"`}},
		{"--admin-endpoint with a space", []string{"--admin-endpoint", "dns:///my host:30080"},
			nil, []string{`--admin-endpoint "dns:///my host:30080" is not a valid endpoint (a space in it): use dns:///host:port`}},
		{"--admin-endpoint with a bad port", []string{"--admin-endpoint", "dns:///flyte.example.com:99999"},
			nil, []string{`--admin-endpoint "dns:///flyte.example.com:99999" is not a valid endpoint (port "99999" is not a number between 1 and 65535)`}},
		{"--admin-endpoint without a host", []string{"--admin-endpoint", "dns:///:30080"},
			nil, []string{`is not a valid endpoint (no host)`}},
		{"--admin-endpoint with an unknown scheme", []string{"--admin-endpoint", "grpc://flyte.example.com"},
			nil, []string{`--admin-endpoint "grpc://flyte.example.com" is not a valid endpoint (unknown scheme "grpc")`}},
		{"admin.endpoint with a space", []string{"-c", badEndpoint},
			nil, []string{"config file " + badEndpoint + ` line 2: admin.endpoint: "dns:///my host:30080" is not a valid endpoint (a space in it)`}},
		{"admin.maxRetries below 0", []string{"-c", negRetries},
			nil, []string{"config file " + negRetries + ` line 3: admin.maxRetries: "-1" is negative: use 0 for no retries`}},
		{"admin.perRetryTimeout below 0", []string{"-c", negTimeout},
			nil, []string{"config file " + negTimeout + ` line 3: admin.perRetryTimeout: "-5s" is negative`}},
		{"execution name longer than Flyte allows", []string{"flytesnacks/development/" + strings.Repeat("a", 64)},
			nil, []string{`execution name "` + strings.Repeat("a", 60) + `…" (64 bytes) is longer than the 63 characters Flyte allows`}},
		{"execution name Flyte would not accept", []string{"flytesnacks/development/1run"},
			nil, []string{`execution name "1run" is not a valid Flyte name (letters, digits and '-', starting with a letter)`}},
		{"a 10,000-byte id", []string{"flytesnacks/development/" + long},
			nil, []string{`execution name "` + long[:60] + `…" (10000 bytes) is longer than the 63`}},
		{"a 10,000-byte project", []string{long + "/development/abc"},
			nil, []string{`project "` + long[:60] + `…" (10000 bytes)`}},
		{"a 10,000-byte -o", []string{"-o", long},
			nil, []string{`unknown output format "` + long[:60] + `…" (10000 bytes)`}},
		{"a 10,000-byte --timeout", []string{"--timeout", long},
			nil, []string{`invalid argument "` + long[:60] + `…" (10000 bytes) for "--timeout" flag`}},
		{"a 10,000-byte --timeout=", []string{"--timeout=" + long},
			nil, []string{`invalid argument "` + long[:60] + `…" (10000 bytes) for "--timeout" flag`}},
		{"a 10,000-byte --skip", []string{"--skip", long},
			nil, []string{`unknown collector "` + long[:60] + `…" (10000 bytes) in --skip`}},
		{"a 10,000-byte --disable", []string{"--disable", long},
			nil, []string{`--disable: unknown rule "` + strings.ToUpper(long[:60]) + `…" (10000 bytes)`}},
		{"a 10,000-byte --namespace", []string{"-n", long},
			nil, []string{`--namespace "` + long[:60] + `…" (10000 bytes) is longer than the 63 characters`}},
		{"a 10,000-byte --context", []string{"--kubeconfig", kc, "--context", long},
			nil, []string{`--context "` + long[:60] + `…" (10000 bytes) is not a context`}},
		{"a 10,000-byte flag name", []string{"--" + long},
			nil, []string{`unknown flag: "--` + long[:58] + `…" (10002 bytes)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, out, errOut := testFactory(t, tc.env)
			f.KubeClient = kube.NewClient // the real one: it reads files and sends nothing
			connects := countConnects(f)
			args := append(append([]string{}, admin...), tc.args...)
			if len(tc.args) > 0 && tc.args[0] == "-c" {
				args = append([]string{"--skip", "s3"}, tc.args...) // the file's endpoint, not the flag's
			}
			if !strings.Contains(strings.Join(tc.args, " "), "/") || strings.HasPrefix(tc.args[0], "-") {
				args = append(args, "flytesnacks/development/failedrun")
			}
			start := time.Now()
			code := run(f, args...)
			line := errOut.String()
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d; stderr %.400q", code, ExitUsage, line)
			}
			if strings.Count(line, "\n") != 1 || !strings.HasPrefix(line, "flytedoctor: ") {
				t.Errorf("not one line: %q", line)
			}
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("stderr\n  %s\nlacks\n  %s", line, w)
				}
			}
			if len(line) > 320 {
				t.Errorf("line is %d bytes: %.400s", len(line), line)
			}
			if n := connects.Load(); n != 0 {
				t.Errorf("Admin was dialled %d times for a usage error", n)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %s", d)
			}
			if out.Len() != 0 {
				t.Errorf("stdout: %.200q", out)
			}
		})
	}
}

// A config no one asked for explicitly is not an error: the collector is skipped with the reason.
func TestImplicitKubeconfigIsASkip(t *testing.T) {
	addr := startAdmin(t)
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"none at all", nil, "no Kubernetes config: set --kubeconfig or KUBECONFIG, or create ~/.kube/config"},
		// kubectl skips KUBECONFIG entries that do not exist; so do we, saying so.
		{"KUBECONFIG names a missing file", map[string]string{"KUBECONFIG": missing}, "no file in KUBECONFIG (" + missing + ") exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, out, errOut := testFactory(t, tc.env)
			f.KubeClient = kube.NewClient
			t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a pod, whatever runs the test
			code := run(f, "--admin-endpoint", addr, "--insecure", "--skip", "s3", "-o", "json", "flytesnacks/development/okrun")
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			snap := readReport(t, out.Bytes()).Snapshot
			if r := snap.Collection[1]; r.Status != evidence.StatusSkipped || !strings.Contains(r.SkipReason, tc.want) {
				t.Errorf("kube record = %+v, want skipped with %q", r, tc.want)
			}
		})
	}
}

// The wrong kind of server at admin.endpoint: one line, exit 1, naming the endpoint and what
// to change. Every server is real, on 127.0.0.1.
func TestTransportErrorsSayWhatToDo(t *testing.T) {
	plain := startAdmin(t)
	cert, _, _ := faultsrv.Cert(t, "fake admin", x509.ExtKeyUsageServerAuth)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tlsAdmin, stop, err := fakeadmin.New(&fakeadmin.Fixture{}, fakeadmin.Options{
		ServerOptions: []grpc.ServerOption{grpc.Creds(credentials.NewServerTLSFromCert(&cert))}}).Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	quiet := func(s *httptest.Server) *httptest.Server {
		s.Config.ErrorLog = log.New(io.Discard, "", 0)
		t.Cleanup(s.Close)
		return s
	}
	web := quiet(httptest.NewUnstartedServer(http.NotFoundHandler()))
	web.Start()
	webTLS := quiet(httptest.NewUnstartedServer(http.NotFoundHandler()))
	webTLS.StartTLS()
	silent := faultsrv.Silent(t)
	hostOf := func(u string) string { return strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://") }
	tlsCfg := func(endpoint string, insecure bool) string {
		return writeConfig(t, "admin:\n  endpoint: "+endpoint+"\n  insecure: "+map[bool]string{true: "true", false: "false"}[insecure]+"\n  insecureSkipVerify: true\n")
	}

	for _, tc := range []struct {
		name    string
		config  string
		timeout string
		want    []string
		within  time.Duration
	}{
		{"insecure: false against a plaintext Admin", tlsCfg("dns:///"+plain, false), "30s",
			[]string{"cannot read execution flytesnacks/development/okrun: Flyte Admin at dns:///" + plain + " speaks plaintext, not TLS: set admin.insecure: true (or pass --insecure)"}, 3 * time.Second},
		{"insecure: true against a TLS Admin", tlsCfg(tlsAdmin, true), "30s",
			[]string{"Flyte Admin at " + tlsAdmin + " speaks TLS, not plaintext: set admin.insecure: false (or leave out --insecure)"}, 5 * time.Second},
		// 3 s, well above the 1 s of silence Explain needs before it says so, even on a busy machine.
		{"a server that accepts and never answers", tlsCfg(silent, true), "3s",
			[]string{"gave up after --timeout 3s while reading flytesnacks/development/okrun from " + silent + ", which accepted the connection but did not answer gRPC within ", "s: check that admin.endpoint is Flyte Admin's gRPC port"}, 4 * time.Second},
		{"an HTTP/1.1 web server", tlsCfg(hostOf(web.URL), true), "30s",
			[]string{"Flyte Admin at " + hostOf(web.URL) + " is a plain HTTP/1 web server, not gRPC: point admin.endpoint (or --admin-endpoint) at Flyte Admin's gRPC address, not the console"}, 3 * time.Second},
		{"the console URL by mistake", tlsCfg(webTLS.URL+"/console", false), "30s",
			[]string{"Flyte Admin at " + webTLS.URL + "/console is an HTTPS web server without HTTP/2, not gRPC: point admin.endpoint"}, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, out, errOut := testFactory(t, nil)
			start := time.Now()
			code := run(f, "-c", tc.config, "--skip", "kube,s3", "--timeout", tc.timeout, "flytesnacks/development/okrun")
			took := time.Since(start)
			line := errOut.String()
			t.Logf("%.2fs %s", took.Seconds(), line)
			if code != ExitFailure {
				t.Fatalf("exit %d, want %d; stderr %q", code, ExitFailure, line)
			}
			if strings.Count(line, "\n") != 1 || len(line) > 320 {
				t.Errorf("not one short line (%d bytes): %q", len(line), line)
			}
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("stderr\n  %s\nlacks\n  %s", line, w)
				}
			}
			if took > tc.within {
				t.Errorf("took %s, want under %s", took, tc.within)
			}
			if out.Len() != 0 {
				t.Errorf("stdout: %q", out)
			}
		})
	}
}

// Whatever the run is waiting on when --timeout ends it, the line reads the same way, as a
// runtime failure (exit 1), not a usage error.
func TestEveryDeadlineReadsTheSame(t *testing.T) {
	addr := startAdmin(t)
	for _, timeout := range []string{"1ns", "1us", "1ms"} {
		f, _, errOut := testFactory(t, nil)
		code := run(f, "--admin-endpoint", addr, "--insecure", "--skip", "kube,s3", "--timeout", timeout, "flytesnacks/development/okrun")
		line := errOut.String()
		if code == ExitOK && timeout != "1ns" {
			continue // the machine was fast enough: nothing to see; 1ns is over before anything starts
		}
		d, _ := time.ParseDuration(timeout)
		if code != ExitFailure || !strings.HasPrefix(line, "flytedoctor: gave up after --timeout "+d.String()+" while ") ||
			!strings.HasSuffix(line, ": raise --timeout or check that Flyte Admin answers\n") || strings.Contains(line, "context deadline exceeded") {
			t.Errorf("--timeout %s: exit %d, stderr %q", timeout, code, line)
		}
	}
}

// Admin answering slower than admin.perRetryTimeout is said in those words.
func TestPerRetryTimeoutIsNamed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	slow, stop, err := fakeadmin.New(&fakeadmin.Fixture{}, fakeadmin.Options{Latency: 2 * time.Second}).Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg := writeConfig(t, "admin:\n  endpoint: "+slow+"\n  insecure: true\n  perRetryTimeout: 100ms\n  maxRetries: 1\n")
	f, _, errOut := testFactory(t, nil)
	code := run(f, "-c", cfg, "--skip", "kube,s3", "--timeout", "30s", "flytesnacks/development/okrun")
	want := "flytedoctor: cannot read execution flytesnacks/development/okrun: Flyte Admin at " + slow +
		" did not answer within admin.perRetryTimeout 100ms, 2 attempts: raise admin.perRetryTimeout in " + cfg + " or check that Admin is healthy\n"
	if code != ExitFailure || errOut.String() != want {
		t.Errorf("exit %d, stderr\n  %q\nwant\n  %q", code, errOut, want)
	}
}

package main

//lint:file-ignore SA1019 the fixture serves the deprecated inputs UrlBlob, as flyteadmin v1.16 does

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/event"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/internal/faultsrv"
	"github.com/flytedoctor/flytedoctor/report"
	"github.com/flytedoctor/flytedoctor/rules"
)

// The fault matrix (issue 8, item 10): flytedoctor against Flyte Admin, the Kubernetes API and
// the object store failing in each way users meet, one row per case. Every row runs the real
// main() in a child process (this test binary re-executed, see TestMain) with its own
// environment, and asserts the exit code, the one-line error of a fatal case or the gap that a
// partial report names, that the run ended within --timeout plus a second, and that no child
// process it started outlived it.

// runMainEnv makes the test binary run main() instead of the tests.
const runMainEnv = "FLYTEDOCTOR_TEST_RUN_MAIN"

// faultCases is the matrix. A row: component/method/fault, --timeout, the dev-stack variables it
// needs, how its servers misbehave, and what issue 8 wants flytedoctor to do about it.
func faultCases() []faultCase {
	return []faultCase{
		// Admin, connection faults: every call fails alike, so GetExecution decides.
		{"admin/unreachable-closed-port", fastTimeout, nil, adminServer(faultsrv.ClosedAddr, true), fatal("{admin}", "connection refused")},
		{"admin/non-grpc-http1-server", fastTimeout, nil, adminServer(faultsrv.HTTP1, true), fatal("{admin}")},
		{"admin/silent-server", slowTimeout, nil, adminServer(faultsrv.Silent, true), fatal("{admin}", "accepted the connection but did not answer gRPC within")},
		{"admin/tls-mismatch-tls-server-insecure-true", fastTimeout, nil, tlsAdmin, fatal("{admin}", "TLS", "admin.insecure")},
		{"admin/tls-mismatch-plaintext-server-insecure-false", fastTimeout, nil, plaintextAdmin, fatal("{admin}", "speaks plaintext", "admin.insecure: true")},

		// Admin × GetExecution: the execution itself cannot be read, so the run fails (exit 1).
		{"admin/GetExecution/unavailable-twice-then-ok", fastTimeout, nil, withAdmin(failTwice(getExecution)), recovered(getExecution)},
		{"admin/GetExecution/unavailable-always", fastTimeout, nil, withAdmin(fail(getExecution, codes.Unavailable)), fatal("cannot read execution "+execution, "{admin}", "Unavailable")},
		{"admin/GetExecution/unauthenticated", fastTimeout, nil, withAdmin(fail(getExecution, codes.Unauthenticated)), fatal("cannot read execution "+execution, "{admin}", "Unauthenticated")},
		{"admin/GetExecution/permission-denied", fastTimeout, nil, withAdmin(fail(getExecution, codes.PermissionDenied)), fatal("cannot read execution "+execution, "{admin}", "PermissionDenied")},
		{"admin/GetExecution/not-found", fastTimeout, nil, withAdmin(fail(getExecution, codes.NotFound)), fatal("execution "+execution+" not found on", "{admin}")},
		{"admin/GetExecution/internal", fastTimeout, nil, withAdmin(fail(getExecution, codes.Internal)), fatal("cannot read execution "+execution, "{admin}", "Internal")},
		{"admin/GetExecution/deadline-exceeded", fastTimeout, nil, withAdmin(fail(getExecution, codes.DeadlineExceeded)), fatal("cannot read execution "+execution, "{admin}", "DeadlineExceeded")},
		{"admin/GetExecution/slower-than-timeout", slowTimeout, nil, withAdmin(slow(getExecution)), fatal("gave up after --timeout 3s", execution, "{admin}")},

		// Admin × each later method: the report goes on without what the call would have brought
		// and names the gap; the execution failed, so the exit code is 3.
		{"admin/ListNodeExecutions/unavailable-twice-then-ok", fastTimeout, nil, withAdmin(failTwice(listNodes)), recovered(listNodes)},
		{"admin/ListNodeExecutions/unavailable-always", fastTimeout, nil, withAdmin(fail(listNodes, codes.Unavailable)), adminGap(listNodes, "Unavailable", "FD9002", attemptsStated)},
		{"admin/ListNodeExecutions/unauthenticated", fastTimeout, nil, withAdmin(fail(listNodes, codes.Unauthenticated)), adminGap(listNodes, "Unauthenticated", "FD9001")},
		{"admin/ListNodeExecutions/permission-denied", fastTimeout, nil, withAdmin(fail(listNodes, codes.PermissionDenied)), adminGap(listNodes, "PermissionDenied", "FD9001")},
		{"admin/ListNodeExecutions/not-found", fastTimeout, nil, withAdmin(fail(listNodes, codes.NotFound)), adminGap(listNodes, "NotFound", "FD9003")},
		{"admin/ListNodeExecutions/internal", fastTimeout, nil, withAdmin(fail(listNodes, codes.Internal)), adminGap(listNodes, "Internal", "FD9003")},
		{"admin/ListNodeExecutions/deadline-exceeded", fastTimeout, nil, withAdmin(fail(listNodes, codes.DeadlineExceeded)), adminGap(listNodes, "DeadlineExceeded", "FD9002")},
		{"admin/ListNodeExecutions/slower-than-timeout", slowTimeout, nil, withAdmin(slow(listNodes)), adminGap(listNodes, "DeadlineExceeded", "FD9002", raiseTimeout)},

		{"admin/ListTaskExecutions/unavailable-twice-then-ok", fastTimeout, nil, withAdmin(failTwice(listTasks)), recovered(listTasks)},
		{"admin/ListTaskExecutions/unavailable-always", fastTimeout, nil, withAdmin(fail(listTasks, codes.Unavailable)), adminGap(listTasks, "Unavailable", "FD9002", attemptsStated)},
		{"admin/ListTaskExecutions/unauthenticated", fastTimeout, nil, withAdmin(fail(listTasks, codes.Unauthenticated)), adminGap(listTasks, "Unauthenticated", "FD9001")},
		{"admin/ListTaskExecutions/permission-denied", fastTimeout, nil, withAdmin(fail(listTasks, codes.PermissionDenied)), adminGap(listTasks, "PermissionDenied", "FD9001")},
		{"admin/ListTaskExecutions/not-found", fastTimeout, nil, withAdmin(fail(listTasks, codes.NotFound)), adminGap(listTasks, "NotFound", "FD9003")},
		{"admin/ListTaskExecutions/internal", fastTimeout, nil, withAdmin(fail(listTasks, codes.Internal)), adminGap(listTasks, "Internal", "FD9003")},
		{"admin/ListTaskExecutions/deadline-exceeded", fastTimeout, nil, withAdmin(fail(listTasks, codes.DeadlineExceeded)), adminGap(listTasks, "DeadlineExceeded", "FD9002")},
		{"admin/ListTaskExecutions/slower-than-timeout", slowTimeout, nil, withAdmin(slow(listTasks)), adminGap(listTasks, "DeadlineExceeded", "FD9002", raiseTimeout)},

		{"admin/ListTaskExecutions/slow/sigint", longTimeout, nil, interrupted(os.Interrupt, withAdmin(slow(listTasks))), adminGap(listTasks, "Canceled", "FD9003")},

		{"admin/GetNodeExecution/unavailable-twice-then-ok", fastTimeout, nil, withAdmin(failTwice(getNode)), recovered(getNode)},
		{"admin/GetNodeExecution/unavailable-always", fastTimeout, nil, withAdmin(fail(getNode, codes.Unavailable)), adminGap(getNode, "Unavailable", "FD9002", attemptsStated)},
		{"admin/GetNodeExecution/unauthenticated", fastTimeout, nil, withAdmin(fail(getNode, codes.Unauthenticated)), adminGap(getNode, "Unauthenticated", "FD9001")},
		{"admin/GetNodeExecution/permission-denied", fastTimeout, nil, withAdmin(fail(getNode, codes.PermissionDenied)), adminGap(getNode, "PermissionDenied", "FD9001")},
		{"admin/GetNodeExecution/not-found", fastTimeout, nil, withAdmin(fail(getNode, codes.NotFound)), adminGap(getNode, "NotFound", "FD9003")},
		{"admin/GetNodeExecution/internal", fastTimeout, nil, withAdmin(fail(getNode, codes.Internal)), adminGap(getNode, "Internal", "FD9003")},
		{"admin/GetNodeExecution/deadline-exceeded", fastTimeout, nil, withAdmin(fail(getNode, codes.DeadlineExceeded)), adminGap(getNode, "DeadlineExceeded", "FD9002")},
		{"admin/GetNodeExecution/slower-than-timeout", slowTimeout, nil, withAdmin(slow(getNode)), adminGap(getNode, "DeadlineExceeded", "FD9002", raiseTimeout)},

		{"admin/GetExecutionData/unavailable-twice-then-ok", fastTimeout, nil, withAdmin(failTwice(getData)), recovered(getData)},
		{"admin/GetExecutionData/unavailable-always", fastTimeout, nil, withAdmin(fail(getData, codes.Unavailable)), adminGap(getData, "Unavailable", "FD9002", attemptsStated)},
		{"admin/GetExecutionData/unauthenticated", fastTimeout, nil, withAdmin(fail(getData, codes.Unauthenticated)), adminGap(getData, "Unauthenticated", "FD9001")},
		{"admin/GetExecutionData/permission-denied", fastTimeout, nil, withAdmin(fail(getData, codes.PermissionDenied)), adminGap(getData, "PermissionDenied", "FD9001")},
		{"admin/GetExecutionData/not-found", fastTimeout, nil, withAdmin(fail(getData, codes.NotFound)), adminGap(getData, "NotFound", "FD9003")},
		{"admin/GetExecutionData/internal", fastTimeout, nil, withAdmin(fail(getData, codes.Internal)), adminGap(getData, "Internal", "FD9003")},
		{"admin/GetExecutionData/deadline-exceeded", fastTimeout, nil, withAdmin(fail(getData, codes.DeadlineExceeded)), adminGap(getData, "DeadlineExceeded", "FD9002")},
		{"admin/GetExecutionData/slower-than-timeout", slowTimeout, nil, withAdmin(slow(getData)), adminGap(getData, "DeadlineExceeded", "FD9002", raiseTimeout)},

		// Kubernetes: a wrong --kubeconfig is a usage error naming the flag; an unreachable or
		// refusing API server leaves a report without pods that says so.
		{"kube/malformed-kubeconfig-flag", fastTimeout, nil, withKubeconfig(malformedKubeconfig, true), fatalCode(2, "--kubeconfig", "{kubeconfig}")},
		{"kube/malformed-kubeconfig-default", fastTimeout, nil, withKubeconfig(malformedKubeconfig, false), gapNamed("kube", "{kubeconfig}")},
		{"kube/closed-port", fastTimeout, nil, kubeAt(faultsrv.ClosedAddr, func(*caseEnv) string { return tokenUser }), kubeGap("Unavailable", "FD9002", "{kube}")},
		{"kube/silent-server", slowTimeout, nil, kubeAt(faultsrv.Silent, func(*caseEnv) string { return tokenUser }), kubeGap("DeadlineExceeded", "FD9002", "{kube}", raiseTimeout)},
		{"kube/hanging-exec-plugin", slowTimeout, nil, kubeAt(faultsrv.ClosedAddr, hangingExecPlugin), kubeGap("DeadlineExceeded|Timeout|RunTimeout", "FD9002|FD9003", "", mentions("credential|exec"))},
		{"kube/hanging-exec-plugin/sigint", longTimeout, nil, interrupted(os.Interrupt, kubeAt(faultsrv.ClosedAddr, hangingExecPlugin)), kubeGap("Canceled|Interrupted", "FD9002|FD9003", "", mentions("credential|exec"))},
		{"kube/hanging-exec-plugin/sigterm", longTimeout, nil, interrupted(syscall.SIGTERM, kubeAt(faultsrv.ClosedAddr, hangingExecPlugin)), kubeGap("Canceled|Interrupted", "FD9002|FD9003", "", mentions("credential|exec"))},
		{"kube/403-forbidden", fastTimeout, []string{"STACK_KUBECONFIG_LIMITED"}, stackKube403, kubeGap("Forbidden", "FD9001", "list pods")},

		// Storage: denials are evidence (storage findings); no answer is a gap (FD9002/FD9003).
		{"s3/closed-port", fastTimeout, nil, withS3(s3At(faultsrv.ClosedAddr), staticKeys, "AWS_SECRET_ACCESS_KEY=faults"), s3Gap("ConnectionRefused", "FD9002", callsAgree)},
		{"s3/silent-server", slowTimeout, nil, withS3(s3At(faultsrv.Silent), staticKeys, "AWS_SECRET_ACCESS_KEY=faults"), s3Gap("Timeout", "FD9002", raiseTimeout, callsAgree)},
		{"s3/403-access-denied", fastTimeout, []string{"STACK_S3_ENDPOINT", "STACK_S3_BUCKET", "STACK_S3_DENIED_ACCESS_KEY_ID"}, withS3(stackS3, "AWS_ACCESS_KEY_ID=$STACK_S3_DENIED_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY=$STACK_S3_DENIED_SECRET_ACCESS_KEY"), s3Denied("access-denied", "AccessDenied")},
		{"s3/bad-keys", fastTimeout, []string{"STACK_S3_ENDPOINT", "STACK_S3_BUCKET", "AWS_ACCESS_KEY_ID"}, withS3(stackS3, "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY=not-the-secret"), s3Denied("invalid-credentials", "SignatureDoesNotMatch")},
		{"s3/hanging-credential-process", slowTimeout, nil, withS3(hangingCredentialProcess), s3Gap("", "FD9003|FD9002", mentions("credential"), mentions("timed out|deadline|timeout|--timeout"))},
		{"s3/hanging-credential-process/sigterm", longTimeout, nil, interrupted(syscall.SIGTERM, withS3(hangingCredentialProcess)), s3Gap("", "FD9003|FD9002", mentions("credential"))},
	}
}

func malformedKubeconfig(*caseEnv) string { return "apiVersion: v1\nclusters: [unclosed\n" }

func TestFaultMatrix(t *testing.T) {
	cases := faultCases()
	if len(cases) < 30 {
		t.Fatalf("the matrix has %d cases, issue 8 asks for at least 30", len(cases))
	}
	seen := map[string]bool{}
	for _, fc := range cases {
		if seen[fc.name] {
			t.Fatalf("case %s twice", fc.name)
		}
		seen[fc.name] = true
		t.Run(fc.name, func(t *testing.T) {
			t.Parallel()
			for _, v := range fc.needs {
				if os.Getenv(v) == "" {
					t.Skipf("needs the dev stack: %s is unset (source the stack's env.sh; make test does)", v)
				}
			}
			runCase(t, fc)
		})
	}
}

func runCase(t *testing.T, fc faultCase) {
	c := &caseEnv{dir: t.TempDir(), vars: map[string]string{}, bucket: "flyte-data", token: sleepToken(t)}
	c.args = []string{"-o", "json", "--no-color", "--timeout", fc.timeout.String()}
	fc.setup(t, c)
	c.args = append(c.args, execution)
	// The run must end by --timeout, or by the signal when the row sends one, plus a second.
	end, why := fc.timeout, "--timeout "+fc.timeout.String()
	if c.signal != nil {
		end, why = c.signalAt, fmt.Sprintf("%v at %s", c.signal, c.signalAt)
	}
	res := runFlytedoctor(t, c, end)

	first := firstLine(res.stderr)
	defer func() {
		t.Logf("matrix | %s | %d | %.1fs | %s", fc.name, res.code, res.elapsed.Seconds(), first)
	}()
	if res.code != fc.want.code {
		t.Errorf("exit code %d, want %d; stderr: %q", res.code, fc.want.code, clip(res.stderr))
	}
	if res.elapsed > end+time.Second {
		t.Errorf("the run took %.1fs, more than %s plus a second", res.elapsed.Seconds(), why)
	}
	if f := c.fault; f.method != "" {
		if got := c.admin.Stats().Calls[f.method]; got != f.attempts() {
			t.Errorf("the server saw %d attempts of %s, want %d", got, f.method, f.attempts())
		}
	}
	if left := processesWith(c.token); len(left) > 0 {
		t.Errorf("child processes outlived flytedoctor: pids %v run %q", left, c.token)
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}

	var r jsonReport
	jsonErr := json.Unmarshal([]byte(res.stdout), &r.Report)
	if jsonErr == nil && r.Snapshot != nil {
		_ = json.Unmarshal([]byte(res.stdout), &r.raw)
		if first == "" {
			first = r.headline()
		}
	}

	if fc.want.report == nil {
		if res.stdout != "" {
			t.Errorf("a failed run wrote to stdout: %q", clip(res.stdout))
		}
		if !strings.HasPrefix(res.stderr, "flytedoctor: ") || strings.Count(res.stderr, "\n") != 1 || !strings.HasSuffix(res.stderr, "\n") {
			t.Errorf("stderr is not one line starting with \"flytedoctor: \": %q", clip(res.stderr))
		}
		for _, w := range fc.want.line {
			if w = c.expand(w); !strings.Contains(res.stderr, w) {
				t.Errorf("the error line lacks %q: %q", w, first)
			}
		}
		return
	}
	if res.stderr != "" {
		t.Errorf("a run that reported wrote to stderr: %q", clip(res.stderr))
	}
	if jsonErr != nil || r.Snapshot == nil {
		t.Fatalf("stdout is not a JSON report (%v): %q", jsonErr, clip(res.stdout))
	}
	fc.want.report(t, c, &r)
}

// Admin methods the collector calls for one execution.
const (
	getExecution = "GetExecution"
	listNodes    = "ListNodeExecutions"
	listTasks    = "ListTaskExecutions"
	getNode      = "GetNodeExecution"
	getData      = "GetExecutionData"
)

const (
	execution   = "flytesnacks/development/failedrun"
	fastTimeout = 5 * time.Second // faults that answer at once or after the retries (~1.5 s)
	slowTimeout = 3 * time.Second // servers and children that never answer
	longTimeout = time.Minute     // rows that a signal ends
	// An Admin call is tried 1+maxRetries times (flyteconfig.DefaultMaxRetries).
	adminAttempts = 5
)

// faultCase is one row of the matrix.
type faultCase struct {
	name    string
	timeout time.Duration
	// needs lists environment variables of the dev stack the row needs; without them it skips.
	needs []string
	setup func(t *testing.T, c *caseEnv)
	want  want
}

// want is what a row expects, written as issue 8 wants the behaviour to be.
type want struct {
	code int
	// line: a fatal run prints one line on stderr, nothing on stdout, and the line contains each
	// of these ({admin}, {kube}, {s3}, {kubeconfig} are replaced by the case's values).
	line []string
	// report checks the -o json report of a run that went on (nil for fatal rows).
	report func(t *testing.T, c *caseEnv, r *jsonReport)
}

// caseEnv is one row's world: its directory, servers, arguments and environment.
type caseEnv struct {
	dir    string
	args   []string
	env    []string
	vars   map[string]string
	admin  *fakeadmin.Server
	fault  adminFault // the fault admin serves, if any
	bucket string
	// signal, when set, is sent to flytedoctor signalAt after it started.
	signal   os.Signal
	signalAt time.Duration
	// token is the unique argument of a hanging child (exec plugin, credential_process): a
	// process whose command line holds it after the run is one flytedoctor left behind.
	token string
}

func (c *caseEnv) expand(s string) string {
	for k, v := range c.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

func (c *caseEnv) write(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(c.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (c *caseEnv) create(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(c.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func (c *caseEnv) read(t *testing.T, f *os.File) string {
	t.Helper()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// adminFault says how the fake Admin misbehaves on one method.
type adminFault struct {
	method  string
	code    codes.Code    // returned instead of the answer
	times   int           // so many times, then answers; 0: always
	latency time.Duration // added before the answer
}

// attempts is how many times the server sees the faulty call: README's retry policy retries
// Unavailable and DeadlineExceeded (1+maxRetries attempts), no other code, and not a call that
// ran into the caller's --timeout.
func (f adminFault) attempts() int {
	switch {
	case f.latency > 0:
		return 1
	case f.times > 0:
		return f.times + 1
	case f.code == codes.Unavailable || f.code == codes.DeadlineExceeded:
		return adminAttempts
	}
	return 1
}

func fail(method string, code codes.Code) adminFault { return adminFault{method: method, code: code} }
func failTwice(method string) adminFault {
	return adminFault{method: method, code: codes.Unavailable, times: 2}
}
func slow(method string) adminFault { return adminFault{method: method, latency: time.Minute} }

// withAdmin serves the failed execution with the fault and points flytedoctor's config at it.
func withAdmin(f adminFault) func(*testing.T, *caseEnv) {
	return func(t *testing.T, c *caseEnv) {
		opts := fakeadmin.Options{}
		if f.latency > 0 {
			opts.LatencyFunc = func(m string) time.Duration {
				if m == f.method {
					return f.latency
				}
				return 0
			}
		}
		if f.code != codes.OK && f.times == 0 {
			opts.Fault = func(m string, _ proto.Message) error {
				if m == f.method {
					return status.Errorf(f.code, "fakeadmin: injected %s for %s", f.code, m)
				}
				return nil
			}
		}
		c.startAdmin(t, opts, true)
		c.fault = f
		if f.times > 0 {
			c.admin.FailNext(f.method, f.code, f.times)
		}
		c.args = append(c.args, "--skip", "kube,s3")
	}
}

// startAdmin serves faultFixture with opts and points the config at it.
func (c *caseEnv) startAdmin(t *testing.T, opts fakeadmin.Options, insecure bool) {
	t.Helper()
	c.admin = fakeadmin.New(faultFixture(c.bucket), opts)
	addr, stop, err := c.admin.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	c.useAdmin(t, addr, insecure)
}

// useAdmin writes a config.yaml for the Admin at addr and passes it with -c.
func (c *caseEnv) useAdmin(t *testing.T, addr string, insecure bool) {
	c.vars["admin"] = addr
	cfg := c.write(t, "config.yaml", fmt.Sprintf("admin:\n  endpoint: dns:///%s\n  insecure: %t\n", addr, insecure))
	c.args = append(c.args, "-c", cfg)
}

// adminServer is a server other than the fake Admin (closed port, silent, HTTP/1.1).
func adminServer(addr func(testing.TB) string, insecure bool) func(*testing.T, *caseEnv) {
	return func(t *testing.T, c *caseEnv) {
		c.useAdmin(t, addr(t), insecure)
		c.args = append(c.args, "--skip", "kube,s3")
	}
}

// tlsAdmin is the fake Admin behind TLS with a self-signed certificate.
func tlsAdmin(t *testing.T, c *caseEnv) {
	cfg, _ := faultsrv.SelfSigned(t)
	c.startAdmin(t, fakeadmin.Options{ServerOptions: []grpc.ServerOption{grpc.Creds(credentials.NewTLS(cfg))}}, true)
	c.args = append(c.args, "--skip", "kube,s3")
}

// plaintextAdmin is the fake Admin without TLS, asked for with insecure: false.
func plaintextAdmin(t *testing.T, c *caseEnv) {
	c.startAdmin(t, fakeadmin.Options{}, false)
	c.args = append(c.args, "--skip", "kube,s3")
}

// Kubernetes rows: Admin answers, storage is skipped.

// withKubeconfig writes the kubeconfig body, given with --kubeconfig (flag) or found as
// ~/.kube/config.
func withKubeconfig(body func(c *caseEnv) string, flag bool) func(*testing.T, *caseEnv) {
	return func(t *testing.T, c *caseEnv) {
		c.startAdmin(t, fakeadmin.Options{}, true)
		c.args = append(c.args, "--skip", "s3")
		if flag {
			c.vars["kubeconfig"] = c.write(t, "kubeconfig", body(c))
			c.args = append(c.args, "--kubeconfig", c.vars["kubeconfig"])
			return
		}
		c.vars["kubeconfig"] = c.write(t, "home/.kube/config", body(c))
	}
}

// kubeconfigFor is a one-context kubeconfig for server, with user's credentials (YAML lines).
func kubeconfigFor(server, user string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: %s
    insecure-skip-tls-verify: true
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
users:
- name: u
  user:
%s`, server, user)
}

// tokenUser authenticates with a bearer token.
const tokenUser = "    token: faults-test-token\n"

// kubeAt is a kubeconfig for an API server on a fault server, with --kubeconfig.
func kubeAt(addr func(testing.TB) string, user func(*caseEnv) string) func(*testing.T, *caseEnv) {
	return func(t *testing.T, c *caseEnv) {
		c.vars["kube"] = "https://" + addr(t)
		withKubeconfig(func(c *caseEnv) string { return kubeconfigFor(c.vars["kube"], user(c)) }, true)(t, c)
	}
}

// hangingExecPlugin is a client-go exec credential plugin that never returns.
func hangingExecPlugin(c *caseEnv) string {
	return fmt.Sprintf(`    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: sleep
      args: [%q]
      interactiveMode: Never
`, c.token)
}

// stackKube403 is the dev stack's kube-apiserver with a token that RBAC grants nothing.
func stackKube403(t *testing.T, c *caseEnv) {
	c.startAdmin(t, fakeadmin.Options{}, true)
	c.vars["kubeconfig"] = os.Getenv("STACK_KUBECONFIG_LIMITED")
	c.args = append(c.args, "--skip", "s3", "--kubeconfig", c.vars["kubeconfig"])
}

// interrupted sends sig to flytedoctor a second after it started, with a --timeout far away.
func interrupted(sig os.Signal, setup func(*testing.T, *caseEnv)) func(*testing.T, *caseEnv) {
	return func(t *testing.T, c *caseEnv) {
		c.signal, c.signalAt = sig, time.Second
		setup(t, c)
	}
}

// Storage rows: Admin answers with s3:// paths, Kubernetes is skipped.

// withS3 serves the execution with its data under the case's bucket and points the storage
// probes at the endpoint the row's function returns, with the row's AWS environment ($VARs of
// the test's environment expanded).
func withS3(endpoint func(t *testing.T, c *caseEnv) string, env ...string) func(*testing.T, *caseEnv) {
	return func(t *testing.T, c *caseEnv) {
		c.vars["s3"] = endpoint(t, c) // first: it may choose the bucket
		c.startAdmin(t, fakeadmin.Options{}, true)
		c.args = append(c.args, "--skip", "kube", "--s3-endpoint", c.vars["s3"])
		c.env = append(c.env, "AWS_REGION=us-east-1")
		for _, e := range env {
			c.env = append(c.env, os.ExpandEnv(e))
		}
	}
}

// s3At is an S3 endpoint on a fault server.
func s3At(addr func(testing.TB) string) func(*testing.T, *caseEnv) string {
	return func(t *testing.T, _ *caseEnv) string { return "http://" + addr(t) }
}

// stackS3 is the dev stack's versitygw and its bucket.
func stackS3(_ *testing.T, c *caseEnv) string {
	c.bucket = os.Getenv("STACK_S3_BUCKET")
	return os.Getenv("STACK_S3_ENDPOINT")
}

// staticKeys are credentials from the environment, so that the probes are sent.
const staticKeys = "AWS_ACCESS_KEY_ID=AKIAFAULTSTEST000000"

// hangingCredentialProcess is a shared config whose default profile's credential_process never
// returns; the endpoint is never reached.
func hangingCredentialProcess(t *testing.T, c *caseEnv) string {
	c.write(t, "aws/config", "[default]\ncredential_process = sleep "+c.token+"\n")
	return "http://" + faultsrv.ClosedAddr(t)
}

// jsonReport is -o json, typed and raw (for fields another change may add).
type jsonReport struct {
	report.Report
	raw map[string]any
}

func (r *jsonReport) record(collector string) *evidence.CollectorRecord {
	for i := range r.Snapshot.Collection {
		if r.Snapshot.Collection[i].Collector == collector {
			return &r.Snapshot.Collection[i]
		}
	}
	return nil
}

// headline is what a report says first about the case: the first collection finding (FD9xxx,
// the gap), else the first storage finding, else the first finding.
func (r *jsonReport) headline() string {
	for _, prefix := range []string{"FD9", "FD3"} {
		for _, f := range r.Findings {
			if strings.HasPrefix(f.RuleID, prefix) {
				return f.RuleID + " " + f.Summary
			}
		}
	}
	if len(r.Findings) > 0 {
		return r.Findings[0].RuleID + " " + r.Findings[0].Summary
	}
	return ""
}

// findingText is everything a finding says, for "does the report name it" checks.
func findingText(f rules.Finding) string {
	return strings.Join(append([]string{f.Summary, f.Detail}, f.Evidence...), "\n")
}

// collectionFindings returns the findings whose rule id matches ids (a regexp) and that speak
// about collector ("" any).
func (r *jsonReport) collectionFindings(ids, collector string) []rules.Finding {
	re := regexp.MustCompile(`^(` + ids + `)$`)
	var out []rules.Finding
	for _, f := range r.Findings {
		if re.MatchString(f.RuleID) && (collector == "" || strings.Contains(findingText(f), collector) || collectorWords(collector, f.Summary)) {
			out = append(out, f)
		}
	}
	return out
}

func collectorWords(collector, summary string) bool {
	switch collector {
	case "flyteadmin":
		return strings.Contains(summary, "Flyte Admin")
	case "kube":
		return strings.Contains(summary, "Kubernetes")
	case "s3":
		return strings.Contains(summary, "object store") || strings.Contains(summary, "storage")
	}
	return false
}

// extra checks, added to a row's expectation.
type extra func(t *testing.T, c *caseEnv, r *jsonReport, fs []rules.Finding)

// raiseTimeout: a gap from a timeout says that --timeout may be raised.
func raiseTimeout(t *testing.T, _ *caseEnv, r *jsonReport, fs []rules.Finding) {
	t.Helper()
	for _, f := range r.Findings {
		for _, fix := range f.Fixes {
			if strings.Contains(fix.Action, "--timeout") {
				return
			}
		}
	}
	t.Errorf("no fix says to raise --timeout: %+v", fs)
}

// mentions: the gap's findings or the collector's errors say one of the words (a|b).
func mentions(words string) extra {
	re := regexp.MustCompile(`(?i)` + words)
	return func(t *testing.T, c *caseEnv, r *jsonReport, fs []rules.Finding) {
		t.Helper()
		for _, f := range fs {
			if re.MatchString(findingText(f)) {
				return
			}
		}
		t.Errorf("the report's gap does not say %q: %+v", words, fs)
	}
}

// attemptsStated (item 6): the server saw adminAttempts attempts of one call; the finding says
// so, as attempts or as retries, not only "1 call".
func attemptsStated(t *testing.T, c *caseEnv, _ *jsonReport, fs []rules.Finding) {
	t.Helper()
	re := regexp.MustCompile(fmt.Sprintf(`\b(%d attempts|%d retries)\b`, adminAttempts, adminAttempts-1))
	for _, f := range fs {
		if re.MatchString(findingText(f)) {
			return
		}
	}
	t.Errorf("the server saw %d attempts (%v); the finding does not say %d attempts or %d retries: %q",
		adminAttempts, c.admin.Stats().Calls, adminAttempts, adminAttempts-1, summaries(fs))
}

// callsAgree (item 6): every "N calls" a storage gap finding states is the record's count: of
// the calls sent, or of the calls the run ended before sending.
func callsAgree(t *testing.T, _ *caseEnv, r *jsonReport, fs []rules.Finding) {
	t.Helper()
	rec := r.record("s3")
	notSent := 0
	for _, e := range rec.Errors {
		if e.NotSent {
			notSent++
		}
	}
	re := regexp.MustCompile(`\b(\d+) calls?\b`)
	for _, f := range fs {
		for _, part := range strings.Split(f.Summary, "; ") {
			want, what := rec.TotalCalls(), "calls"
			if strings.Contains(part, "not sent") {
				want, what = notSent, "calls not sent"
			}
			for _, m := range re.FindAllStringSubmatch(part, -1) {
				if n, _ := strconv.Atoi(m[1]); n != want {
					t.Errorf("%s says %s while the s3 record counts %d %s (%v)", f.RuleID, m[0], want, what, rec.Calls)
				}
			}
		}
	}
}

func summaries(fs []rules.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.RuleID+" "+f.Summary)
	}
	return out
}

func fatal(line ...string) want { return fatalCode(1, line...) }

func fatalCode(code int, line ...string) want { return want{code: code, line: line} }

// recovered: two Unavailable answers, then success; the report is complete, counts the call once
// and says it was retried (item 6).
func recovered(method string) want {
	return want{code: 3, report: func(t *testing.T, c *caseEnv, r *jsonReport) {
		rec := r.record("flyteadmin")
		if rec == nil || rec.Status != evidence.StatusOK || len(rec.Errors) > 0 {
			t.Fatalf("flyteadmin record %+v, want ok without errors", rec)
		}
		if rec.Calls[method] != 1 {
			t.Errorf("the record counts %d calls of %s, want 1", rec.Calls[method], method)
		}
		if fs := r.collectionFindings("FD9.*", "flyteadmin"); len(fs) > 0 {
			t.Errorf("collection findings for an answered call: %q", summaries(fs))
		}
		if !r.statesRetries("flyteadmin", method, 2) {
			t.Errorf("the flyteadmin record does not count 2 retries of %s: %v", method, r.rawRecord("flyteadmin"))
		}
		if ex := r.Snapshot.Execution; ex == nil || len(ex.Nodes) != 1 || len(ex.Nodes[0].Attempts) != 1 || ex.InputsURI == "" {
			t.Errorf("the execution was not read whole: %+v", ex)
		}
	}}
}

func (r *jsonReport) rawRecord(collector string) map[string]any {
	recs, _ := r.raw["collection"].([]any)
	for _, x := range recs {
		if m, ok := x.(map[string]any); ok && m["collector"] == collector {
			return m
		}
	}
	return nil
}

// statesRetries: the record counts n more attempts than calls of method (item 6: one call, retried n times).
func (r *jsonReport) statesRetries(collector, method string, n int) bool {
	rec := r.record(collector)
	return rec != nil && rec.Attempts[method]-rec.Calls[method] == n
}

// adminGap: one later Admin call failed with code; the report records it, the flyteadmin record
// is partial and rule names the method.
func adminGap(method, code, rule string, extras ...extra) want {
	return want{code: 3, report: func(t *testing.T, c *caseEnv, r *jsonReport) {
		rec := r.record("flyteadmin")
		if rec == nil || rec.Status != evidence.StatusPartial {
			t.Fatalf("flyteadmin record %+v, want partial", rec)
		}
		found := false
		for _, e := range rec.Errors {
			found = found || e.Method == method && e.Code == code
		}
		if !found {
			t.Errorf("the flyteadmin record has no %s error for %s: %+v", code, method, rec.Errors)
		}
		fs := r.collectionFindings(rule, "flyteadmin")
		named := false
		for _, f := range fs {
			named = named || strings.Contains(f.Summary, method)
		}
		if !named {
			t.Errorf("no %s finding names %s: %q", rule, method, summaries(r.collectionFindings("FD9.*", "")))
		}
		if ex := r.Snapshot.Execution; ex == nil || ex.Error == nil {
			t.Errorf("the report lost the execution's own error: %+v", ex)
		}
		for _, x := range extras {
			x(t, c, r, fs)
		}
	}}
}

// gapNamed: the collector did not run or failed, and a collection finding names what (a path).
func gapNamed(collector, what string) want {
	return want{code: 3, report: func(t *testing.T, c *caseEnv, r *jsonReport) {
		rec := r.record(collector)
		if rec == nil || rec.Status == evidence.StatusOK {
			t.Fatalf("%s record %+v, want skipped or failed", collector, rec)
		}
		w := c.expand(what)
		for _, f := range r.collectionFindings("FD9.*", collector) {
			if strings.Contains(findingText(f), w) {
				return
			}
		}
		t.Errorf("no collection finding names %s: %q (record %+v)", w, summaries(r.collectionFindings("FD9.*", "")), rec)
	}}
}

// kubeGap: the Kubernetes calls failed with code (a regexp); rule names where (server, call).
func kubeGap(code, rule, where string, extras ...extra) want {
	return collectorGap("kube", code, rule, where, extras...)
}

// s3Gap: the storage probes got no answer (code, a regexp; "" any); a rule of ids names the object store.
func s3Gap(code, ids string, extras ...extra) want {
	return collectorGap("s3", code, ids, "", extras...)
}

func collectorGap(collector, code, ids, where string, extras ...extra) want {
	return want{code: 3, report: func(t *testing.T, c *caseEnv, r *jsonReport) {
		rec := r.record(collector)
		if rec == nil || (rec.Status != evidence.StatusFailed && rec.Status != evidence.StatusPartial) {
			t.Fatalf("%s record %+v, want failed or partial", collector, rec)
		}
		if code != "" {
			re := regexp.MustCompile(`^(` + code + `)$`)
			found := false
			for _, e := range rec.Errors {
				found = found || re.MatchString(e.Code)
			}
			if !found {
				t.Errorf("the %s record has no %s error: %+v", collector, code, rec.Errors)
			}
		}
		fs := r.collectionFindings(ids, collector)
		if len(fs) == 0 {
			t.Fatalf("no %s finding about %s: %q", ids, collector, summaries(r.collectionFindings("FD9.*", "")))
		}
		if w := c.expand(where); w != "" && !strings.Contains(findingText(fs[0]), w) {
			t.Errorf("%s does not name %s: %q", fs[0].RuleID, w, fs[0].Summary)
		}
		for _, x := range extras {
			x(t, c, r, fs)
		}
	}}
}

// s3Denied: the object store answered and refused; that is evidence, not a gap: the record is
// ok, the probes are denied with code, and a storage finding of cause says so.
func s3Denied(cause, code string) want {
	return want{code: 3, report: func(t *testing.T, c *caseEnv, r *jsonReport) {
		rec := r.record("s3")
		if rec == nil || rec.Status != evidence.StatusOK {
			t.Fatalf("s3 record %+v, want ok (a refusal is an answer)", rec)
		}
		if r.Snapshot.Storage == nil || len(r.Snapshot.Storage.Probes) == 0 {
			t.Fatalf("no storage probes: %+v", r.Snapshot.Storage)
		}
		denied := false
		for _, p := range r.Snapshot.Storage.Probes {
			denied = denied || p.Outcome == evidence.ProbeDenied && p.ErrorCode == code
		}
		if !denied {
			t.Errorf("no probe was denied with %s: %+v", code, r.Snapshot.Storage.Probes)
		}
		for _, f := range r.Findings {
			if f.Category == "storage-permission" && f.Cause == cause {
				return
			}
		}
		t.Errorf("no storage-permission/%s finding: %+v", cause, r.Findings)
	}}
}

// faultFixture is a failed execution with one failed task node: GetExecution, GetExecutionData,
// ListNodeExecutions, ListTaskExecutions and (the node's error is trimmed in lists)
// GetNodeExecution are each called once. Its data is under s3://bucket.
func faultFixture(bucket string) *fakeadmin.Fixture {
	f := &fakeadmin.Fixture{}
	msg := `Grace period [3m0s] exceeded|containers with unready status: [failedrun-n0-0]|Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`
	data := "s3://" + bucket + "/metadata/propeller/flytesnacks-development-failedrun/"
	perr := &core.ExecutionError{Code: "ContainersNotReady|ImagePullBackOff", Message: msg, Kind: core.ExecutionError_USER,
		ErrorUri: data + "n0/data/0/error.pb"}
	e := f.AddExecution(&admin.Execution{
		Id:      &core.WorkflowExecutionIdentifier{Project: "flytesnacks", Domain: "development", Name: "failedrun"},
		Closure: &admin.ExecutionClosure{Phase: core.WorkflowExecution_FAILED, OutputResult: &admin.ExecutionClosure_Error{Error: perr}},
	})
	e.Data = &admin.WorkflowExecutionGetDataResponse{Inputs: &admin.UrlBlob{Url: data + "inputs.pb"}}
	e.AddNode("", &admin.NodeExecution{Id: &core.NodeExecutionIdentifier{NodeId: "n0"}, InputUri: data + "n0/data/inputs.pb",
		Closure:  &admin.NodeExecutionClosure{Phase: core.NodeExecution_FAILED, OutputResult: &admin.NodeExecutionClosure_Error{Error: perr}},
		Metadata: &admin.NodeExecutionMetaData{SpecNodeId: "n0"}},
		&admin.TaskExecution{Id: &core.TaskExecutionIdentifier{TaskId: &core.Identifier{ResourceType: core.ResourceType_TASK, Name: "wf.train"}},
			Closure: &admin.TaskExecutionClosure{Phase: core.TaskExecution_FAILED, OutputResult: &admin.TaskExecutionClosure_Error{Error: perr},
				Metadata: &event.TaskExecutionMetadata{GeneratedName: "failedrun-n0-0"}}})
	return f
}

type runResult struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

// runFlytedoctor runs main() in a child with only the case's environment: a home, config and
// AWS files in the case's directory, no instance metadata. end is when the run should end.
func runFlytedoctor(t *testing.T, c *caseEnv, end time.Duration) runResult {
	t.Helper()
	// A run that hangs fails its row instead of the whole test binary.
	ctx, cancel := context.WithTimeout(context.Background(), end+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], c.args...)
	home := filepath.Join(c.dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append([]string{
		runMainEnv + "=1",
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(c.dir, "aws/config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(c.dir, "aws/credentials"),
		// Under go test -cover the child would warn on stderr that it has nowhere to write.
		"GOCOVERDIR=" + c.dir,
	}, c.env...)
	// Files, not pipes: a child that flytedoctor leaves behind would hold pipes open and Wait
	// would wait for it; with files Wait returns when flytedoctor exits.
	stdout, stderr := c.create(t, "stdout"), c.create(t, "stderr")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	err := cmd.Start()
	if err != nil {
		t.Fatal(err)
	}
	if c.signal != nil {
		stop := time.AfterFunc(c.signalAt, func() { _ = cmd.Process.Signal(c.signal) })
		defer stop.Stop()
	}
	err = cmd.Wait()
	res := runResult{elapsed: time.Since(start), stdout: c.read(t, stdout), stderr: c.read(t, stderr)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		res.code = ee.ExitCode()
	case errors.As(err, &ee):
		res.code = -1 // killed at the hard limit; the row's checks say what that breaks
		t.Logf("flytedoctor: %v after %.1fs", err, res.elapsed.Seconds())
	default:
		t.Fatalf("flytedoctor %s: %v", strings.Join(c.args, " "), err)
	}
	return res
}

// sleepToken is a sleep duration (about 20 s) no other process uses: its command line finds the
// children a row started.
func sleepToken(t *testing.T) string {
	n, err := rand.Int(rand.Reader, big.NewInt(1e9))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("20.%09d", n.Int64())
}

// processesWith returns the pids of live processes whose command line contains arg, waiting up to
// half a second for killed ones to go.
func processesWith(arg string) []int {
	var pids []int
	for deadline := time.Now().Add(500 * time.Millisecond); ; time.Sleep(50 * time.Millisecond) {
		pids = pids[:0]
		dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range dirs {
			b, err := os.ReadFile(p)
			if err != nil || !bytes.Contains(b, []byte(arg)) {
				continue
			}
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil && pid != os.Getpid() {
				pids = append(pids, pid)
			}
		}
		if len(pids) == 0 || time.Now().After(deadline) {
			return pids
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

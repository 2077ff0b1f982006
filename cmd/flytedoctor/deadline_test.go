package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/event"
	"google.golang.org/protobuf/proto"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
)

// These tests run the real binary against a fake Admin, a Kubernetes API and credential
// helpers that hang, and check that every deadline holds: --timeout and the first SIGINT or
// SIGTERM end the run within about a second, with the evidence read so far, and no helper
// outlives flytedoctor.

// slack is what a stopped run may take beyond its deadline or signal.
const slack = time.Second

// binary is the flytedoctor these tests run, built once (see flytedoctor).
var binary struct {
	once      sync.Once
	dir, path string
	err       error
}

// flytedoctor builds the binary on first use; TestMain removes it.
func flytedoctor(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "flytedoctor-bin"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "flytedoctor")
		linked := binary.path + ".linked"
		if out, err := exec.Command("go", "build", "-o", linked, ".").CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		// Run a copy written the ordinary way, as an installed binary is: the page cache of the
		// file the linker wrote (through a mapping) comes in folios whose size varies from one
		// build to the next, and moved the peak RSS BenchmarkPeakRSS measures by up to 10 MiB.
		binary.err = copyExecutable(linked, binary.path)
		os.Remove(linked)
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

func copyExecutable(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(struct{ io.Writer }{dst}, src); err != nil { // a plain write loop, not copy_file_range
		dst.Close()
		return err
	}
	return dst.Close()
}

func removeBinary() {
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
}

const execName = "flytesnacks/development/failedrun"

// startAdmin serves one failed execution (an image pull) and returns its address.
func startAdmin(t *testing.T, opts fakeadmin.Options) string {
	t.Helper()
	f := &fakeadmin.Fixture{}
	perr := &core.ExecutionError{Code: "ContainersNotReady|ImagePullBackOff", Kind: core.ExecutionError_USER,
		Message: `containers with unready status: [failedrun-n0-0]|Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`}
	e := f.AddExecution(&admin.Execution{
		Id:      &core.WorkflowExecutionIdentifier{Project: "flytesnacks", Domain: "development", Name: "failedrun"},
		Closure: &admin.ExecutionClosure{Phase: core.WorkflowExecution_FAILED, OutputResult: &admin.ExecutionClosure_Error{Error: perr}},
	})
	// An s3:// input, so that the storage collector needs credentials.
	e.AddNode("", &admin.NodeExecution{Id: &core.NodeExecutionIdentifier{NodeId: "n0"}, InputUri: "s3://flyte-data/metadata/failedrun/n0/data/inputs.pb",
		Closure:  &admin.NodeExecutionClosure{Phase: core.NodeExecution_FAILED, OutputResult: &admin.NodeExecutionClosure_Error{Error: perr}},
		Metadata: &admin.NodeExecutionMetaData{SpecNodeId: "n0"}},
		&admin.TaskExecution{Id: &core.TaskExecutionIdentifier{TaskId: &core.Identifier{ResourceType: core.ResourceType_TASK, Name: "wf.train"}},
			Closure: &admin.TaskExecutionClosure{Phase: core.TaskExecution_FAILED, OutputResult: &admin.TaskExecutionClosure_Error{Error: perr},
				Metadata: &event.TaskExecutionMetadata{GeneratedName: "failedrun-n0-0"}}})
	ctx, cancel := context.WithCancel(context.Background())
	addr, stop, err := fakeadmin.New(f, opts).Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); cancel() })
	return addr
}

// hangingHelper is a shell command that records its pid and its child's in pidFile, then
// waits for a child that sleeps for 30 s: a credential helper that never answers.
func hangingHelper(pidFile string) string {
	return `echo $$ >> ` + pidFile + `; sleep 30 & echo $! >> ` + pidFile + `; wait`
}

// kubeServer is a Kubernetes API that lists nothing and counts requests with a token.
func kubeServer(t *testing.T) *httptest.Server {
	t.Helper()
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer from-plugin" {
			http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		kind := "PodList"
		if strings.Contains(r.URL.Path, "/events") {
			kind = "EventList"
		}
		fmt.Fprintf(w, `{"kind":%q,"apiVersion":"v1","metadata":{},"items":[]}`, kind)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// kubeconfig points at server, authenticating with the exec plugin `sh -c script`.
func kubeconfig(t *testing.T, dir, server, script string) string {
	t.Helper()
	q := strconv.Quote(script)
	return write(t, dir, "kubeconfig", `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "`+server+`", insecure-skip-tls-verify: true}
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: flytesnacks-development}
current-context: ctx
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: sh
      args: ["-c", `+q+`]
      interactiveMode: Never
`)
}

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// run is one flytedoctor process.
type run struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	started        time.Time
}

// start runs flytedoctor with args in an environment of only what the test gives it: no
// user config, no cluster, no cloud, no instance metadata.
func start(t *testing.T, env []string, args ...string) *run {
	t.Helper()
	r := &run{cmd: exec.Command(flytedoctor(t), args...)}
	r.cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none")}
	// testnet.Main's trap for traffic beyond 127.0.0.1 covers the child too.
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"} {
		if v, ok := os.LookupEnv(k); ok {
			r.cmd.Env = append(r.cmd.Env, k+"="+v)
		}
	}
	r.cmd.Env = append(r.cmd.Env, env...)
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	r.started = time.Now()
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.cmd.Process.Kill() })
	return r
}

// wait returns the exit code and when the process ended.
func (r *run) wait(t *testing.T) (int, time.Time) {
	t.Helper()
	err := r.cmd.Wait()
	end := time.Now()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return r.cmd.ProcessState.ExitCode(), end
}

// waitPids waits until path lists n pids (the helper has started) and returns them.
func waitPids(t *testing.T, path string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if f := strings.Fields(string(b)); len(f) >= n {
			var out []int
			for _, s := range f {
				p, _ := strconv.Atoi(s)
				out = append(out, p)
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the helper never started (%s: %q)", path, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// assertGone fails for every pid that still runs now that flytedoctor has exited (a zombie
// waiting for init counts as ended), and kills it.
func assertGone(t *testing.T, pids []int) {
	t.Helper()
	for _, p := range pids {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		if i >= 0 && bytes.HasPrefix(bytes.TrimSpace(stat[i+1:]), []byte("Z")) {
			continue
		}
		t.Errorf("process %d outlived flytedoctor: %s", p, stat)
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

func (r *run) expect(t *testing.T, code, want int, stream string, wants ...string) {
	t.Helper()
	if code != want {
		t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, &r.stdout, &r.stderr)
	}
	out := r.stdout.String()
	if stream == "stderr" {
		out = r.stderr.String()
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", stream, w, out)
		}
	}
}

func TestTimeoutWithHangingKubePlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for the length of its --timeout")
	}
	addr := startAdmin(t, fakeadmin.Options{})
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pids")
	kc := kubeconfig(t, dir, kubeServer(t).URL, hangingHelper(pidFile))
	r := start(t, nil, "--admin-endpoint", addr, "--insecure", "--kubeconfig", kc, "--skip", "s3", "--timeout", "3s", execName)
	pids := waitPids(t, pidFile, 2)
	code, end := r.wait(t)
	wall := end.Sub(r.started)
	t.Logf("--timeout 3s, kube exec plugin hangs: exit %d after %s", code, wall.Round(time.Millisecond))
	if wall > 3*time.Second+slack || wall < 3*time.Second {
		t.Errorf("the run took %s, want --timeout 3s plus at most %s", wall, slack)
	}
	r.expect(t, code, 3, "stdout",
		"ImagePullBackOff", // the Admin evidence is reported
		"kube was cut short: timed out after --timeout 3s (list pods, list events",
		`exec credential plugin "sh" had not printed a credential by the deadline`)
	assertGone(t, pids)
}

func TestSignalWithHangingKubePlugin(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			// The plugin starts with the first pod LIST, before Admin has answered; the signal
			// comes once Admin served the walk's last call (ListTaskExecutions), with a margin
			// for the run to take that answer in. The pod LIST, sent first, is always among the
			// calls cut short; whether the events read had begun by then is not asserted.
			walked := make(chan struct{})
			var once sync.Once
			addr := startAdmin(t, fakeadmin.Options{Fault: func(method string, _ proto.Message) error {
				if method == "ListTaskExecutions" {
					once.Do(func() { close(walked) })
				}
				return nil
			}})
			dir := t.TempDir()
			pidFile := filepath.Join(dir, "pids")
			kc := kubeconfig(t, dir, kubeServer(t).URL, hangingHelper(pidFile))
			r := start(t, nil, "--admin-endpoint", addr, "--insecure", "--kubeconfig", kc, "--skip", "s3", execName)
			pids := waitPids(t, pidFile, 2)
			<-walked
			time.Sleep(200 * time.Millisecond)
			sent := time.Now()
			if err := r.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			code, end := r.wait(t)
			t.Logf("%s while the kube exec plugin hangs: exit %d %s after the signal (%s in all)", sig, code,
				end.Sub(sent).Round(time.Millisecond), end.Sub(r.started).Round(time.Millisecond))
			if took := end.Sub(sent); took > slack {
				t.Errorf("flytedoctor ended %s after %s, want at most %s", took, sig, slack)
			}
			name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[sig]
			r.expect(t, code, 3, "stdout", "ImagePullBackOff", "kube was cut short: interrupted by "+name+" (list pods",
				`exec credential plugin "sh" was stopped before it printed a credential`)
			assertGone(t, pids)
		})
	}
}

func TestKubePluginThatAnswersIsUsed(t *testing.T) {
	addr := startAdmin(t, fakeadmin.Options{})
	dir := t.TempDir()
	kc := kubeconfig(t, dir, kubeServer(t).URL,
		`echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}'`)
	r := start(t, nil, "--admin-endpoint", addr, "--insecure", "--kubeconfig", kc, "--skip", "s3", execName)
	code, _ := r.wait(t)
	r.expect(t, code, 3, "stdout", "kube: ok, 3 calls")
	if strings.Contains(r.stdout.String(), "FD9003") {
		t.Errorf("a collection problem was reported:\n%s", &r.stdout)
	}
}

func TestTimeoutWithHangingCredentialProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for the length of its --timeout")
	}
	addr := startAdmin(t, fakeadmin.Options{})
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pids")
	awsConfig := write(t, dir, "aws-config", "[default]\nregion = us-east-1\ncredential_process = sh -c '"+hangingHelper(pidFile)+"'\n")
	r := start(t, []string{"AWS_CONFIG_FILE=" + awsConfig}, "--admin-endpoint", addr, "--insecure", "--skip", "kube", "--timeout", "3s", execName)
	pids := waitPids(t, pidFile, 2)
	code, end := r.wait(t)
	wall := end.Sub(r.started)
	t.Logf("--timeout 3s, credential_process hangs: exit %d after %s", code, wall.Round(time.Millisecond))
	if wall > 3*time.Second+slack || wall < 3*time.Second {
		t.Errorf("the run took %s, want --timeout 3s plus at most %s", wall, slack)
	}
	r.expect(t, code, 3, "stdout", "ImagePullBackOff",
		"s3 was cut short: timed out after --timeout 3s (NewClients)",
		"credential_process", "had not printed credentials by the deadline")
	assertGone(t, pids)
}

// A credential_process behind an assumed role stays the SDK's, which kills only the shell at
// the deadline; the shell's child, adopted by flytedoctor, is killed at exit.
func TestTimeoutWithHangingSourceProfileCredentialProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for the length of its --timeout")
	}
	addr := startAdmin(t, fakeadmin.Options{})
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pids")
	awsConfig := write(t, dir, "aws-config", "[profile chain]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/flytedoctor\nsource_profile = src\n"+
		"[profile src]\ncredential_process = sh -c '"+hangingHelper(pidFile)+"'\n")
	r := start(t, []string{"AWS_CONFIG_FILE=" + awsConfig, "AWS_PROFILE=chain"},
		"--admin-endpoint", addr, "--insecure", "--skip", "kube", "--timeout", "2s", execName)
	pids := waitPids(t, pidFile, 2)
	code, end := r.wait(t)
	wall := end.Sub(r.started)
	t.Logf("--timeout 2s, source_profile's credential_process hangs: exit %d after %s", code, wall.Round(time.Millisecond))
	if wall > 2*time.Second+slack || wall < 2*time.Second {
		t.Errorf("the run took %s, want --timeout 2s plus at most %s", wall, slack)
	}
	r.expect(t, code, 3, "stdout", "ImagePullBackOff", "s3 was cut short: timed out after --timeout 2s (NewClients)",
		"credential_process", "had not printed credentials by the deadline")
	assertGone(t, pids)
}

func TestSignalDuringAdmin(t *testing.T) {
	arrived := make(chan struct{}, 1)
	addr := startAdmin(t, fakeadmin.Options{LatencyFunc: func(method string) time.Duration {
		if method == "GetExecution" {
			select {
			case arrived <- struct{}{}:
			default:
			}
			return 30 * time.Second
		}
		return 0
	}})
	r := start(t, nil, "--admin-endpoint", addr, "--insecure", "--skip", "kube,s3", execName)
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("GetExecution never arrived")
	}
	sent := time.Now()
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	code, end := r.wait(t)
	t.Logf("SIGINT during GetExecution: exit %d %s after the signal", code, end.Sub(sent).Round(time.Millisecond))
	if took := end.Sub(sent); took > slack {
		t.Errorf("flytedoctor ended %s after SIGINT, want at most %s", took, slack)
	}
	r.expect(t, code, 1, "stderr", "flytedoctor: interrupted by SIGINT while reading "+execName+" from "+addr+"; nothing was collected\n")
	if r.stdout.Len() != 0 {
		t.Errorf("stdout: %q, want nothing", &r.stdout)
	}
}

func TestTimeoutDuringAdminWithHangingProxyCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for the length of its --timeout")
	}
	addr := startAdmin(t, fakeadmin.Options{})
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pids")
	cfg := write(t, dir, "config.yaml", "admin:\n  endpoint: dns:///"+addr+"\n  insecure: true\n  proxyCommand: [sh, -c, "+
		strconv.Quote(hangingHelper(pidFile))+"]\n")
	r := start(t, nil, "--config", cfg, "--skip", "kube,s3", "--timeout", "2s", execName)
	pids := waitPids(t, pidFile, 2)
	code, end := r.wait(t)
	wall := end.Sub(r.started)
	t.Logf("--timeout 2s, admin.proxyCommand hangs: exit %d after %s", code, wall.Round(time.Millisecond))
	if wall > 2*time.Second+slack || wall < 2*time.Second {
		t.Errorf("the run took %s, want --timeout 2s plus at most %s", wall, slack)
	}
	r.expect(t, code, 1, "stderr", "flytedoctor: gave up after --timeout 2s while reading "+execName)
	assertGone(t, pids)
}

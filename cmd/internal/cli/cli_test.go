package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/event"

	"github.com/flytedoctor/flytedoctor/cmd/internal/iostreams"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/internal/faultsrv"
	"github.com/flytedoctor/flytedoctor/report"
)

// testFactory returns production wiring (real gRPC dialing) with test streams and an
// environment that only has what the test puts in env.
func testFactory(t *testing.T, env map[string]string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	io, out, errOut := iostreams.Test()
	home := t.TempDir()
	f := NewFactory()
	f.IO = io
	f.Getenv = func(k string) string { return env[k] }
	f.HomeDir = func() (string, error) { return home, nil }
	f.Now = func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	f.Version = "test"
	// Hermetic: no cluster and no cloud unless a test installs them (make test exports the
	// stack's KUBECONFIG and AWS_* variables for the collectors' own tests).
	f.KubeClient = func(kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
		return nil, kube.ClusterInfo{}, errors.New("no kubeconfig in this test")
	}
	f.StorageClients = func(context.Context, s3.ClientOptions) (*s3.Clients, error) {
		return nil, s3.ErrNoCredentials
	}
	return f, out, errOut
}

func exec(name string, phase core.WorkflowExecution_Phase, err *core.ExecutionError) *admin.Execution {
	c := &admin.ExecutionClosure{Phase: phase}
	if err != nil {
		c.OutputResult = &admin.ExecutionClosure_Error{Error: err}
	}
	return &admin.Execution{Id: &core.WorkflowExecutionIdentifier{Project: "flytesnacks", Domain: "development", Name: name}, Closure: c}
}

// startAdmin serves a failed and a healthy execution and returns its address.
func startAdmin(t *testing.T) string {
	t.Helper()
	return startAdminOpts(t, fakeadmin.Options{})
}

func startAdminOpts(t *testing.T, opts fakeadmin.Options) string {
	t.Helper()
	addr, _ := startFixture(t, failedRunFixture(""), opts)
	return addr
}

// failedRunFixture serves failedrun (an image pull failure of n0, in namespace when it is not
// empty, as flyteadmin's system_metadata says) and okrun.
func failedRunFixture(namespace string) *fakeadmin.Fixture {
	f := &fakeadmin.Fixture{}
	msg := `Grace period [3m0s] exceeded|containers with unready status: [failedrun-n0-0]|Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`
	perr := &core.ExecutionError{Code: "ContainersNotReady|ImagePullBackOff", Message: msg, Kind: core.ExecutionError_USER}
	failed := exec("failedrun", core.WorkflowExecution_FAILED, perr)
	if namespace != "" {
		failed.Spec = &admin.ExecutionSpec{Metadata: &admin.ExecutionMetadata{SystemMetadata: &admin.SystemMetadata{Namespace: namespace}}}
	}
	e := f.AddExecution(failed)
	e.AddNode("", &admin.NodeExecution{Id: &core.NodeExecutionIdentifier{NodeId: "n0"},
		Closure:  &admin.NodeExecutionClosure{Phase: core.NodeExecution_FAILED, OutputResult: &admin.NodeExecutionClosure_Error{Error: perr}},
		Metadata: &admin.NodeExecutionMetaData{SpecNodeId: "n0"}},
		&admin.TaskExecution{Id: &core.TaskExecutionIdentifier{TaskId: &core.Identifier{ResourceType: core.ResourceType_TASK, Name: "wf.train"}},
			Closure: &admin.TaskExecutionClosure{Phase: core.TaskExecution_FAILED, OutputResult: &admin.TaskExecutionClosure_Error{Error: perr},
				Metadata: &event.TaskExecutionMetadata{GeneratedName: "failedrun-n0-0"}}})
	f.AddExecution(exec("okrun", core.WorkflowExecution_SUCCEEDED, nil))
	return f
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(f *Factory, args ...string) int { return Main(context.Background(), f, args) }

func TestDiagnoseFailedExecutionExits3(t *testing.T) {
	addr := startAdmin(t)
	cfg := writeConfig(t, "admin:\n  endpoint: dns:///"+addr+"\n  insecure: true\nproject: flytesnacks\ndomain: development\n")
	f, out, errOut := testFactory(t, map[string]string{"FLYTECTL_CONFIG": cfg})
	code := run(f, "failedrun")
	if code != ExitErrors {
		t.Fatalf("exit %d, want %d; stderr: %s", code, ExitErrors, errOut)
	}
	for _, want := range []string{"flytesnacks/development/failedrun  FAILED", "ContainersNotReady|ImagePullBackOff", `Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`, "Failing path", "n0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr is not a terminal, so nothing may be written there: %q", errOut)
	}
}

func TestExitCodesFollowFailOn(t *testing.T) {
	addr := startAdmin(t)
	f, _, _ := testFactory(t, nil)
	base := []string{"--admin-endpoint", addr, "--insecure"}
	cases := []struct {
		args []string
		want int
	}{
		{[]string{"flytesnacks/development/failedrun"}, ExitErrors},
		{[]string{"--fail-on", "never", "flytesnacks/development/failedrun"}, ExitOK},
		{[]string{"--fail-on", "warning", "flytesnacks/development/failedrun"}, ExitErrors},
		{[]string{"flytesnacks/development/okrun"}, ExitOK},
		{[]string{"diagnose", "flytesnacks/development/okrun"}, ExitOK},
	}
	for _, c := range cases {
		args := append(append([]string{}, base...), c.args...)
		if c.args[0] == "diagnose" {
			args = append([]string{"diagnose"}, append(base, c.args[1:]...)...)
		}
		if got := run(f, args...); got != c.want {
			t.Errorf("flytedoctor %v: exit %d, want %d", args, got, c.want)
		}
	}
}

// readReport reads -o json (or yaml) output as the report reader does: strictly, without
// a warning.
func readReport(t *testing.T, out []byte) *report.Report {
	t.Helper()
	rep, warnings, err := report.Decode(out)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("not a report: %v %q\n%.400s", err, warnings, out)
	}
	return rep
}

func TestJSONOutputIsTheReport(t *testing.T) {
	addr := startAdmin(t)
	f, out, _ := testFactory(t, nil)
	if code := run(f, "--admin-endpoint", "http://"+addr, "-o", "json", "flyte://v1/flytesnacks/development/failedrun/n0/0/o"); code != ExitErrors {
		t.Fatalf("exit %d", code)
	}
	rep := readReport(t, out.Bytes())
	snap := rep.Snapshot
	if rep.SchemaVersion != report.SchemaVersion || snap.SchemaVersion != evidence.SchemaVersion || snap.Execution.Nodes[0].Attempts[0].TaskID.Name != "wf.train" {
		t.Fatalf("snapshot = %+v", snap)
	}
	if snap.Admin.Version == "" || snap.Collection[0].Calls["GetExecution"] != 1 {
		t.Fatalf("admin info / collection record missing: %+v %+v", snap.Admin, snap.Collection)
	}
}

func TestToolFailuresExit1WithOneLine(t *testing.T) {
	addr := startAdmin(t)
	f, _, errOut := testFactory(t, nil)
	if code := run(f, "--admin-endpoint", addr, "--insecure", "flytesnacks/development/nosuch"); code != ExitFailure {
		t.Fatalf("exit %d", code)
	}
	want := "flytedoctor: execution flytesnacks/development/nosuch not found on " + addr + "\n"
	if errOut.String() != want {
		t.Fatalf("stderr = %q, want %q", errOut, want)
	}

	f, _, errOut = testFactory(t, nil)
	if code := run(f, "--admin-endpoint", "127.0.0.1:1", "--insecure", "--timeout", "5s", "flytesnacks/development/x"); code != ExitFailure {
		t.Fatalf("unreachable Admin: exit %d", code)
	}
	if s := errOut.String(); !strings.HasPrefix(s, "flytedoctor: cannot read execution flytesnacks/development/x from Flyte Admin at 127.0.0.1:1") || strings.Count(s, "\n") != 1 {
		t.Fatalf("stderr = %q", s)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	bad := writeConfig(t, "admin:\n  endpoint: [unclosed\n")
	unknownAuth := writeConfig(t, "admin:\n  endpoint: dns:///x:443\n  authType: Magic\n")
	cases := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"a/b"}, "expected 1 or 3 slash-separated parts"},
		{[]string{"bare-name"}, "needs a project and a domain"},
		{[]string{"-o", "sarif", "p/d/n"}, `unknown output format "sarif": use one of text, json, yaml, markdown, junit, html`},
		{[]string{"demo", "-o", "html5"}, `unknown output format "html5": use one of text, json, yaml, markdown, junit, html`},
		{[]string{"--fail-on", "sometimes", "p/d/n"}, `unknown --fail-on level "sometimes"`},
		{[]string{"--bogus", "p/d/n"}, "unknown flag: --bogus"},
		{[]string{"p/d/n", "extra"}, "expected one execution, got 2 arguments"},
		{[]string{"diagnose"}, "no execution given"},
		{[]string{"-c", "/nonexistent/config.yaml", "p/d/n"}, "config file /nonexistent/config.yaml not found"},
		{[]string{"-c", bad, "p/d/n"}, "config file " + bad},
		{[]string{"-c", unknownAuth, "p/d/n"}, "Magic"},
		{[]string{"p/d/n"}, "admin.endpoint is not set"},
		{[]string{"version", "extra"}, "takes no arguments"},
		{[]string{"demo", "nosuch"}, `unknown demo scenario "nosuch"`},
	}
	for _, c := range cases {
		f, out, errOut := testFactory(t, nil)
		if code := run(f, c.args...); code != ExitUsage {
			t.Errorf("flytedoctor %v: exit %d, want 2 (stderr %q)", c.args, code, errOut)
			continue
		}
		s := errOut.String()
		if !strings.HasPrefix(s, "flytedoctor: ") || !strings.Contains(s, c.wantErr) || strings.Count(s, "\n") != 1 {
			t.Errorf("flytedoctor %v: stderr %q, want one line containing %q", c.args, s, c.wantErr)
		}
		if out.Len() != 0 {
			t.Errorf("flytedoctor %v wrote to stdout: %q", c.args, out)
		}
	}
}

func TestNoArgumentsShowsHelp(t *testing.T) {
	f, out, _ := testFactory(t, nil)
	if code := run(f); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "Usage:") || !strings.Contains(out.String(), "demo") {
		t.Fatalf("help = %s", out)
	}
}

func TestVersion(t *testing.T) {
	f, out, _ := testFactory(t, nil)
	if code := run(f, "version"); code != ExitOK || out.String() != "flytedoctor test\n" {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

func TestDemoRunsEveryScenario(t *testing.T) {
	f, out, errOut := testFactory(t, nil)
	if code := run(f, "demo", "--no-color"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	s := out.String()
	for _, want := range []string{"demo 1/", "ImagePullBackOff", "OOMKilled", "SUCCEEDED", "Failing path"} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}

func TestTimeoutIsOneClearLine(t *testing.T) {
	// A listener that accepts and never answers: the run must stop at --timeout.
	silent := faultsrv.Silent(t)
	f, _, errOut := testFactory(t, nil)
	code := run(f, "--admin-endpoint", silent, "--insecure", "--timeout", "300ms", "flytesnacks/development/x")
	if code != ExitFailure {
		t.Fatalf("exit %d", code)
	}
	if s := errOut.String(); !strings.Contains(s, "gave up after --timeout 300ms while reading flytesnacks/development/x") || strings.Count(s, "\n") != 1 {
		t.Fatalf("stderr = %q", s)
	}
}

func TestKubeEvidenceUnderTheFailingAttempt(t *testing.T) {
	addr := startAdmin(t)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "failedrun-n0-0", Namespace: "flytesnacks-development",
			Labels: map[string]string{"execution-id": "failedrun", "node-id": "n0"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "failedrun-n0-0", Image: "ghcr.io/acme/trainer:v1.2.3"}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "failedrun-n0-0", Image: "ghcr.io/acme/trainer:v1.2.3",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`}},
		}}},
	}
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "failedrun-n0-0.1", Namespace: "flytesnacks-development"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "failedrun-n0-0", Namespace: "flytesnacks-development"},
		Type:           "Warning", Reason: "BackOff", Message: `Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`, Count: 11,
	}
	f, out, errOut := testFactory(t, nil)
	var asked kube.ClientOptions
	f.KubeClient = func(o kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
		asked = o
		return k8sfake.NewClientset(pod, ev), kube.ClusterInfo{Context: "test", Server: "https://127.0.0.1:6443"}, nil
	}
	code := run(f, "--admin-endpoint", addr, "--insecure", "--context", "prod", "flytesnacks/development/failedrun")
	if code != ExitErrors {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if asked.Context != "prod" {
		t.Errorf("--context not passed to the client: %+v", asked)
	}
	for _, want := range []string{"failedrun-n0-0  Pending", "container waiting: ImagePullBackOff", "Warning BackOff ×11", "s3: skipped: no s3:// paths to probe"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// The execution's pods are listed before Admin has answered anything, in the namespace the
// template gives; when GetExecution names another, they are listed there and the guess's
// request only counts (its refusal is not the execution's).
func TestPodsListedBeforeAdminAnswers(t *testing.T) {
	for _, tc := range []struct{ name, namespace string }{{"template-right", ""}, {"template-wrong", "team-a"}} {
		t.Run(tc.name, func(t *testing.T) {
			ns := cmp.Or(tc.namespace, "flytesnacks-development")
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "failedrun-n0-0", Namespace: ns, Labels: map[string]string{"execution-id": "failedrun", "node-id": "n0"}},
				Status:     corev1.PodStatus{Phase: corev1.PodPending},
			}
			cs := k8sfake.NewClientset(pod)
			guessed := make(chan struct{})
			var once sync.Once
			cs.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if a.GetNamespace() != "flytesnacks-development" {
					return false, nil, nil
				}
				once.Do(func() { close(guessed) })
				if tc.namespace != "" {
					return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New(`User "u" cannot list resource "pods"`))
				}
				return false, nil, nil
			})
			// GetExecution answers only once the pods were asked for: the LIST did not wait
			// for Admin.
			addr, early := serveAnsweringAfter(t, failedRunFixture(tc.namespace), "GetExecution", guessed)
			f, out, errOut := testFactory(t, nil)
			f.KubeClient = func(kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
				return cs, kube.ClusterInfo{Context: "test"}, nil
			}
			if code := run(f, "--admin-endpoint", addr, "--insecure", "-o", "json", "flytesnacks/development/failedrun"); code != ExitErrors {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !early.Load() {
				t.Error("the pods were not listed before GetExecution answered")
			}
			snap := readReport(t, out.Bytes()).Snapshot
			rec := snap.Collection[1]
			wantLists := map[bool]int{false: 1, true: 2}[tc.namespace != ""]
			if rec.Status != evidence.StatusOK || len(rec.Errors) != 0 || rec.Calls["list pods"] != wantLists {
				t.Errorf("kube record %+v, want ok with %d pod LISTs", rec, wantLists)
			}
			if k := snap.Kube; k == nil || k.Namespace != ns || len(k.Pods) != 1 || k.Pods[0].Name != "failedrun-n0-0" {
				t.Errorf("kube evidence %+v, want the pod in %s", k, ns)
			}
		})
	}
}

// serveAnsweringAfter serves f, its calls to method answered only once happened is closed, or
// after 10 s (and then the test fails); early says whether one was answered after happened.
func serveAnsweringAfter(t *testing.T, f *fakeadmin.Fixture, method string, happened <-chan struct{}) (string, *atomic.Bool) {
	var early atomic.Bool
	addr, _ := startFixture(t, f, fakeadmin.Options{LatencyFunc: func(m string) time.Duration {
		if m == method {
			select {
			case <-happened:
				early.Store(true)
			case <-time.After(10 * time.Second):
			}
		}
		return 0
	}})
	return addr, &early
}

// When the Admin walk finds more failed task nodes than per-pod event reads pay for, the
// namespace's pod events are listed while the walk goes on (OnNode, AtLeast), not after it.
func TestEventsListedWhileAdminWalks(t *testing.T) {
	const name, failed = "manyfailed", 4 // more than kube's maxPodEventReads (3)
	perr := &core.ExecutionError{Code: "USER:ValueError", Message: "ValueError: empty batch", Kind: core.ExecutionError_USER}
	fx := &fakeadmin.Fixture{}
	e := fx.AddExecution(exec(name, core.WorkflowExecution_FAILED, perr))
	for i := range failed {
		id := fmt.Sprintf("n%d", i)
		e.AddNode("", &admin.NodeExecution{Id: &core.NodeExecutionIdentifier{NodeId: id},
			Closure:  &admin.NodeExecutionClosure{Phase: core.NodeExecution_FAILED, OutputResult: &admin.NodeExecutionClosure_Error{Error: perr}},
			Metadata: &admin.NodeExecutionMetaData{SpecNodeId: id}},
			&admin.TaskExecution{Id: &core.TaskExecutionIdentifier{TaskId: &core.Identifier{ResourceType: core.ResourceType_TASK, Name: "wf.t"}},
				Closure: &admin.TaskExecutionClosure{Phase: core.TaskExecution_FAILED, OutputResult: &admin.TaskExecutionClosure_Error{Error: perr},
					Metadata: &event.TaskExecutionMetadata{GeneratedName: name + "-" + id + "-0"}}})
	}
	// No pods: the pod LIST at t = 0 finds none whose events it could read, so only the
	// walk's count can start the events LIST before the walk ends.
	cs := k8sfake.NewClientset()
	listed := make(chan struct{})
	var once sync.Once
	cs.PrependReactor("list", "events", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.ListAction).GetListRestrictions().Fields.String() == "involvedObject.kind=Pod" {
			once.Do(func() { close(listed) })
		}
		return false, nil, nil
	})
	// The task lists answer only once the events were asked for: the walk cannot end before.
	addr, early := serveAnsweringAfter(t, fx, "ListTaskExecutions", listed)
	f, out, errOut := testFactory(t, nil)
	f.KubeClient = func(kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
		return cs, kube.ClusterInfo{Context: "test"}, nil
	}
	if code := run(f, "--admin-endpoint", addr, "--insecure", "--skip", "s3", "-o", "json", "flytesnacks/development/"+name); code != ExitErrors {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !early.Load() {
		t.Error("the namespace's pod events were not listed while the walk went on")
	}
	if rec := readReport(t, out.Bytes()).Snapshot.Collection[1]; rec.Calls["list events"] != 1 {
		t.Errorf("kube calls %v, want one events LIST", rec.Calls)
	}
}

func TestSkipCollectors(t *testing.T) {
	addr := startAdmin(t)
	f, out, _ := testFactory(t, nil)
	f.KubeClient = func(kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
		t.Error("kube client built despite --skip kube")
		return nil, kube.ClusterInfo{}, errors.New("skipped")
	}
	if code := run(f, "--admin-endpoint", addr, "--insecure", "--skip", "kube,s3", "-o", "json", "flytesnacks/development/okrun"); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	snap := readReport(t, out.Bytes()).Snapshot
	if len(snap.Collection) != 3 || snap.Collection[1].Status != evidence.StatusSkipped || snap.Collection[1].SkipReason != "--skip kube" ||
		snap.Collection[2].SkipReason != "--skip s3" || snap.Kube != nil || snap.Storage != nil {
		t.Fatalf("collection = %+v", snap.Collection)
	}

	f, _, errOut := testFactory(t, nil)
	if code := run(f, "--skip", "pods", "p/d/n"); code != ExitUsage || !strings.Contains(errOut.String(), `unknown collector "pods" in --skip`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestRulesListAndExplain(t *testing.T) {
	f, out, _ := testFactory(t, nil)
	if code := run(f, "rules", "list"); code != ExitOK || !strings.Contains(out.String(), "FD1001  image-pull") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	f, out, _ = testFactory(t, nil)
	if code := run(f, "rules", "explain", "fd1001"); code != ExitOK || !strings.Contains(out.String(), "ImagePullBackOff") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	f, _, errOut := testFactory(t, nil)
	if code := run(f, "rules", "explain", "FD0000"); code != ExitUsage || !strings.Contains(errOut.String(), `unknown rule "FD0000"`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestFindingsInJSONAndDisable(t *testing.T) {
	addr := startAdmin(t)
	f, out, _ := testFactory(t, nil)
	if code := run(f, "--admin-endpoint", addr, "--insecure", "-o", "json", "flytesnacks/development/failedrun"); code != ExitErrors {
		t.Fatalf("exit %d", code)
	}
	var rep struct {
		Findings []struct {
			RuleID    string `json:"rule_id"`
			Category  string `json:"category"`
			Severity  string `json:"severity"`
			RootCause bool   `json:"root_cause"`
		} `json:"findings"`
		Snapshot struct {
			Execution *evidence.Execution `json:"execution"`
		} `json:"snapshot"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) == 0 || !rep.Findings[0].RootCause || rep.Findings[0].Severity != "error" || rep.Snapshot.Execution == nil {
		t.Fatalf("report = %+v", rep)
	}
	root := rep.Findings[0].RuleID

	// Turning the root cause's rule off moves it to "suppressed" with the reason.
	cfg := writeConfig(t, "admin:\n  endpoint: dns:///"+addr+"\n  insecure: true\nflytedoctor:\n  disable:\n    - id: "+root+"\n      reason: known issue ENG-123\n")
	f, out, errOut := testFactory(t, map[string]string{"FLYTECTL_CONFIG": cfg})
	code := run(f, "flytesnacks/development/failedrun")
	if !strings.Contains(out.String(), "Suppressed") || !strings.Contains(out.String(), "known issue ENG-123") {
		t.Fatalf("exit %d, suppression not shown:\n%s%s", code, out, errOut)
	}
	f, out, _ = testFactory(t, nil)
	run(f, "--admin-endpoint", addr, "--insecure", "--disable", root+"=flaky registry", "flytesnacks/development/failedrun")
	if !strings.Contains(out.String(), "flaky registry") {
		t.Fatalf("--disable reason not shown:\n%s", out)
	}
	f, _, errOut = testFactory(t, nil)
	if code := run(f, "--admin-endpoint", addr, "--insecure", "--disable", "FD0000", "flytesnacks/development/failedrun"); code != ExitUsage ||
		!strings.Contains(errOut.String(), `--disable: unknown rule "FD0000"`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// Each demo scenario prints the right category and cause first (issue: rule engine, done means).
func TestDemoRootCauses(t *testing.T) {
	want := map[string][]string{
		"image-pull":         {"image-pull/image-not-found"},
		"unschedulable":      {"resource-pending/untolerated-taint"},
		"storage-permission": {"storage-permission/access-denied"},
		"subworkflow":        {"out-of-memory/oom-killed"},
		"dynamic-fanout":     {"user-code/exception", "storage-permission/access-denied", "interrupted/node-shutdown"},
		"fanout-denied":      {"storage-permission/kms-denied"},
		"child-launchplan":   {"config-error/missing-secret"},
		"array-node":         {"user-code/exception"},
		"healthy":            nil,
	}
	for name, causes := range want {
		t.Run(name, func(t *testing.T) {
			f, out, errOut := testFactory(t, nil)
			if code := run(f, "demo", name, "-o", "json"); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var rep struct {
				Findings []struct {
					Category  string `json:"category"`
					Cause     string `json:"cause"`
					Severity  string `json:"severity"`
					RootCause bool   `json:"root_cause"`
				} `json:"findings"`
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, fd := range rep.Findings {
				if fd.RootCause {
					if i >= len(causes) {
						t.Errorf("root causes must come first; finding %d is one", i)
					}
					got = append(got, fd.Category+"/"+fd.Cause)
				}
				if causes == nil && fd.Severity == "error" {
					t.Errorf("a healthy run has an error finding: %+v", fd)
				}
			}
			if strings.Join(got, ",") != strings.Join(causes, ",") {
				t.Errorf("root causes %v, want %v", got, causes)
			}
		})
	}
}

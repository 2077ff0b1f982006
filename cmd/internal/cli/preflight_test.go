package cli

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/flytedoctor/flytedoctor/checks"
	"github.com/flytedoctor/flytedoctor/checks/checkstest"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/internal/faultsrv"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
	"github.com/flytedoctor/flytedoctor/report"
)

// preflightFactory is testFactory without a cluster or cloud for preflight either.
func preflightFactory(t *testing.T, env map[string]string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	f, out, errOut := testFactory(t, env)
	f.KubeClients = func(kube.ClientOptions) (kubernetes.Interface, metadata.Interface, kube.ClusterInfo, error) {
		return nil, nil, kube.ClusterInfo{}, errors.New("no kubeconfig in this test")
	}
	return f, out, errOut
}

func TestPreflightUsageErrorsExit2(t *testing.T) {
	pkg := filepath.Join(t.TempDir(), "flyte-package.tgz")
	if err := os.WriteFile(pkg, []byte("not an archive"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"preflight", "-p", "flytesnacks", "-d", "development"}
	cases := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--requests", "cpu=abc"}, `--requests: cpu="abc": not a quantity`},
		{[]string{"--limits", "memory"}, "--limits: \"memory\" is not NAME=QUANTITY"},
		{[]string{"--iam-role", "notanarn"}, `--iam-role "notanarn" is not an IAM role ARN`},
		{[]string{"--image", ""}, `--image "" is empty`},
		{[]string{"--image", "Acme/App:v1"}, "is not a valid image reference"},
		{[]string{"--platform", "linux"}, "want os/arch"},
		{[]string{"--secret", "Bad_Group/key"}, "is not GROUP/KEY"},
		{[]string{"--service-account", "Not_A_Name"}, "is not a service account name"},
		{[]string{"--raw-output-prefix", "bucket/data"}, "is not a storage URI"},
		{[]string{"--skip", "nodes"}, `unknown layer "nodes" in --skip`},
		{[]string{"--package", pkg, "--image", "ghcr.io/a/b:v1"}, "--image and --package do not go together"},
		{[]string{"--package", pkg}, "not a gzip'd tar"},
		{[]string{"--package", filepath.Join(t.TempDir(), "none.tgz")}, "cannot be read"},
		{[]string{"--requests", "cpu=" + strings.Repeat("x", 400)}, "not a quantity"}, // clipped, not echoed whole
	}
	for _, c := range cases {
		f, _, errOut := preflightFactory(t, nil)
		args := append(append([]string{}, base...), c.args...)
		if code := run(f, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %q", c.args, code, ExitUsage, errOut)
			continue
		}
		s := errOut.String()
		if !strings.HasPrefix(s, "flytedoctor: ") || strings.Count(s, "\n") != 1 || !strings.Contains(s, c.wantErr) || len(s) > 400 {
			t.Errorf("%v: stderr %q, want one line with %q", c.args, s, c.wantErr)
		}
	}
	f, _, errOut := preflightFactory(t, nil)
	if code := run(f, "preflight", "--image", "ghcr.io/a/b:v1"); code != ExitUsage || !strings.Contains(errOut.String(), "-p PROJECT -d DOMAIN") {
		t.Errorf("no project: exit %d, %q", code, errOut)
	}
}

// pushCLIImages pushes a linux/amd64 image as :v1 and :latest to the stack's open registry.
func pushCLIImages(t *testing.T) (v1, latest string) {
	t.Helper()
	reg := os.Getenv("STACK_REGISTRY")
	if reg == "" {
		t.Skip("no test registry: STACK_REGISTRY is unset (make test starts it)")
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	repo := reg + "/cli-preflight-" + randName()
	g := testnet.New(t)
	tr := &http.Transport{DialContext: g.DialContext}
	for _, tag := range []string{"v1", "latest"} {
		ref, _ := name.ParseReference(repo + ":" + tag)
		if err := remote.Write(ref, img, remote.WithTransport(tr)); err != nil {
			t.Fatal(err)
		}
	}
	return repo + ":v1", repo + ":latest"
}

func randName() string { return strings.ReplaceAll(time.Now().Format("150405.000000000"), ".", "") }

func TestPreflightExitCodes(t *testing.T) {
	good, latest := pushCLIImages(t)
	missing := strings.Replace(good, ":v1", ":v404", 1)
	addr := startAdmin(t)
	base := []string{"preflight", "-p", "flytesnacks", "-d", "development", "--admin-endpoint", addr, "--insecure", "--skip", "kube,s3"}
	cases := []struct {
		args []string
		want int
	}{
		{[]string{"--image", good}, ExitOK},
		{[]string{"--image", latest}, ExitOK},
		{[]string{"--image", latest, "--fail-on", "warning"}, ExitWarnings},
		{[]string{"--image", missing}, ExitErrors},
		{[]string{"--image", missing, "--fail-on", "never"}, ExitOK},
		{[]string{"--image", good, "-d", "qa"}, ExitErrors}, // no such domain
	}
	for _, c := range cases {
		f, out, errOut := preflightFactory(t, nil)
		if code := run(f, append(append([]string{}, base...), c.args...)...); code != c.want {
			t.Errorf("%v: exit %d, want %d\n%s%s", c.args, code, c.want, out, errOut)
		}
	}
	f, out, _ := preflightFactory(t, nil)
	run(f, append(append([]string{}, base...), "--image", missing)...)
	for _, want := range []string{"✗ [FDP203] the image exists in its registry: " + missing, "MANIFEST_UNKNOWN", "fix: push the image",
		"✓ [FDP101] Flyte Admin answers", "- [FDP301] the namespace exists: kube — skipped: --skip kube", "preflight: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

// -o json is the report (flytedoctor.report/v1) whose snapshot carries the probes and verdicts.
func TestPreflightJSONIsAReportWithChecks(t *testing.T) {
	good, _ := pushCLIImages(t)
	f, out, errOut := preflightFactory(t, nil)
	code := run(f, "preflight", "-p", "flytesnacks", "-d", "development", "--image", good, "--requests", "cpu=2", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rep, warnings, err := report.Decode(out.Bytes())
	if err != nil || len(warnings) > 0 || len(rep.Findings) != 0 {
		t.Fatalf("not a report: %v %q\n%s", err, warnings, out)
	}
	snap := rep.Snapshot
	if snap.SchemaVersion != evidence.SchemaVersion || snap.Checks == nil || len(snap.Checks.Results) == 0 || snap.Checks.Spec.Tasks[0].Requests["cpu"] != "2" {
		t.Fatalf("snapshot: %+v", snap.Checks)
	}
	// Without a kubeconfig, credentials or an Admin endpoint those checks are skipped, never passed.
	n := checks.Counts(snap.Checks.Results)
	for _, r := range snap.Checks.Results {
		if r.ID[3] != '2' && r.Status != evidence.CheckSkip {
			t.Errorf("%s %s: %s", r.ID, r.Status, r.Summary)
		}
	}
	if n[evidence.CheckPass] == 0 || n[evidence.CheckFail] != 0 {
		t.Errorf("counts %v", n)
	}
	// The saved snapshot is judged the same offline.
	again := checks.Evaluate(checks.Table(), &snap.Checks.Spec, snap.Checks.Probes)
	if len(again) != len(snap.Checks.Results) {
		t.Fatalf("offline: %d results, live %d", len(again), len(snap.Checks.Results))
	}
	for i := range again {
		if again[i].Status != snap.Checks.Results[i].Status || again[i].Summary != snap.Checks.Results[i].Summary {
			t.Errorf("offline %+v, live %+v", again[i], snap.Checks.Results[i])
		}
	}
}

func TestPreflightPackage(t *testing.T) {
	good, _ := pushCLIImages(t)
	missing := strings.Replace(good, ":v1", ":gone", 1)
	arch := checkstest.Archive{Tasks: []checkstest.Task{{Name: "wf.prepare", Image: good, CPU: "1"}, {Name: "wf.train", Image: missing, CPU: "2"}},
		ServiceAccount: "trainer"}
	pkg := filepath.Join(t.TempDir(), "flyte-package.tgz")
	if err := os.WriteFile(pkg, arch.Bytes(t), 0o600); err != nil {
		t.Fatal(err)
	}
	f, out, errOut := preflightFactory(t, nil)
	if code := run(f, "preflight", "-p", "flytesnacks", "-d", "development", "--package", pkg); code != ExitErrors {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	s := out.String()
	for _, want := range []string{
		"2 task(s) from flyte-package.tgz: wf.prepare, wf.train",
		"note: task wf.query (type sql) runs no container of its own",
		"✓ [FDP203] the image exists in its registry: " + good + " (wf.prepare)",
		"✗ [FDP203] the image exists in its registry: " + missing + " (wf.train)",
		"[FDP305] the service account exists: trainer (wf.prepare, wf.train)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

// One run with every layer real: the fake Admin, the stack's registry, kube-apiserver and S3.
func TestPreflightEndToEnd(t *testing.T) {
	good, latest := pushCLIImages(t)
	kubeconfig, ep := os.Getenv("STACK_KUBECONFIG"), os.Getenv("STACK_S3_ENDPOINT")
	if kubeconfig == "" || ep == "" {
		t.Skip("no test stack")
	}
	addr := startAdmin(t)
	f, out, errOut := stackPreflightFactory(t)
	missing := strings.Replace(good, ":v1", ":v404", 1)
	args := []string{"preflight", "-p", "flytesnacks", "-d", "development", "--admin-endpoint", addr, "--insecure",
		"--kubeconfig", kubeconfig, "-n", "default", "--s3-endpoint", ep,
		"--image", good, "--image", latest, "--image", missing, "--requests", "cpu=500m,memory=1Gi",
		"--raw-output-prefix", "s3://" + os.Getenv("STACK_S3_BUCKET") + "/preflight-e2e", "--write-probe", "--secret", "no-such-secret/token"}
	start := time.Now()
	code := run(f, args...)
	t.Logf("preflight took %s, exit %d\n%s", time.Since(start), code, out)
	if code != ExitErrors {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	s := out.String()
	for _, want := range []string{"✓ [FDP101]", "✓ [FDP301] the namespace exists: default", "! [FDP202]", "✗ [FDP203]", "✗ [FDP308]",
		"✓ [FDP401]", "✓ [FDP402]"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestPreflightList(t *testing.T) {
	f, out, _ := preflightFactory(t, nil)
	if code := run(f, "preflight", "--list"); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if n := strings.Count(out.String(), "\n"); n != len(checks.Table()) || !strings.Contains(out.String(), "FDP304  Kubernetes   a node can take the pod") {
		t.Errorf("--list:\n%s", out)
	}
}

// The demo shows a recorded preflight, judged again by today's verdicts, without a cluster.
func TestDemoPreflight(t *testing.T) {
	f, out, errOut := preflightFactory(t, nil)
	if code := run(f, "demo", "--preflight"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"✓ [FDP101]", "! [FDP303]", "✗ [FDP204] the image has the task's platform: ghcr.io/acme/trainer:v1.2.3",
		"✗ [FDP308]", "- [FDP403]", "preflight: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo --preflight lacks %q:\n%s", want, out)
		}
	}
	f, out, _ = preflightFactory(t, nil)
	if code := run(f, "demo", "--preflight", "-o", "json"); code != ExitOK {
		t.Fatalf("json: exit %d", code)
	}
	rep, _, err := report.Decode(out.Bytes())
	if err != nil || rep.Snapshot.Checks == nil || len(rep.Snapshot.Checks.Results) == 0 {
		t.Fatalf("demo --preflight -o json: %v", err)
	}
}

// --timeout ends the run whatever does not answer; what it cut short is skipped, and a run that
// did not finish exits 1, not 0.
func TestPreflightTimeoutCutsShort(t *testing.T) {
	silent := faultsrv.Silent(t)
	f, out, errOut := preflightFactory(t, nil)
	start := time.Now()
	code := run(f, "preflight", "-p", "flytesnacks", "-d", "development", "--admin-endpoint", faultsrv.Silent(t), "--insecure",
		"--image", silent+"/acme/app:v1", "--timeout", "1s")
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("ended after %s with --timeout 1s", d)
	}
	if code != ExitFailure || !strings.Contains(errOut.String(), "preflight timed out after --timeout 1s before every check had run") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out.String(), "- [FDP203] the image exists in its registry: "+silent+"/acme/app:v1 — skipped: cut short: timed out after --timeout 1s") {
		t.Errorf("output:\n%s", out)
	}
}

// FDP101 says what kind of server answered when it is not Flyte Admin's gRPC, or TLS does not match.
func TestPreflightAdminWrongServer(t *testing.T) {
	for _, c := range []struct {
		name, addr string
		args       []string
		want       string
	}{
		{"http/1.1 server", faultsrv.HTTP1(t), []string{"--insecure"}, "is a plain HTTP/1 web server, not gRPC"},
		{"plaintext port, TLS client", startAdmin(t), nil, "speaks plaintext, not TLS: set admin.insecure: true"},
	} {
		f, out, errOut := preflightFactory(t, nil)
		code := run(f, append([]string{"preflight", "-p", "flytesnacks", "-d", "development", "--admin-endpoint", c.addr, "--timeout", "20s"}, c.args...)...)
		if code != ExitErrors {
			t.Errorf("%s: exit %d: %s", c.name, code, errOut)
		}
		line := ""
		lines := strings.Split(out.String(), "\n")
		for i, l := range lines {
			if strings.Contains(l, "[FDP101]") {
				line = l + " / " + lines[i+1]
			}
		}
		t.Logf("%s: %s", c.name, line)
		if !strings.HasPrefix(strings.TrimSpace(line), "✗ [FDP101]") || !strings.Contains(line, c.want) {
			t.Errorf("%s: FDP101 line %q", c.name, line)
		}
	}
}

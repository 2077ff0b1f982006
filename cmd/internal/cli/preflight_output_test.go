package cli

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/flytedoctor/flytedoctor/checks"
	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
	"github.com/flytedoctor/flytedoctor/report"
)

// preflightInput is where the report package's preflight inputs are.
func preflightInput(name string) string {
	return filepath.Join("..", "..", "..", "report", "testdata", "preflight", name+".json")
}

// stackPreflightFactory is a factory whose Kubernetes and S3 clients reach the test stack.
func stackPreflightFactory(t *testing.T) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	f, out, errOut := preflightFactory(t, nil)
	f.KubeClients = kube.NewClients
	g := testnet.New(t)
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.Proxy, tr.DialContext = nil, g.DialContext })
	f.StorageClients = func(ctx context.Context, o s3.ClientOptions) (*s3.Clients, error) {
		o.HTTPClient = hc
		return s3.NewClients(ctx, o)
	}
	return f, out, errOut
}

// pushReportImages pushes one linux/amd64 image, the same bytes every time (so the same
// digest), as :v1 and :latest under a fixed name: a recording of a run names what the next
// run names.
func pushReportImages(t *testing.T, reg string) (v1, latest string) {
	t.Helper()
	cf, err := empty.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	img, err := mutate.ConfigFile(empty.Image, cf)
	if err != nil {
		t.Fatal(err)
	}
	g := testnet.New(t)
	tr := &http.Transport{DialContext: g.DialContext}
	repo := reg + "/preflight-report/trainer"
	for _, tag := range []string{"v1", "latest"} {
		ref, _ := name.ParseReference(repo + ":" + tag)
		if err := remote.Write(ref, img, remote.WithTransport(tr)); err != nil {
			t.Fatal(err)
		}
	}
	return repo + ":v1", repo + ":latest"
}

// livePreflightArgs is one preflight run against every real part: the fake Admin, the
// stack's registry, kube-apiserver and S3; with passes, a warning, failures and a skip.
func livePreflightArgs(t *testing.T) []string {
	t.Helper()
	reg, kubeconfig, ep := os.Getenv("STACK_REGISTRY"), os.Getenv("STACK_KUBECONFIG"), os.Getenv("STACK_S3_ENDPOINT")
	if reg == "" || kubeconfig == "" || ep == "" {
		t.Skip("no test stack (STACK_REGISTRY, STACK_KUBECONFIG, STACK_S3_ENDPOINT)")
	}
	good, latest := pushReportImages(t, reg)
	missing := strings.Replace(good, ":v1", ":v404", 1)
	return []string{"preflight", "-p", "flytesnacks", "-d", "development", "--admin-endpoint", startAdmin(t), "--insecure",
		"--kubeconfig", kubeconfig, "-n", "default", "--s3-endpoint", ep,
		"--image", good, "--image", latest, "--image", missing, "--requests", "cpu=500m,memory=1Gi",
		"--raw-output-prefix", "s3://" + os.Getenv("STACK_S3_BUCKET") + "/preflight-report", "--write-probe", "--secret", "no-such-secret/token"}
}

func verdicts(rs []evidence.CheckResult) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.ID + " " + r.Status + "\n")
	}
	return b.String()
}

// The report package renders every format from two preflight snapshots: the demo's recording
// (the same bytes the demo renders) and one live run's (checked against a run now, when the
// stack is up). -update-report-inputs saves them anew.
func TestPreflightReportInputs(t *testing.T) {
	t.Run("demo", func(t *testing.T) {
		snap, err := demo.PreflightSnapshot()
		if err != nil {
			t.Fatal(err)
		}
		snap.Checks.Results = checks.Evaluate(checks.Table(), &snap.Checks.Spec, snap.Checks.Probes)
		var b bytes.Buffer
		if err := evidence.Write(&b, snap); err != nil {
			t.Fatal(err)
		}
		if *updateInputs {
			if err := os.WriteFile(preflightInput("demo"), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		saved, err := os.ReadFile(preflightInput("demo"))
		if err != nil || !bytes.Equal(saved, b.Bytes()) {
			t.Errorf("%s is not what demo --preflight renders (%v): run with -update-report-inputs, then go test ./report -update", preflightInput("demo"), err)
		}
	})
	t.Run("live", func(t *testing.T) {
		var saved *evidence.Snapshot
		if !*updateInputs {
			fh, err := os.Open(preflightInput("live"))
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			if saved, _, err = evidence.Read(fh); err != nil {
				t.Fatal(err)
			}
			// Its verdicts are today's, on its probes.
			if got := checks.Evaluate(checks.Table(), &saved.Checks.Spec, saved.Checks.Probes); verdicts(got) != verdicts(saved.Checks.Results) {
				t.Errorf("the saved live run is judged otherwise today:\n%s\nsaved:\n%s", verdicts(got), verdicts(saved.Checks.Results))
			}
		}
		args := livePreflightArgs(t)
		path := filepath.Join(t.TempDir(), "live.json")
		f, out, errOut := stackPreflightFactory(t)
		if code := run(f, append(args, "-o", "json", "-f", path)...); code != ExitErrors {
			t.Fatalf("exit %d: %s%s", code, out, errOut)
		}
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		rep, warnings, err := report.Read(fh)
		if err != nil || len(warnings) > 0 || !rep.Preflight() {
			t.Fatalf("the live run's report: %v %q", err, warnings)
		}
		if *updateInputs {
			var b bytes.Buffer
			if err := evidence.Write(&b, rep.Snapshot); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(preflightInput("live"), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		if verdicts(rep.Snapshot.Checks.Results) != verdicts(saved.Checks.Results) {
			t.Errorf("a live run now gives other verdicts than the saved one (run with -update-report-inputs, then go test ./report -update):\n%s\nsaved:\n%s",
				verdicts(rep.Snapshot.Checks.Results), verdicts(saved.Checks.Results))
		}
	})
}

// Every -o format of the registry renders the demo's preflight; JSON and YAML read back as a
// report with the checks.
func TestDemoPreflightEveryFormat(t *testing.T) {
	snap, err := demo.PreflightSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	want := verdicts(checks.Evaluate(checks.Table(), &snap.Checks.Spec, snap.Checks.Probes))
	for _, format := range report.Names() {
		f, out, errOut := preflightFactory(t, nil)
		if code := run(f, "demo", "--preflight", "-o", format); code != ExitOK || errOut.Len() > 0 {
			t.Errorf("%s: exit %d: %s", format, code, errOut)
			continue
		}
		s := out.String()
		switch format {
		case "json", "yaml":
			rep, warnings, err := report.Decode(out.Bytes())
			if err != nil || len(warnings) > 0 || !rep.Preflight() || verdicts(rep.Snapshot.Checks.Results) != want {
				t.Errorf("%s: not the preflight report: %v %q", format, err, warnings)
			}
		case "markdown":
			for _, w := range []string{"## demo: preflight of flyte-package.tgz (recorded 2026-11-20)\n", "| Check | Verdict | What | Reason | Fix |",
				"| FDP308 the requested secrets exist | ❌ failed | wandb-api/key · task workflows.train.train\\_model |", "### Storage\n"} {
				if !strings.Contains(s, w) {
					t.Errorf("markdown lacks %q", w)
				}
			}
		case "junit":
			var doc struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
				Skipped  int `xml:"skipped,attr"`
			}
			if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatalf("junit: %v", err)
			}
			n := checks.Counts(snap.Checks.Results)
			if doc.Tests != len(snap.Checks.Results) || doc.Failures != n[evidence.CheckFail] || doc.Skipped != n[evidence.CheckSkip] {
				t.Errorf("junit: %+v, want %d tests, %v", doc, len(snap.Checks.Results), n)
			}
		case "text":
			if !strings.HasPrefix(s, "━━ demo: preflight of flyte-package.tgz (recorded 2026-11-20) ━━  flytedoctor preflight -p flytesnacks -d development --package flyte-package.tgz --write-probe\n\n") {
				t.Errorf("text banner: %.200s", s)
			}
		}
	}
}

// -o is checked against the registry before anything is sent, with the same one-line usage
// error as diagnose's, for preflight and demo --preflight alike.
func TestPreflightOutputFormatIsTheRegistrys(t *testing.T) {
	want := `unknown output format "sarif": use one of ` + strings.Join(report.Names(), ", ")
	for _, args := range [][]string{
		{"-o", "sarif", "p/d/n"},
		{"preflight", "-p", "flytesnacks", "-d", "development", "-o", "sarif"},
		{"demo", "--preflight", "-o", "sarif"},
	} {
		f, out, errOut := preflightFactory(t, nil)
		code := run(f, args...)
		if code != ExitUsage || strings.Count(errOut.String(), "\n") != 1 || !strings.Contains(errOut.String(), want) || out.Len() > 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want one line with %q", args, code, errOut, out, want)
		}
	}
	for _, args := range [][]string{{"__complete", "preflight", "-o", "j"}, {"__complete", "demo", "--preflight", "-o", "j"}} {
		f, out, _ := preflightFactory(t, nil)
		run(f, args...)
		if s := out.String(); !strings.Contains(s, "json\t") || !strings.Contains(s, "junit\t") || strings.Contains(s, "text") {
			t.Errorf("%v completes:\n%s", args, s)
		}
	}
}

// -f writes the report there and one line to stdout, as diagnose does; the exit code is the
// run's.
func TestPreflightOutputFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "preflight.md")
	f, out, errOut := preflightFactory(t, nil)
	if code := run(f, "demo", "--preflight", "-o", "markdown", "-f", path); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got, want := out.String(), "preflight flytesnacks/development  24 passed, 3 warnings, 4 failed, 3 skipped → "+path+" (markdown)\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	f2, direct, _ := preflightFactory(t, nil)
	run(f2, "demo", "--preflight", "-o", "markdown")
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, direct.Bytes()) {
		t.Errorf("the file is not what stdout gets without -f (%v)", err)
	}

	// A run that fails: exit 3 with -f as without; a file that cannot be written is a usage
	// error before anything is sent.
	addr := startAdmin(t)
	xmlPath := filepath.Join(dir, "preflight.xml")
	f, out, errOut = preflightFactory(t, nil)
	args := []string{"preflight", "-p", "flytesnacks", "-d", "qa", "--admin-endpoint", addr, "--insecure", "--skip", "registry,kube,s3", "-o", "junit"}
	if code := run(f, append(args, "-f", xmlPath)...); code != ExitErrors {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if !strings.HasPrefix(out.String(), "preflight flytesnacks/qa  ") || !strings.Contains(out.String(), " failed, ") || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("stdout %q", out)
	}
	if b, err := os.ReadFile(xmlPath); err != nil || !strings.Contains(string(b), `<failure message="`) || !strings.Contains(string(b), `classname="preflight.FDP103"`) {
		t.Errorf("junit file (%v):\n%s", err, b)
	}
	f, out, errOut = preflightFactory(t, nil)
	if code := run(f, append(args, "-f", dir)...); code != ExitUsage || !strings.Contains(errOut.String(), "is a directory: name a file") || out.Len() > 0 {
		t.Errorf("-f DIR: exit %d, %q", code, errOut)
	}
}

// Under --fail-on warning a warning fails the run and is a JUnit failure; otherwise it is a
// passing test case that says why.
func TestPreflightJUnitWarningsFollowFailOn(t *testing.T) {
	_, latest := pushCLIImages(t)
	addr := startAdmin(t)
	for _, c := range []struct {
		failOn   string
		code     int
		failures int
	}{{"error", ExitOK, 0}, {"warning", ExitWarnings, 1}} {
		f, out, errOut := preflightFactory(t, nil)
		code := run(f, "preflight", "-p", "flytesnacks", "-d", "development", "--admin-endpoint", addr, "--insecure", "--skip", "kube,s3",
			"--image", latest, "-o", "junit", "--fail-on", c.failOn)
		if code != c.code {
			t.Errorf("--fail-on %s: exit %d, want %d: %s", c.failOn, code, c.code, errOut)
		}
		var doc struct {
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Classname string    `xml:"classname,attr"`
				Failure   *struct{} `xml:"failure"`
				SystemOut string    `xml:"system-out"`
			} `xml:"testsuite>testcase"`
		}
		if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Failures != c.failures {
			t.Errorf("--fail-on %s: %d failures, want %d:\n%s", c.failOn, doc.Failures, c.failures, out)
		}
		for _, tc := range doc.Cases {
			if tc.Classname == "preflight.FDP202" && (tc.Failure != nil) != (c.failures == 1) {
				t.Errorf("--fail-on %s: FDP202 (:latest) failure %v", c.failOn, tc.Failure != nil)
			}
			if tc.Classname == "preflight.FDP202" && c.failures == 0 && !strings.HasPrefix(tc.SystemOut, "warning: [FDP202]") {
				t.Errorf("--fail-on %s: the warning's system-out %q", c.failOn, tc.SystemOut)
			}
		}
	}
}

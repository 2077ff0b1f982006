package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/flytedoctor/flytedoctor/bundle"
	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/report"
	"github.com/flytedoctor/flytedoctor/rules"
)

// demoBundle writes the scenario's bundle through the bundle command's path against the
// scenario's fake Admin, cluster and storage, and returns the snapshot that run collected
// (before redaction) with the rules' config.
func demoBundle(t testing.TB, f *Factory, s demo.Scenario, out string) (*evidence.Snapshot, rules.Config) {
	t.Helper()
	var snap *evidence.Snapshot
	var rcfg rules.Config
	bo := &bundleOptions{Out: out, LogBytes: bundle.DefaultLogBytes, LogPods: bundle.DefaultLogPods, MaxSize: bundle.DefaultTotalBytes}
	err := withDemo(context.Background(), f, s, func(df *Factory, o *diagnoseOptions, cfg *flyteconfig.Config) error {
		var err error
		snap, rcfg, err = bundleExecution(context.Background(), df, o, bo, cfg, []string{"flytedoctor", "test"})
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	return snap, rcfg
}

func findingKeys(fs []rules.Finding) []string {
	var out []string
	for _, f := range fs {
		b, _ := json.Marshal(f.Subject)
		out = append(out, f.RuleID+" "+string(b)+" "+f.Summary)
	}
	return out
}

// bundle → analyze gives the live report, byte for byte, in every -o, for every demo
// scenario; and the same findings when the bundle's snapshot is taken out, so that analyze
// collects again from its raw Admin and Kubernetes files.
func TestAnalyzeBundleSameAsLive(t *testing.T) {
	scenarios, err := demo.Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) {
			f, _, _ := testFactory(t, nil)
			path := filepath.Join(dir, s.Name+".tar.gz")
			snap, rcfg := demoBundle(t, f, s, path)
			live := report.New(snap, rules.Run(snap, rules.Table(), rcfg))
			for _, r := range report.Renderers() {
				var want bytes.Buffer
				if err := r.Render(&want, []*report.Report{live}, report.Options{Style: report.NewStyle(false)}); err != nil {
					t.Fatal(err)
				}
				af, out, errOut := testFactory(t, nil)
				code := Main(context.Background(), af, []string{"analyze", "--no-color", "--fail-on", "never", "-o", r.Name(), path})
				if code != 0 || errOut.Len() > 0 {
					t.Fatalf("-o %s: exit %d: %s", r.Name(), code, errOut)
				}
				if out.String() != want.String() {
					t.Errorf("-o %s differs from the live report:\n%s", r.Name(), firstDiff(want.String(), out.String()))
				}
			}

			// Without the snapshot (and the report that holds one): collected from the raw files.
			raw := filepath.Join(dir, s.Name+"-raw.tar.gz")
			if err := os.WriteFile(raw, dropMembers(t, path, bundle.SnapshotFile, bundle.ReportJSONFile), 0o600); err != nil {
				t.Fatal(err)
			}
			af, out, errOut := testFactory(t, nil)
			if code := Main(context.Background(), af, []string{"analyze", "-o", "json", "--fail-on", "never", raw}); code != 0 {
				t.Fatalf("raw: exit %d: %s", code, errOut)
			}
			if !strings.Contains(errOut.String(), "has no snapshot: collected "+s.Root.String()) {
				t.Errorf("stderr: %s", errOut)
			}
			var got report.Report
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if w, g := strings.Join(findingKeys(live.Findings), "\n"), strings.Join(findingKeys(got.Findings), "\n"); w != g {
				t.Errorf("findings from the raw files:\n%s\nlive:\n%s", g, w)
			}
		})
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  live    %q\n  offline %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}

// dropMembers rewrites a bundle without the named members.
func dropMembers(t *testing.T, path string, names ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		_, name, _ := strings.Cut(h.Name, "/")
		b, _ := io.ReadAll(tr)
		if containsName(names, name) {
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func containsName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// The dumps people already have, named any way: flytectl get execution -o yaml (camel case),
// Admin's HTTP API JSON (snake case) for node and task executions, kubectl get -o yaml as a
// List; plus files analyze does not use, which it lists.
func TestAnalyzeRawDumps(t *testing.T) {
	scenarios, err := demo.Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"subworkflow", "unschedulable"} {
		t.Run(name, func(t *testing.T) {
			var s demo.Scenario
			for _, sc := range scenarios {
				if sc.Name == name {
					s = sc
				}
			}
			f, _, _ := testFactory(t, nil)
			snap, rcfg, err := demoSnapshot(context.Background(), f, s)
			if err != nil {
				t.Fatal(err)
			}
			live := rules.Run(snap, rules.Table(), rcfg)

			dir := t.TempDir()
			// Dumped when the scenario happened: analyze counts durations to the newest file's time.
			write := func(name string, data []byte) {
				t.Helper()
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, data, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(p, s.AsOf(), s.AsOf()); err != nil {
					t.Fatal(err)
				}
			}
			fx, err := fakeadmin.ParseFixture(s.Fixture)
			if err != nil {
				t.Fatal(err)
			}
			camel := protojson.MarshalOptions{} // flytectl's jsonpb: lowerCamelCase names
			snakeOpts := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}
			for i, e := range fx.Executions {
				j, _ := camel.Marshal(e.Execution)
				y, err := yaml.JSONToYAML(j)
				if err != nil {
					t.Fatal(err)
				}
				write(fmt.Sprintf("flytectl-get-execution-%d.yaml", i), y)
				if e.Data != nil {
					d, _ := snakeOpts.Marshal(e.Data)
					write(fmt.Sprintf("api_v1_data_executions_%d.json", i), d)
				}
				// Each node as GET /api/v1/node_executions/.../NODE, its attempts as one list.
				for j, n := range e.Nodes {
					nb, _ := snakeOpts.Marshal(n.NodeExecution)
					write(fmt.Sprintf("node-%d-%d.json", i, j), nb)
					if len(n.Tasks) > 0 {
						var items []json.RawMessage
						for _, te := range n.Tasks {
							tb, _ := snakeOpts.Marshal(te)
							items = append(items, tb)
						}
						lb, _ := json.Marshal(map[string]any{"task_executions": items, "token": ""})
						write(fmt.Sprintf("tasks-%d-%d.json", i, j), lb)
					}
				}
			}
			objs, err := s.KubeObjects()
			if err != nil {
				t.Fatal(err)
			}
			write("kubectl-get.yaml", kubectlList(t, objs))
			write("notes.txt", []byte("the user said it worked yesterday"))
			write("deployment.json", []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"flyte"}}`))

			af, out, errOut := testFactory(t, nil)
			if code := Main(context.Background(), af, []string{"analyze", "-o", "json", "--fail-on", "never", dir}); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var got report.Report
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if w, g := strings.Join(findingKeys(live.Findings), "\n"), strings.Join(findingKeys(got.Findings), "\n"); w != g {
				t.Errorf("findings from the dumps:\n%s\nlive:\n%s", g, w)
			}
			for _, want := range []string{"not used: notes.txt: not JSON or YAML", "not used: deployment.json: Kubernetes Deployment objects are not used"} {
				if !strings.Contains(errOut.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
		})
	}
}

// kubectlList is `kubectl get ... -o yaml`: a v1 List of objects with their kinds.
func kubectlList(t *testing.T, objs []runtime.Object) []byte {
	t.Helper()
	var items []any
	for _, o := range objs {
		o = o.DeepCopyObject()
		switch x := o.(type) {
		case *corev1.Pod:
			x.APIVersion, x.Kind = "v1", "Pod"
		case *corev1.Event:
			x.APIVersion, x.Kind = "v1", "Event"
		case *corev1.Node:
			x.APIVersion, x.Kind = "v1", "Node"
		case *corev1.ServiceAccount:
			x.APIVersion, x.Kind = "v1", "ServiceAccount"
		case *corev1.ResourceQuota:
			x.APIVersion, x.Kind = "v1", "ResourceQuota"
		case *corev1.LimitRange:
			x.APIVersion, x.Kind = "v1", "LimitRange"
		}
		items = append(items, o)
	}
	j, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items, "metadata": map[string]string{"resourceVersion": ""}})
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.JSONToYAML(j)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// Hostile input is refused with one line and exit 2; nothing is written anywhere.
func TestAnalyzeRefusesHostileArchives(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "b/../../../../tmp/flytedoctor-escaped.json", Typeflag: tar.TypeReg, Size: 2, Mode: 0o644})
	tw.Write([]byte("{}"))
	tw.Close()
	zw.Close()
	path := filepath.Join(dir, "evil.tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	f, out, errOut := testFactory(t, nil)
	code := Main(context.Background(), f, []string{"analyze", path})
	if code != ExitUsage || strings.Count(errOut.String(), "\n") != 1 || !strings.Contains(errOut.String(), "climbs out of the bundle") || out.Len() > 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat("/tmp/flytedoctor-escaped.json"); err == nil {
		t.Error("the entry was written outside")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %v", entries)
	}
}

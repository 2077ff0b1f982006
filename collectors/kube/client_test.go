package kube

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

func TestResolveNamespace(t *testing.T) {
	ex := &evidence.Execution{ID: execID("abc")}
	admin := &evidence.Execution{ID: execID("abc"), Namespace: "flyte-ml"}
	for _, tc := range []struct {
		name           string
		ex             *evidence.Execution
		flag, template string
		ns, source     string
		err            string
	}{
		{"admin wins over template", admin, "", "{{ project }}", "flyte-ml", SourceAdmin, ""},
		{"flag wins over admin", admin, "other", "", "other", SourceFlag, ""},
		{"default template", ex, "", "", "flytesnacks-development", SourceTemplate, ""},
		{"custom template", ex, "", "{{ domain }}-{{ project }}-x", "development-flytesnacks-x", SourceTemplate, ""},
		{"project only", ex, "", "{{ project }}", "flytesnacks", SourceTemplate, ""},
		{"placeholders need the spaces", ex, "", "{{project}}-{{domain}}", "", "", `unknown placeholder "{{project}}"`},
		{"unknown placeholder", ex, "", "{{ org }}-{{ project }}", "", "", `unknown placeholder "{{ org }}"`},
		{"invalid result", ex, "", "{{ project }}_{{ domain }}", "", "", `gives "flytesnacks_development", which is not a valid namespace name`},
		{"invalid flag", ex, "Bad_NS", "", "", "", `--namespace "Bad_NS" is not a valid namespace name`},
		{"no execution", nil, "", "", "", "", "set --namespace"},
		{"no execution, flag", nil, "ns1", "", "ns1", SourceFlag, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, src, err := ResolveNamespace(tc.ex, tc.flag, tc.template)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || ns != tc.ns || src != tc.source {
				t.Fatalf("= %q, %q, %v; want %q, %q", ns, src, err, tc.ns, tc.source)
			}
		})
	}
}

const kubeconfigA = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
- name: b
  cluster: {server: "https://10.0.0.2:6443", insecure-skip-tls-verify: true}
contexts:
- name: ctx-a
  context: {cluster: a, user: u, namespace: team-a}
- name: ctx-b
  context: {cluster: b, user: u}
current-context: ctx-a
users:
- name: u
  user: {token: abc}
`

// kubeconfigB only changes the current context; merged after A, A's current-context wins.
const kubeconfigB = `apiVersion: v1
kind: Config
current-context: ctx-b
`

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewClientLoadingRules(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a", kubeconfigA)
	b := writeFile(t, dir, "b", kubeconfigB)
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, ".kube"), "config", strings.Replace(kubeconfigA, "current-context: ctx-a", "current-context: ctx-b", 1))
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	for _, tc := range []struct {
		name string
		o    ClientOptions
		want ClusterInfo
		err  string
	}{
		{"explicit file", ClientOptions{Kubeconfig: a}, ClusterInfo{"ctx-a", "https://127.0.0.1:6443", "team-a"}, ""},
		{"explicit file beats KUBECONFIG", ClientOptions{Kubeconfig: a, Getenv: env(map[string]string{"KUBECONFIG": b})},
			ClusterInfo{"ctx-a", "https://127.0.0.1:6443", "team-a"}, ""},
		{"context flag", ClientOptions{Kubeconfig: a, Context: "ctx-b"}, ClusterInfo{"ctx-b", "https://10.0.0.2:6443", "default"}, ""},
		{"KUBECONFIG path list, first wins", ClientOptions{Getenv: env(map[string]string{"KUBECONFIG": a + string(os.PathListSeparator) + b})},
			ClusterInfo{"ctx-a", "https://127.0.0.1:6443", "team-a"}, ""},
		{"KUBECONFIG path list, later fills in", ClientOptions{Getenv: env(map[string]string{"KUBECONFIG": b + string(os.PathListSeparator) + a})},
			ClusterInfo{"ctx-b", "https://10.0.0.2:6443", "default"}, ""},
		{"home config", ClientOptions{Getenv: env(map[string]string{"HOME": home})}, ClusterInfo{"ctx-b", "https://10.0.0.2:6443", "default"}, ""},
		{"unknown context", ClientOptions{Kubeconfig: a, Context: "nope"}, ClusterInfo{}, `--context "nope" is not a context in`},
		{"missing explicit file", ClientOptions{Kubeconfig: filepath.Join(dir, "missing")}, ClusterInfo{}, "does not exist"},
		{"nothing at all", ClientOptions{Getenv: env(map[string]string{"HOME": t.TempDir()})}, ClusterInfo{}, "no Kubernetes config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a pod, whatever runs the test
			cs, info, err := NewClient(tc.o)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if info != tc.want {
				t.Errorf("info = %+v, want %+v", info, tc.want)
			}
			rc := cs.(*kubernetes.Clientset).CoreV1().RESTClient()
			if rc == nil {
				t.Fatal("no REST client")
			}
		})
	}
}

// What the user named explicitly and cannot work is an *InputError (a usage error), found
// without contacting any server; a missing implicit config is a plain error (skip the collector).
func TestNewClientExplicitInputs(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	dir := t.TempDir()
	a := writeFile(t, dir, "a", kubeconfigA)
	garbage := writeFile(t, dir, "garbage", "this is not a kubeconfig\n")
	empty := writeFile(t, dir, "empty", "")
	many := kubeconfigA
	for _, c := range []string{"c1", "c2", "c3", "c4", "c5"} {
		many = strings.Replace(many, "contexts:\n", "contexts:\n- name: "+c+"\n  context: {cluster: a, user: u}\n", 1)
	}
	manyPath := writeFile(t, dir, "many", many)
	dangling := writeFile(t, dir, "dangling", strings.Replace(kubeconfigA, "context: {cluster: b, user: u}", "context: {cluster: gone, user: u}", 1))
	brokenHome := t.TempDir()
	if err := os.MkdirAll(filepath.Join(brokenHome, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(brokenHome, ".kube"), "config", "this is not a kubeconfig\n")
	missing := filepath.Join(dir, "missing")
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	noHome := env(map[string]string{"HOME": t.TempDir()})

	for _, tc := range []struct {
		name  string
		o     ClientOptions
		input string // the *InputError's Input; "" for a plain error
		want  []string
	}{
		{"missing --kubeconfig", ClientOptions{Kubeconfig: "/does/not/exist"}, "--kubeconfig",
			[]string{"--kubeconfig /does/not/exist does not exist: pass an existing kubeconfig file"}},
		{"--kubeconfig is not a kubeconfig", ClientOptions{Kubeconfig: garbage}, "--kubeconfig",
			[]string{"--kubeconfig " + garbage + " does not load (", "fix it or pass another kubeconfig file"}},
		{"--kubeconfig is a directory", ClientOptions{Kubeconfig: dir}, "--kubeconfig", []string{" does not load ("}},
		{"empty --kubeconfig", ClientOptions{Kubeconfig: empty}, "--kubeconfig", []string{empty + " has no clusters or contexts"}},
		{"--context not in --kubeconfig", ClientOptions{Kubeconfig: a, Context: "nosuch"}, "--context",
			[]string{`--context "nosuch" is not a context in ` + a + ` (it has "ctx-a", "ctx-b"): pick one of them`}},
		{"a few contexts listed", ClientOptions{Kubeconfig: manyPath, Context: "nosuch"}, "--context",
			[]string{`(it has "c1", "c2", "c3", "c4", "c5" and 2 more)`}},
		{"--context not in KUBECONFIG", ClientOptions{Context: "nosuch", Getenv: env(map[string]string{"KUBECONFIG": a})}, "--context",
			[]string{`"nosuch" is not a context in KUBECONFIG ` + a}},
		{"--context without any kubeconfig", ClientOptions{Context: "nosuch", Getenv: noHome}, "--context",
			[]string{`--context "nosuch": no kubeconfig with contexts found (~/.kube/config)`}},
		{"--context naming a missing cluster", ClientOptions{Kubeconfig: dangling, Context: "ctx-b"}, "--context",
			[]string{`--context "ctx-b" names cluster "gone", which ` + dangling + ` does not have`}},
		{"--context with a broken ~/.kube/config", ClientOptions{Context: "ctx-a", Getenv: env(map[string]string{"HOME": brokenHome})}, "--context",
			[]string{`--context "ctx-a": ~/.kube/config does not load`}},
		{"KUBECONFIG file does not load", ClientOptions{Getenv: env(map[string]string{"KUBECONFIG": garbage})}, "KUBECONFIG",
			[]string{"KUBECONFIG does not load (not a kubeconfig: no apiVersion and kind): fix the file or point KUBECONFIG at another one"}},
		// kubectl skips KUBECONFIG entries that do not exist; so do we, and say so when none does.
		{"KUBECONFIG names only missing files", ClientOptions{Getenv: env(map[string]string{"KUBECONFIG": missing})}, "",
			[]string{"no Kubernetes config: no file in KUBECONFIG (" + missing + ") exists"}},
		{"broken ~/.kube/config is only a skip reason", ClientOptions{Getenv: env(map[string]string{"HOME": brokenHome})}, "",
			[]string{"cannot load kubeconfig"}},
		{"a huge --kubeconfig is clipped", ClientOptions{Kubeconfig: "/" + strings.Repeat("k", 10000)}, "--kubeconfig",
			[]string{"(10001 bytes)"}},
		{"a huge --context is clipped", ClientOptions{Kubeconfig: a, Context: strings.Repeat("c", 10000)}, "--context",
			[]string{"…\" (10000 bytes) is not a context"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := NewClient(tc.o)
			if err == nil {
				t.Fatal("NewClient succeeded")
			}
			var ie *InputError
			if isInput := errors.As(err, &ie); isInput != (tc.input != "") || (isInput && ie.Input != tc.input) {
				t.Errorf("error %T %q: want an *InputError for %q", err, err, tc.input)
			}
			msg := err.Error()
			t.Log(msg)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.ContainsAny(msg, "\n") || len(msg) > 400 {
				t.Errorf("not one short line (%d bytes): %q", len(msg), msg)
			}
		})
	}

	// A KUBECONFIG list with a missing entry still works, as with kubectl.
	if _, info, err := NewClient(ClientOptions{Getenv: env(map[string]string{"KUBECONFIG": missing + string(os.PathListSeparator) + a})}); err != nil || info.Context != "ctx-a" {
		t.Errorf("KUBECONFIG with a missing entry: %+v, %v", info, err)
	}
}

func TestCheckNamespaceFlags(t *testing.T) {
	for _, tc := range []struct{ ns, template, want string }{
		{"flytesnacks-development", "", ""},
		{"", "{{ project }}-{{ domain }}", ""},
		{"", "team-{{ domain }}", ""},
		{"Bad Namespace!", "", `--namespace "Bad Namespace!" is not a valid namespace name: use lower case letters, digits and '-'`},
		{strings.Repeat("n", 64), "", "is longer than the 63 characters a namespace name may have"},
		{"", "{{ org }}-{{ project }}", `--namespace-template "{{ org }}-{{ project }}": unknown placeholder "{{ org }}"`},
		{"", "{{project}}", `unknown placeholder "{{project}}": use only {{ project }} and {{ domain }}, spaces included`},
		{"", "{{ project }}_{{ domain }}", "cannot give a valid namespace"},
	} {
		err := CheckNamespaceFlags(tc.ns, tc.template)
		if tc.want == "" {
			if err != nil {
				t.Errorf("(%q, %q): %v", tc.ns, tc.template, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("(%q, %q) = %v, want containing %q", tc.ns, tc.template, err, tc.want)
		}
	}
}

// TestRBACFileMatchesPermissions keeps docs/rbac.yaml and Permissions() equal, read-only and
// without secrets.
func TestRBACFileMatchesPermissions(t *testing.T) {
	objs := readRBAC(t)
	granted := map[string]bool{}
	clusterScoped := map[string]bool{}
	for _, o := range objs {
		role, ok := o.(*rbacv1.ClusterRole)
		if !ok {
			continue
		}
		for _, r := range role.Rules {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						granted[g+"|"+res+"|"+v] = true
						if role.Name == "flytedoctor-nodes" {
							clusterScoped[res] = true
						}
					}
				}
			}
		}
	}
	want := map[string]bool{}
	for _, p := range Permissions() {
		res := p.Resource
		if p.Subresource != "" {
			res += "/" + p.Subresource
		}
		want[p.Group+"|"+res+"|"+p.Verb] = true
		if !p.Namespaced != clusterScoped[res] {
			t.Errorf("%s: namespaced=%v but it is in the %s role", res, p.Namespaced, map[bool]string{true: "nodes", false: "namespaced"}[clusterScoped[res]])
		}
		if p.Why == "" {
			t.Errorf("%s %s has no reason", p.Verb, res)
		}
	}
	for k := range granted {
		if !want[k] {
			t.Errorf("rbac.yaml grants %s, which Permissions() does not declare", k)
		}
		if strings.Contains(k, "secrets") {
			t.Errorf("rbac.yaml grants secrets: %s", k)
		}
		verb := k[strings.LastIndex(k, "|")+1:]
		if !slices.Contains([]string{"get", "list"}, verb) {
			t.Errorf("rbac.yaml grants a non-read verb: %s", k)
		}
	}
	for k := range want {
		if !granted[k] {
			t.Errorf("Permissions() declares %s, which rbac.yaml does not grant", k)
		}
	}
}

// readRBAC decodes every document of docs/rbac.yaml.
func readRBAC(t testing.TB) []any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var out []any
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("docs/rbac.yaml: %v", err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("docs/rbac.yaml: %v", err)
		}
		out = append(out, obj)
	}
	if len(out) != 4 {
		t.Fatalf("docs/rbac.yaml has %d objects, want 2 ClusterRoles and 2 ClusterRoleBindings", len(out))
	}
	return out
}

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
		{"placeholders need the spaces", ex, "", "{{project}}-{{domain}}", "", "", "unknown placeholder {{project}}"},
		{"unknown placeholder", ex, "", "{{ org }}-{{ project }}", "", "", "unknown placeholder {{ org }}"},
		{"invalid result", ex, "", "{{ project }}_{{ domain }}", "", "", "not a valid namespace name"},
		{"invalid flag", ex, "Bad_NS", "", "", "", `--namespace "Bad_NS"`},
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
		{"unknown context", ClientOptions{Kubeconfig: a, Context: "nope"}, ClusterInfo{}, `context "nope" does not exist`},
		{"missing explicit file", ClientOptions{Kubeconfig: filepath.Join(dir, "missing")}, ClusterInfo{}, "cannot load kubeconfig"},
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

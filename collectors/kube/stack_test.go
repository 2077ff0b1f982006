package kube

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Helpers for tests against the real kube-apiserver of scripts/stack (no kubelet, scheduler or
// controllers: tests write what those would).

// stackConfig returns the admin config of the test stack, or skips. Only STACK_KUBECONFIG counts:
// a plain KUBECONFIG may point at a real cluster.
func stackConfig(t testing.TB) *rest.Config {
	t.Helper()
	path := os.Getenv("STACK_KUBECONFIG")
	if path == "" {
		t.Skip("no test stack: STACK_KUBECONFIG is unset (scripts/stack/kube-up.sh, then source /tmp/flytedoctor-stack/env.sh; make test does both)")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("stack kubeconfig: %v", err)
	}
	cfg.QPS = -1 // fixtures are many small writes; no client-side throttling
	cfg.ContentType = "application/json"
	return cfg
}

func stackAdmin(t testing.TB) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(stackConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func randSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newNamespace creates a fresh namespace (deleted ones never finish terminating here).
func newNamespace(t testing.TB, cs kubernetes.Interface, prefix string) string {
	t.Helper()
	name := "kt-" + prefix + "-" + randSuffix()
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return name
}

// createPod creates the pod's spec, then writes its status through pods/status as the kubelet
// or scheduler would. status, when set, runs on the created pod (so it sees the UID).
func createPod(t testing.TB, cs kubernetes.Interface, p *corev1.Pod, status func(*corev1.Pod)) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	want := p.DeepCopy()
	if status != nil {
		status(want) // for the spec fields a status implies (nodeName, restartPolicy)
	}
	want.Status = corev1.PodStatus{}
	got, err := cs.CoreV1().Pods(p.Namespace).Create(ctx, want, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s: %v", p.Name, err)
	}
	if status == nil {
		return got
	}
	status(got)
	got, err = cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("pod %s status: %v", p.Name, err)
	}
	return got
}

func createEvent(t testing.TB, cs kubernetes.Interface, e *corev1.Event) {
	t.Helper()
	if _, err := cs.CoreV1().Events(e.Namespace).Create(context.Background(), e, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create event %s: %v", e.Name, err)
	}
}

// createNode creates a node with its status, removed after the test (nodes are cluster-wide).
func createNode(t testing.TB, cs kubernetes.Interface, n *corev1.Node) {
	t.Helper()
	ctx := context.Background()
	status := n.Status
	got, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", n.Name, err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), n.Name, metav1.DeleteOptions{}) })
	got.Status.Allocatable, got.Status.Capacity, got.Status.Conditions = status.Allocatable, status.Allocatable, status.Conditions
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("node %s status: %v", n.Name, err)
	}
}

// recorder is an HTTP transport that notes every request and how many items each list returned,
// to show what the server filtered, not the collector.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recordingTransport struct {
	rec  *recorder
	next http.RoundTripper
}

type recorded struct {
	method, path, query string
	items               int
	status              int
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := t.rec
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	_ = json.Unmarshal(body, &list)
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.Path, req.URL.RawQuery, len(list.Items), resp.StatusCode})
	r.mu.Unlock()
	return resp, err
}

func (r *recorder) lists(pathSuffix string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, q := range r.reqs {
		if q.method == http.MethodGet && strings.HasSuffix(q.path, pathSuffix) {
			out = append(out, q)
		}
	}
	return out
}

// recordingClient is an admin client whose requests are recorded.
func recordingClient(t testing.TB) (kubernetes.Interface, *recorder) {
	t.Helper()
	cfg := stackConfig(t)
	rec := &recorder{}
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return &recordingTransport{rec, rt} }
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs, rec
}

// applyRBAC applies docs/rbac.yaml: the ClusterRoles as they are, and of the bindings those
// named in bind, renamed for this test and bound to user. Bindings go away after the test.
func applyRBAC(t testing.TB, cs kubernetes.Interface, user, suffix string, bind ...string) {
	t.Helper()
	ctx := context.Background()
	for _, o := range readRBAC(t) {
		switch o := o.(type) {
		case *rbacv1.ClusterRole:
			cur, err := cs.RbacV1().ClusterRoles().Get(ctx, o.Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				_, err = cs.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
			case err == nil:
				cur.Rules = o.Rules
				_, err = cs.RbacV1().ClusterRoles().Update(ctx, cur, metav1.UpdateOptions{})
			}
			if err != nil {
				t.Fatalf("apply ClusterRole %s: %v", o.Name, err)
			}
		case *rbacv1.ClusterRoleBinding:
			if !contains(bind, o.Name) {
				continue
			}
			o.Name += "-" + suffix
			o.Subjects = []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}}
			if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{}); err != nil {
				t.Fatalf("apply ClusterRoleBinding %s: %v", o.Name, err)
			}
			name := o.Name
			t.Cleanup(func() {
				_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
			})
		}
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// eventually polls cond (RBAC changes reach the authorizer through an informer, not at once).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/flytedoctor/flytedoctor/internal/faultsrv"
)

// podServer is a Kubernetes API that lists no pods and records the Authorization headers
// and client certificates it saw. reject answers 401 for a token.
type podServer struct {
	mu     sync.Mutex
	auth   []string
	certs  []string
	reject map[string]bool
}

func (s *podServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := r.Header.Get("Authorization")
	s.auth = append(s.auth, h)
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		s.certs = append(s.certs, r.TLS.PeerCertificates[0].Subject.CommonName)
	}
	rejected := s.reject[h]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if rejected {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401,"message":"Unauthorized"}`))
		return
	}
	_, _ = w.Write([]byte(`{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}`))
}

func (s *podServer) seen() ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth...), append([]string(nil), s.certs...)
}

// writePlugin writes an executable shell script.
func writePlugin(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "plugin.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// execKubeconfig points at server with user u authenticated by the exec plugin; edits are
// old, new pairs replaced in it.
func execKubeconfig(t *testing.T, dir, server, plugin string, edits ...string) string {
	t.Helper()
	return writeFile(t, dir, "kubeconfig", strings.NewReplacer(edits...).Replace(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "`+server+`", insecure-skip-tls-verify: true}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: `+plugin+`
      interactiveMode: Never
      provideClusterInfo: true
      env: [{name: FD_PLUGIN_DIR, value: "`+dir+`"}]
`))
}

func listPods(ctx context.Context, cs kubernetes.Interface) error {
	_, err := cs.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{})
	return err
}

func newExecClient(t *testing.T, kubeconfig string) kubernetes.Interface {
	t.Helper()
	cs, _, err := NewClient(ClientOptions{Kubeconfig: kubeconfig, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

func TestExecPluginTokenRunsOnceUnderItsEnv(t *testing.T) {
	srv := &podServer{}
	ts := httptest.NewTLSServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	plugin := writePlugin(t, dir, `echo run >> "$FD_PLUGIN_DIR/runs"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$FD_PLUGIN_DIR/info"
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-1"}}'
`)
	cs := newExecClient(t, execKubeconfig(t, dir, ts.URL, plugin))
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = listPods(context.Background(), cs) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	auth, _ := srv.seen()
	if len(auth) != 4 || strings.Count(strings.Join(auth, ","), "Bearer tok-1") != 4 {
		t.Errorf("Authorization headers = %q, want 4 × Bearer tok-1", auth)
	}
	if runs := lines(t, filepath.Join(dir, "runs")); len(runs) != 1 {
		t.Errorf("plugin ran %d times for 4 concurrent requests, want 1 (the credential is cached)", len(runs))
	}
	raw, err := os.ReadFile(filepath.Join(dir, "info"))
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		APIVersion, Kind string
		Spec             struct {
			Interactive bool
			Cluster     struct{ Server string }
		}
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatalf("KUBERNETES_EXEC_INFO %q: %v", raw, err)
	}
	if info.APIVersion != "client.authentication.k8s.io/v1" || info.Kind != "ExecCredential" || info.Spec.Interactive || info.Spec.Cluster.Server != ts.URL {
		t.Errorf("KUBERNETES_EXEC_INFO = %s", raw)
	}
}

func TestExecPluginRunsAgainAfterUnauthorizedAndExpiry(t *testing.T) {
	srv := &podServer{reject: map[string]bool{"Bearer tok-1": true}}
	ts := httptest.NewTLSServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	// tok-N for the Nth run; tok-2 expires at once, so the third request runs it again.
	plugin := writePlugin(t, dir, `echo run >> "$FD_PLUGIN_DIR/runs"
n=$(wc -l < "$FD_PLUGIN_DIR/runs" | tr -d ' ')
exp=""
[ "$n" = 2 ] && exp=',"expirationTimestamp":"2000-01-01T00:00:00Z"'
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-'$n'"'$exp'}}'
`)
	cs := newExecClient(t, execKubeconfig(t, dir, ts.URL, plugin))
	if err := listPods(context.Background(), cs); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("first request: %v, want Unauthorized (tok-1 is rejected)", err)
	}
	for i := range 2 {
		if err := listPods(context.Background(), cs); err != nil {
			t.Fatalf("request %d: %v", i+2, err)
		}
	}
	auth, _ := srv.seen()
	if want := []string{"Bearer tok-1", "Bearer tok-2", "Bearer tok-3"}; strings.Join(auth, ",") != strings.Join(want, ",") {
		t.Errorf("Authorization headers = %q, want %q", auth, want)
	}
}

func TestExecPluginClientCertificate(t *testing.T) {
	certPEM, keyPEM := clientCert(t, "flytedoctor-exec")
	srv := &podServer{}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	ts.StartTLS()
	defer ts.Close()
	dir := t.TempDir()
	cred, _ := json.Marshal(map[string]any{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
		"status": map[string]string{"clientCertificateData": certPEM, "clientKeyData": keyPEM}})
	writeFile(t, dir, "cred.json", string(cred))
	plugin := writePlugin(t, dir, `cat "$FD_PLUGIN_DIR/cred.json"`)
	cs := newExecClient(t, execKubeconfig(t, dir, ts.URL, plugin, "k8s.io/v1\n", "k8s.io/v1beta1\n"))
	if err := listPods(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	auth, certs := srv.seen()
	if len(certs) != 1 || certs[0] != "flytedoctor-exec" || auth[0] != "" {
		t.Errorf("server saw certificates %q and Authorization %q, want the plugin's certificate and no token", certs, auth)
	}
}

func TestExecPluginThatHangsIsKilledAtTheDeadline(t *testing.T) {
	srv := &podServer{}
	ts := httptest.NewTLSServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	// The shell and its child both record their pids; the child is what the SDK-style
	// "kill the direct child" would leave behind.
	plugin := writePlugin(t, dir, `echo $$ >> "$FD_PLUGIN_DIR/pids"
sleep 30 &
echo $! >> "$FD_PLUGIN_DIR/pids"
wait
`)
	cs := newExecClient(t, execKubeconfig(t, dir, ts.URL, plugin))
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = listPods(ctx, cs) })
	}
	wg.Wait()
	if took := time.Since(start); took > 700*time.Millisecond+500*time.Millisecond {
		t.Errorf("requests returned after %s, want about the 700ms deadline", took)
	}
	for _, err := range errs {
		var pe *ExecPluginError
		if !errors.As(err, &pe) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want an ExecPluginError wrapping the deadline", err)
		}
		if code, msg := classify(err); code != "DeadlineExceeded" || !strings.Contains(msg, "had not printed a credential by the deadline") {
			t.Errorf("classify = %s, %q", code, msg)
		}
	}
	pids := lines(t, filepath.Join(dir, "pids"))
	if len(pids) != 2 {
		t.Fatalf("pids = %q: the plugin ran %d times for 3 concurrent requests, want once", pids, len(pids)/2)
	}
	for _, p := range pids {
		waitGone(t, p)
	}
	// A plugin that did not finish in time is not run again for each later request.
	if err := listPods(context.Background(), cs); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("later request: %v, want the same failure", err)
	}
	if got := lines(t, filepath.Join(dir, "pids")); len(got) != 2 {
		t.Errorf("the plugin ran again: pids %q", got)
	}
	if auth, _ := srv.seen(); len(auth) != 0 {
		t.Errorf("the server got %d requests without a credential", len(auth))
	}
}

func TestExecPluginFailures(t *testing.T) {
	for _, tc := range []struct {
		name, script, want string
	}{
		{"exit status", "echo 'token expired, run login' >&2; exit 3", `plugin.sh" failed: exit status 3`},
		{"not an ExecCredential", "echo hello", "its output is not an ExecCredential"},
		{"no credential", `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}}'`, "neither a token nor a client certificate"},
		{"wrong version", `echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"x"}}'`, "the kubeconfig says client.authentication.k8s.io/v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewTLSServer(&podServer{})
			defer ts.Close()
			dir := t.TempDir()
			cs := newExecClient(t, execKubeconfig(t, dir, ts.URL, writePlugin(t, dir, tc.script)))
			err := listPods(context.Background(), cs)
			code, msg := classify(err)
			if code != "ConfigError" || !strings.Contains(msg, tc.want) {
				t.Errorf("classify(%v) = %s, %q; want ConfigError, %q", err, code, msg, tc.want)
			}
		})
	}
	t.Run("interactiveMode Always without a terminal", func(t *testing.T) {
		ts := httptest.NewTLSServer(&podServer{})
		defer ts.Close()
		dir := t.TempDir()
		kc := execKubeconfig(t, dir, ts.URL, writePlugin(t, dir, "exit 0"), "interactiveMode: Never", "interactiveMode: Always")
		err := listPods(context.Background(), newExecClient(t, kc))
		if err == nil || !strings.Contains(err.Error(), "interactiveMode is Always") {
			t.Errorf("err = %v", err)
		}
	})
}

// waitGone fails the test unless process pid ends (or is a zombie) within a second.
func waitGone(t *testing.T, pid string) {
	t.Helper()
	n, err := strconv.Atoi(pid)
	if err != nil {
		t.Fatalf("pid %q", pid)
	}
	deadline := time.Now().Add(time.Second)
	for alive(n) {
		if time.Now().After(deadline) {
			t.Errorf("process %d is still running", n)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err)
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || !strings.HasPrefix(strings.TrimSpace(string(stat[i+1:])), "Z")
}

// clientCert is a self-signed client certificate and its key, PEM-encoded.
func clientCert(t *testing.T, cn string) (certPEM, keyPEM string) {
	_, c, k := faultsrv.Cert(t, cn, x509.ExtKeyUsageClientAuth)
	return string(c), string(k)
}

// Against the real kube-apiserver of scripts/stack: a plugin's token and a plugin's client
// certificate both authenticate.
func TestExecPluginAgainstTheStack(t *testing.T) {
	server, caFile, token := os.Getenv("STACK_KUBE_SERVER"), os.Getenv("STACK_KUBE_CA_FILE"), os.Getenv("STACK_KUBE_ADMIN_TOKEN")
	if server == "" || caFile == "" || token == "" {
		t.Skip("no test stack: STACK_KUBE_SERVER, STACK_KUBE_CA_FILE, STACK_KUBE_ADMIN_TOKEN unset (make test sets them)")
	}
	admin := stackConfig(t)
	certCred, _ := json.Marshal(map[string]any{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
		"status": map[string]string{"clientCertificateData": string(admin.CertData), "clientKeyData": string(admin.KeyData)}})
	tokenCred, _ := json.Marshal(map[string]any{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
		"status": map[string]string{"token": token}})
	for name, cred := range map[string][]byte{"token": tokenCred, "client certificate": certCred} {
		t.Run(name, func(t *testing.T) {
			if name == "client certificate" && len(admin.CertData) == 0 {
				t.Skip("the stack's kubeconfig has no client certificate")
			}
			dir := t.TempDir()
			writeFile(t, dir, "cred.json", string(cred))
			plugin := writePlugin(t, dir, `echo run >> "$FD_PLUGIN_DIR/runs"; cat "$FD_PLUGIN_DIR/cred.json"`)
			kc := execKubeconfig(t, dir, server, plugin, "insecure-skip-tls-verify: true", "certificate-authority: "+caFile)
			cs := newExecClient(t, kc)
			if _, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{Limit: 1}); err != nil {
				t.Fatal(err)
			}
			if runs := lines(t, filepath.Join(dir, "runs")); len(runs) != 1 {
				t.Errorf("plugin ran %d times", len(runs))
			}
		})
	}
}

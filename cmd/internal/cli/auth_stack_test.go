package cli

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// `auth status` against the dev stack's kube-apiserver and versitygw (scripts/stack).

func needStack(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if os.Getenv(k) == "" {
			t.Skipf("no test stack: %s is unset (scripts/stack/stack-up.sh, then `set -a; . $STACK_DIR/env.sh; set +a`; make test does both)", k)
		}
	}
}

// stackStatus runs `auth status` with the real Kubernetes and AWS clients, a fake Admin with
// auth off, and env as flytedoctor's environment (the SDK itself reads the process's).
func stackStatus(t *testing.T, env map[string]string, args ...string) []string {
	t.Helper()
	addr := startAdmin(t)
	if env["FLYTECTL_CONFIG"] == "" {
		env["FLYTECTL_CONFIG"] = writeConfig(t, "admin:\n  endpoint: dns:///"+addr+"\n  insecure: true\n")
	}
	f, out, errOut := testFactory(t, env)
	f.KubeClient = kube.NewClient
	guard := testnet.New(t)
	f.StorageClients = func(ctx context.Context, o s3.ClientOptions) (*s3.Clients, error) {
		// A BuildableClient: the SDK adds AWS_CA_BUNDLE to no other kind.
		o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.DialContext = guard.DialContext })
		return s3.NewClients(ctx, o)
	}
	if code := run(f, append([]string{"auth", "status"}, args...)...); code != ExitOK || errOut.Len() != 0 {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	if s := os.Getenv("AWS_SECRET_ACCESS_KEY"); s != "" && strings.Contains(out.String(), s) {
		t.Errorf("the output shows the secret key:\n%s", out)
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
}

// section returns the lines from the one starting with head up to the next layer's header.
func section(lines []string, head string) []string {
	for i, l := range lines {
		if !strings.HasPrefix(l, head) {
			continue
		}
		j := i + 1
		for j < len(lines) && strings.HasPrefix(lines[j], "  ") {
			j++
		}
		return lines[i:j]
	}
	return nil
}

func wantSection(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// adminCertUser reads the user and groups the API server takes from the admin kubeconfig's
// client certificate (CN and O), so the test does not restate the stack's names.
func adminCertUser(t *testing.T, path string) (string, []string) {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ai := cfg.AuthInfos[cfg.Contexts[cfg.CurrentContext].AuthInfo]
	b, _ := pem.Decode(ai.ClientCertificateData)
	if b == nil {
		t.Fatalf("%s has no client certificate", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.Subject.CommonName, c.Subject.Organization
}

func TestAuthStatusStackKubernetesAdmin(t *testing.T) {
	needStack(t, "STACK_KUBECONFIG", "STACK_KUBE_SERVER")
	kc := os.Getenv("STACK_KUBECONFIG")
	user, groups := adminCertUser(t, kc)
	lines := stackStatus(t, map[string]string{}, "--kubeconfig", kc)
	wantSection(t, section(lines, "Kubernetes"),
		"Kubernetes   context flytedoctor-test, server "+os.Getenv("STACK_KUBE_SERVER"),
		"  user        "+user+" (groups "+strings.Join(append(groups, "system:authenticated"), ", ")+")")
}

// The limited user is a static token user of the stack (scripts/stack/kube-up.sh). Whether it
// may create selfsubjectreviews is RBAC's call (system:basic-user grants it by default), so the
// test asks the API server first and expects the matching row.
func TestAuthStatusStackKubernetesLimited(t *testing.T) {
	needStack(t, "STACK_KUBECONFIG_LIMITED", "STACK_KUBE_SERVER")
	kc := os.Getenv("STACK_KUBECONFIG_LIMITED")
	rc, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	ar, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), &authv1.SelfSubjectAccessReview{
		Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authv1.ResourceAttributes{
			Verb: "create", Group: "authentication.k8s.io", Resource: "selfsubjectreviews"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "  user        flytedoctor-limited (groups system:authenticated)"
	if !ar.Status.Allowed {
		want = `  user        unknown: this user may not create selfsubjectreviews (authentication.k8s.io/v1), so the API server was not asked who it is: User "flytedoctor-limited" cannot create resource "selfsubjectreviews" in API group "authentication.k8s.io" at the cluster scope`
	}
	lines := stackStatus(t, map[string]string{}, "--kubeconfig", kc)
	wantSection(t, section(lines, "Kubernetes"), "Kubernetes   context flytedoctor-test, server "+os.Getenv("STACK_KUBE_SERVER"), want)
}

// A user RBAC gives nothing (the admin impersonating system:anonymous, which is not in
// system:authenticated): the row says in one line that it may not ask, and the run goes on.
func TestAuthStatusStackKubernetesForbidden(t *testing.T) {
	needStack(t, "STACK_KUBECONFIG", "STACK_KUBE_SERVER")
	cfg, err := clientcmd.LoadFromFile(os.Getenv("STACK_KUBECONFIG"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ai := range cfg.AuthInfos {
		ai.Impersonate = "system:anonymous"
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kc); err != nil {
		t.Fatal(err)
	}
	lines := stackStatus(t, map[string]string{}, "--kubeconfig", kc)
	wantSection(t, section(lines, "Kubernetes"),
		"Kubernetes   context flytedoctor-test, server "+os.Getenv("STACK_KUBE_SERVER"),
		`  user        unknown: this user may not create selfsubjectreviews (authentication.k8s.io/v1), so the API server was not asked who it is: User "system:anonymous" cannot create resource "selfsubjectreviews" in API group "authentication.k8s.io" at the cluster scope`)
	if got := section(lines, "AWS"); len(got) == 0 {
		t.Errorf("no AWS row after the Kubernetes one:\n%s", strings.Join(lines, "\n"))
	}
}

func maskedRoot(t *testing.T) string {
	k := os.Getenv("AWS_ACCESS_KEY_ID")
	if len(k) <= 4 {
		t.Fatalf("AWS_ACCESS_KEY_ID %q is too short for this test", k)
	}
	return "****" + k[len(k)-4:]
}

// With the stack's env (AWS_ENDPOINT_URL at versitygw) STS requests go to versitygw, which
// does not implement STS.
func TestAuthStatusStackAWSEndpointWithoutSTS(t *testing.T) {
	needStack(t, "STACK_S3_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
	ep := os.Getenv("AWS_ENDPOINT_URL")
	lines := stackStatus(t, map[string]string{"AWS_ENDPOINT_URL": ep})
	got := section(lines, "AWS")
	if len(got) != 2 {
		t.Fatalf("AWS rows:\n%s", strings.Join(lines, "\n"))
	}
	wantSection(t, got[:1], "AWS          credentials from the environment (AWS_ACCESS_KEY_ID), region "+os.Getenv("AWS_REGION"))
	prefix := "  identity    unknown: STS GetCallerIdentity at " + ep + " (AWS_ENDPOINT_URL) answered HTTP 405 MethodNotAllowed: "
	suffix := ", so it does not implement STS (S3-only servers such as MinIO or versitygw do not); access key " + maskedRoot(t) + " from the environment (AWS_ACCESS_KEY_ID)"
	if !strings.HasPrefix(got[1], prefix) || !strings.HasSuffix(got[1], suffix) || len(got[1]) > len(prefix)+len(suffix)+100 {
		t.Errorf("identity row:\n%s\nwant %q ... %q", got[1], prefix, suffix)
	}
}

// With only --s3-endpoint (no AWS_ENDPOINT_URL[_STS]) no STS is asked at all: AWS's would not
// know versitygw's keys.
func TestAuthStatusStackAWSCustomS3Endpoint(t *testing.T) {
	needStack(t, "STACK_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	lines := stackStatus(t, map[string]string{}, "--s3-endpoint", os.Getenv("STACK_S3_ENDPOINT"))
	wantSection(t, section(lines, "AWS"),
		"AWS          credentials from the environment (AWS_ACCESS_KEY_ID), region "+os.Getenv("AWS_REGION"),
		"  identity    unknown: custom S3 endpoint and no STS endpoint (AWS_ENDPOINT_URL_STS); access key "+maskedRoot(t)+" from the environment (AWS_ACCESS_KEY_ID)")
}

// The root keys in storage.connection, as flytectl's sandbox config has them.
func TestAuthStatusStackAWSConnectionKeys(t *testing.T) {
	needStack(t, "STACK_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
	addr := startAdmin(t)
	cfg := writeConfig(t, "admin:\n  endpoint: dns:///"+addr+"\n  insecure: true\nstorage:\n  connection:\n    endpoint: "+os.Getenv("STACK_S3_ENDPOINT")+
		"\n    auth-type: accesskey\n    access-key: "+os.Getenv("AWS_ACCESS_KEY_ID")+"\n    secret-key: "+os.Getenv("AWS_SECRET_ACCESS_KEY")+"\n    region: eu-west-3\n")
	lines := stackStatus(t, map[string]string{"FLYTECTL_CONFIG": cfg})
	wantSection(t, section(lines, "AWS"),
		"AWS          credentials from storage.connection in the flytectl config, region eu-west-3",
		"  identity    unknown: storage.connection access keys: no STS to ask; access key "+maskedRoot(t)+" from storage.connection in the flytectl config")
}

// An STS endpoint that is not listening: one line naming it and the variable that set it.
func TestAuthStatusStackAWSSTSUnreachable(t *testing.T) {
	needStack(t, "STACK_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", dead)
	lines := stackStatus(t, map[string]string{"AWS_ENDPOINT_URL_STS": dead}, "--s3-endpoint", os.Getenv("STACK_S3_ENDPOINT"))
	got := section(lines, "AWS")
	want := "  identity    unknown: STS GetCallerIdentity at " + dead + " (AWS_ENDPOINT_URL_STS) failed: connection refused; access key " + maskedRoot(t) + " from the environment (AWS_ACCESS_KEY_ID)"
	if len(got) != 2 || got[1] != want {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}

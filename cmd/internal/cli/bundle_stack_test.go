package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/event"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flytedoctor/flytedoctor/cmd/internal/iostreams"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
)

// The dev stack, for the bundle tests: the real kube-apiserver (STACK_KUBECONFIG) and S3
// server (STACK_S3_ENDPOINT), or a skip.
func bundleStack(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, k := range []string{"STACK_KUBECONFIG", "STACK_S3_ENDPOINT", "STACK_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if env[k] = os.Getenv(k); env[k] == "" {
			t.Skipf("no dev stack: %s is unset (source /tmp/fd-dev-stack/env.sh)", k)
		}
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CA_BUNDLE", "")
	return env
}

func stackClient(t *testing.T, env map[string]string) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", env["STACK_KUBECONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS = -1
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func suffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// fakeKubelet serves container logs on 127.0.0.1 over TLS, as a kubelet does to the
// apiserver's pods/log proxy: logs[pod/container] or logs[pod/container/previous].
func fakeKubelet(t *testing.T, logs map[string]string) (ip string, port int32) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/containerLogs/")
		parts := strings.Split(rest, "/")
		if !ok || len(parts) != 3 {
			http.NotFound(w, r)
			return
		}
		key := parts[1] + "/" + parts[2]
		if r.URL.Query().Get("previous") == "true" {
			key += "/previous"
		}
		text, found := logs[key]
		if !found {
			http.Error(w, "container not found", http.StatusNotFound)
			return
		}
		if n, err := strconv.Atoi(r.URL.Query().Get("tailLines")); err == nil {
			lines := strings.SplitAfter(text, "\n")
			text = strings.Join(lines[max(0, len(lines)-n):], "")
		}
		if n, err := strconv.Atoi(r.URL.Query().Get("limitBytes")); err == nil && n < len(text) {
			text = text[:n]
		}
		io.WriteString(w, text)
	}))
	t.Cleanup(srv.Close)
	host, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	n, _ := strconv.Atoi(p)
	return host, int32(n)
}

// secret makes a distinct made-up credential, so that none can be mistaken for another.
func secret(prefix string) string { return prefix + "-" + suffix() + "Zq9" }

// A bundle holds none of the credentials planted in every input: pod env and annotations
// (last-applied-configuration too), event messages, current and previous logs, Admin errors
// (execution, node, task, reasons, a failed call's status), the flytectl config, the client
// secret file, the command line and the environment. Against the fake Admin over gRPC, the
// real kube-apiserver (logs through its pods/log proxy to a kubelet on 127.0.0.1) and S3.
func TestBundleRemovesEverySecret(t *testing.T) {
	env := bundleStack(t)
	cs := stackClient(t, env)
	ctx := context.Background()
	sfx := suffix()
	ns := "fd-bundle-" + sfx
	execName := "bsec" + sfx
	pod := execName + "-n0-0"

	keyID := func(c string) string { return "AKIA" + strings.Repeat(c, 12) + "Q2Z7" }
	secretKey := func(c string) string { return "wJalrXUtnFEMI/K7MDENG/" + strings.Repeat(c, 12) + "EXAMPL" }
	jwt := func(sub string) string {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(`{"sub":"`+sub+`","exp":1900000000}`)) + ".c2lnLWJ5dGVzLQ" + sub
	}
	pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAlogPemBody" + sfx + "\nQW5vdGhlckxpbmVPZktleU1hdGVyaWFs\n-----END RSA PRIVATE KEY-----"
	dockerAuth := base64.StdEncoding.EncodeToString([]byte("robot:dockerpw-" + sfx))
	dockerCfg := base64.StdEncoding.EncodeToString([]byte(`{"auths":{"registry.acme.io":{"auth":"` + dockerAuth + `"}}}`))
	eventDockerAuth := base64.StdEncoding.EncodeToString([]byte("evrobot:evpw-" + sfx))
	sessionTok := "IQoJb3JpZ2luX2VjEJr" + sfx + "XXXXXXXXXXXXXXXXXXXXXXXX"
	clientSecretFile := "correct-horse-battery-staple-" + sfx
	userPat := "acme-internal-" + strconv.Itoa(4000+int(sfx[0]))
	ghp := "ghp_" + strings.Repeat("a1B2", 9)
	ghp2 := "ghp_" + strings.Repeat("Z9y8", 9)

	s := map[string]string{
		// pod env
		"env-db-password": secret("pw-env"), "env-api-key": secret("key-env"), "env-github": ghp,
		"env-aws-secret": secretKey("e"), "env-aws-key": keyID("E"), "env-url-password": secret("pw-in-url"),
		"env-credentials": secret("cred-env"), "env-bearer": "tok-env-bearer-" + sfx, "env-jwt": jwt("envjwt" + sfx),
		"env-init-token": secret("svc-tok-init"),
		// annotations
		"ann-token": secret("ann-tok"), "ann-password": secret("ann-pw"), "ann-jwt": jwt("annjwt" + sfx),
		"ann-last-applied": secret("pw-last-applied"), "ann-url-password": secret("ann-url-pw"),
		// events
		"ev-bearer": "ev-bearer-" + sfx + "x", "ev-key-id": keyID("V"), "ev-secret-key": secretKey("v"),
		"ev-session": secret("ev-session-token"), "ev-docker-auth": eventDockerAuth,
		// logs
		"log-pem": "MIIEpAIBAAKCAQEAlogPemBody" + sfx, "log-pem-2": "QW5vdGhlckxpbmVPZktleU1hdGVyaWFs",
		"log-docker-config": dockerCfg, "log-docker-auth": dockerAuth, "log-session": sessionTok,
		"log-secret-key": secretKey("l"), "log-client-secret": secret("cs-log"), "log-password": secret("log-pass"),
		"log-jwt": jwt("logjwt" + sfx), "log-user-pattern": userPat, "log-known-file": clientSecretFile,
		"prev-hf-token": "hf_prevlog" + sfx + "abcdefghijklmnopqrstuvwx", "prev-url-password": secret("prev-log-url-pw"),
		// Admin
		"adm-exec-token": secret("admin-exec-tok"), "adm-node-bearer": "admin-node-bearer-" + sfx + "y",
		"adm-task-key-id": "ASIA" + strings.Repeat("T", 12) + "Q2Z7", "adm-reason-jwt": jwt("reasonjwt" + sfx),
		"adm-status-jwt": jwt("statusjwt" + sfx),
		// the flytectl config
		"cfg-s3-secret": secret("cfg-s3-secret"), "cfg-s3-access": keyID("C"), "cfg-stow-secret": secret("stow-secret"),
		"cfg-proxy-password": secret("cfg-proxy-pw"), "cfg-console-token": secret("cfg-console-tok"),
		"cfg-command-secret": secret("cfg-cmd-secret"),
		// the command line
		"cli-disable-reason": ghp2,
	}
	// The stack's own S3 credentials are in the environment: known, so removed if they show.
	s["env-stack-s3-key"], s["env-stack-s3-secret"] = env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
	if len(s) < 40 {
		t.Fatalf("only %d secrets planted", len(s))
	}

	// Kubernetes: a node whose kubelet is fakeKubelet, the pod on it, its events.
	mustK := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	mustK(err)
	logs := map[string]string{
		pod + "/init": "init ok\ncloning https://alice:" + s["prev-url-password"] + "@git.acme.io/x.git\n",
		pod + "/main": strings.Join([]string{
			"starting", pem, "docker config: " + dockerCfg, "export AWS_SESSION_TOKEN=x; token " + s["log-session"],
			"aws_secret_access_key = " + s["log-secret-key"] + " (" + keyID("L") + ")", "client_secret=" + s["log-client-secret"],
			"password: " + s["log-password"], "id token " + s["log-jwt"], "ticket " + userPat + " done",
			"read secret " + clientSecretFile, "Traceback: ValueError", ""}, "\n"),
		pod + "/main/previous": "attempt before restart\nHF_TOKEN=" + s["prev-hf-token"] + "\n",
	}
	s["log-key-id"] = keyID("L")
	ip, port := fakeKubelet(t, logs)
	nodeName := "fd-bundle-node-" + sfx
	node, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName,
		Labels: map[string]string{"eks.amazonaws.com/nodegroup": "cpu-pool", "node.kubernetes.io/instance-type": "m5.xlarge"}}}, metav1.CreateOptions{})
	mustK(err)
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), nodeName, metav1.DeleteOptions{}) })
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = port
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	mustK(err)

	lastApplied := `{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"main","env":[{"name":"DB_PASSWORD","value":"` + s["ann-last-applied"] + `"}]}]}}`
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: ns,
			Labels: map[string]string{kube.LabelExecutionID: execName, kube.LabelNodeID: "n0"},
			Annotations: map[string]string{
				"vault.acme.io/api-token": s["ann-token"], "acme.io/db-password": s["ann-password"],
				"acme.io/note": "uses " + s["ann-jwt"], "kubectl.kubernetes.io/last-applied-configuration": lastApplied,
				"acme.io/index-url": "https://user:" + s["ann-url-password"] + "@repo.acme.io/simple",
			}},
		Spec: corev1.PodSpec{NodeName: nodeName, RestartPolicy: corev1.RestartPolicyOnFailure,
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox:1.36", Env: []corev1.EnvVar{{Name: "SERVICE_TOKEN", Value: s["env-init-token"]}}}},
			Containers: []corev1.Container{{Name: "main", Image: "ghcr.io/acme/trainer:v2", Env: []corev1.EnvVar{
				{Name: "DB_PASSWORD", Value: s["env-db-password"]}, {Name: "API_KEY", Value: s["env-api-key"]},
				{Name: "GITHUB_TOKEN", Value: s["env-github"]}, {Name: "AWS_SECRET_ACCESS_KEY", Value: s["env-aws-secret"]},
				{Name: "AWS_ACCESS_KEY_ID", Value: s["env-aws-key"]},
				{Name: "DATABASE_URL", Value: "postgres://app:" + s["env-url-password"] + "@db.internal:5432/x"},
				{Name: "MY_CREDENTIALS", Value: s["env-credentials"]}, {Name: "AUTH_HEADER", Value: "Bearer " + s["env-bearer"]},
				{Name: "ID_TKN_CACHE", Value: s["env-jwt"]}, {Name: "FLYTE_INTERNAL_EXECUTION_ID", Value: execName},
			}}}},
	}
	got, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	mustK(err)
	t0 := time.Date(2026, 11, 25, 11, 50, 0, 0, time.UTC)
	got.Status = corev1.PodStatus{Phase: corev1.PodRunning,
		InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "main", RestartCount: 1, Image: "ghcr.io/acme/trainer:v2",
			State:                corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: metav1.Time{Time: t0}}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}}}}
	_, err = cs.CoreV1().Pods(ns).UpdateStatus(ctx, got, metav1.UpdateOptions{})
	mustK(err)
	for i, msg := range []string{
		"Failed to pull image \"registry.acme.io/x\": authorization failed: Bearer " + s["ev-bearer"],
		"credentials " + s["ev-key-id"] + " " + s["ev-secret-key"] + " were rejected",
		"request failed: x-amz-security-token=" + s["ev-session"],
		`pull secret has {"auths":{"registry.acme.io":{"auth":"` + s["ev-docker-auth"] + `"}}}`,
	} {
		_, err := cs.CoreV1().Events(ns).Create(ctx, &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%d", pod, i), Namespace: ns},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod, APIVersion: "v1"},
			Type:           "Warning", Reason: "Failed", Message: msg, Count: 1, Source: corev1.EventSource{Component: "kubelet"},
			FirstTimestamp: metav1.Time{Time: t0}, LastTimestamp: metav1.Time{Time: t0},
		}, metav1.CreateOptions{})
		mustK(err)
	}

	// Admin: the failed execution, its node and attempt, with secrets in every error text.
	fx := &fakeadmin.Fixture{}
	id := &core.WorkflowExecutionIdentifier{Project: "flytesnacks", Domain: "development", Name: execName}
	taskErr := &core.ExecutionError{Code: "USER:RuntimeError", Kind: core.ExecutionError_USER,
		Message: "Traceback: boto3 used " + s["adm-task-key-id"] + " and failed"}
	e := fx.AddExecution(&admin.Execution{Id: id,
		Spec: &admin.ExecutionSpec{
			LaunchPlan:          &core.Identifier{ResourceType: core.ResourceType_LAUNCH_PLAN, Project: id.Project, Domain: id.Domain, Name: "wf.train", Version: "v2"},
			Metadata:            &admin.ExecutionMetadata{SystemMetadata: &admin.SystemMetadata{Namespace: ns}},
			RawOutputDataConfig: &admin.RawOutputDataConfig{OutputLocationPrefix: "s3://" + env["STACK_S3_BUCKET"] + "/data"},
		},
		Closure: &admin.ExecutionClosure{Phase: core.WorkflowExecution_FAILED, CreatedAt: timestamppb.New(t0),
			OutputResult: &admin.ExecutionClosure_Error{Error: &core.ExecutionError{Code: "USER:RuntimeError", Kind: core.ExecutionError_USER,
				Message: "workflow failed: upstream said token=" + s["adm-exec-token"]}}}})
	e.AddNode("", &admin.NodeExecution{Id: &core.NodeExecutionIdentifier{NodeId: "n0", ExecutionId: id},
		Closure: &admin.NodeExecutionClosure{Phase: core.NodeExecution_FAILED, CreatedAt: timestamppb.New(t0),
			OutputResult: &admin.NodeExecutionClosure_Error{Error: &core.ExecutionError{Code: "USER:RuntimeError", Kind: core.ExecutionError_USER,
				Message: "node failed: Authorization: Bearer " + s["adm-node-bearer"]}}},
		Metadata: &admin.NodeExecutionMetaData{SpecNodeId: "n0"}},
		&admin.TaskExecution{Id: &core.TaskExecutionIdentifier{NodeExecutionId: &core.NodeExecutionIdentifier{NodeId: "n0", ExecutionId: id},
			TaskId: &core.Identifier{ResourceType: core.ResourceType_TASK, Project: id.Project, Domain: id.Domain, Name: "wf.train", Version: "v2"}},
			Closure: &admin.TaskExecutionClosure{Phase: core.TaskExecution_FAILED, CreatedAt: timestamppb.New(t0),
				OutputResult: &admin.TaskExecutionClosure_Error{Error: taskErr},
				Reasons:      []*admin.Reason{{OccurredAt: timestamppb.New(t0), Message: "token refreshed: " + s["adm-reason-jwt"]}},
				Metadata:     &event.TaskExecutionMetadata{GeneratedName: pod}}})
	srv := fakeadmin.New(fx, fakeadmin.Options{Fault: func(method string, _ proto.Message) error {
		if method == "GetVersion" {
			return status.Error(codes.Unauthenticated, "token parse error "+s["adm-status-jwt"])
		}
		return nil
	}})
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	addr, stop, err := srv.Start(sctx)
	mustK(err)
	defer stop()

	// The flytectl config and the client secret file it names.
	dir := t.TempDir()
	secretPath := filepath.Join(dir, "client_secret")
	mustK(os.WriteFile(secretPath, []byte(clientSecretFile+"\n"), 0o600))
	cfgPath := filepath.Join(dir, "config.yaml")
	mustK(os.WriteFile(cfgPath, []byte(`admin:
  endpoint: dns:///`+addr+`
  insecure: true
  clientSecretLocation: `+secretPath+`
  command: ["get-token", "--secret=`+s["cfg-command-secret"]+`"]
  httpProxyURL: http://proxyuser:`+s["cfg-proxy-password"]+`@127.0.0.1:9
storage:
  type: s3
  connection:
    endpoint: `+env["STACK_S3_ENDPOINT"]+`
    auth-type: iam
    access-key: `+s["cfg-s3-access"]+`
    secret-key: `+s["cfg-s3-secret"]+`
  stow:
    kind: s3
    config:
      secret_key: `+s["cfg-stow-secret"]+`
console:
  endpoint: https://console.acme.io/?token=`+s["cfg-console-token"]+`
# a comment with an old token: `+s["cfg-console-token"]+`
`), 0o600))

	f, _, errOut := stackFactory(t, env)
	out := filepath.Join(dir, "case.tar.gz")
	code := Main(ctx, f, []string{"bundle", "-c", cfgPath, "-n", ns, "--logs", "--s3-endpoint", env["STACK_S3_ENDPOINT"],
		"--redact", `acme-internal-[0-9]+`, "--disable", "FD9004=see ticket " + s["cli-disable-reason"],
		"-f", out, id.Project + "/" + id.Domain + "/" + id.Name})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(out)
	mustK(err)

	members := readMembers(t, data)
	// What the test relies on was really collected: otherwise "no secret survived" proves nothing.
	for _, want := range []string{"kube/pods.json", "kube/events.json", "kube/nodes.json", "logs/" + pod + "/main.log",
		"logs/" + pod + "/main.previous.log", "logs/" + pod + "/init.log", "config/flytectl-config.json", "admin/calls.json", "snapshot.json"} {
		if _, ok := members[want]; !ok {
			t.Errorf("bundle lacks %s; it has %v", want, keys(members))
		}
	}
	for name, kept := range map[string][]string{
		"kube/pods.json":                     {"DB_PASSWORD", "vault.acme.io/api-token", execName, "FLYTE_INTERNAL_EXECUTION_ID", "ghcr.io/acme/trainer:v2"},
		"logs/" + pod + "/main.log":          {"Traceback: ValueError", "-----BEGIN RSA PRIVATE KEY-----", "ticket "},
		"logs/" + pod + "/main.previous.log": {"attempt before restart", "HF_TOKEN="},
		"kube/events.json":                   {"were rejected", "registry.acme.io"},
		"kube/nodes.json":                    {"cpu-pool"},
		"config/flytectl-config.json":        {secretPath, env["STACK_S3_ENDPOINT"]},
		"snapshot.json":                      {"workflow failed", "node failed", pod, "s3://" + env["STACK_S3_BUCKET"] + "/data"},
	} {
		for _, k := range kept {
			if !strings.Contains(string(members[name]), k) {
				t.Errorf("%s lost %q", name, k)
			}
		}
	}
	var man struct {
		Redactions int `json:"redactions"`
	}
	mustK(json.Unmarshal(members["manifest.json"], &man))
	if man.Redactions < len(s)-2 {
		t.Errorf("manifest counts %d redactions for %d secrets", man.Redactions, len(s))
	}
	for name, v := range s {
		for _, form := range []string{v, jsonEscaped(v)} {
			if where := findInArchive(t, data, form, 0); where != "" {
				t.Errorf("secret %s survived in %s", name, where)
			}
		}
	}
	if strings.Contains(string(members["redactions.json"]), clientSecretFile) {
		t.Error("redactions.json names a secret")
	}
}

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// stackFactory is production wiring against the dev stack's kube-apiserver and S3, with the
// environment env.
func stackFactory(t *testing.T, env map[string]string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	io, out, errOut := iostreams.Test()
	home := t.TempDir()
	f := NewFactory()
	f.IO = io
	f.Getenv = func(k string) string { return env[k] }
	f.HomeDir = func() (string, error) { return home, nil }
	f.Now = func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	f.Version = "test"
	f.KubeClient = func(o kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
		o.Kubeconfig = env["STACK_KUBECONFIG"]
		return kube.NewClient(o)
	}
	f.StorageClients = func(ctx context.Context, o s3.ClientOptions) (*s3.Clients, error) {
		o.Getenv = os.Getenv // the SDK's chain: the stack's keys from the environment
		return s3.NewClients(ctx, o)
	}
	return f, out, errOut
}

// readMembers reads a bundle's members by their path under its top directory.
func readMembers(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		_, name, _ := strings.Cut(h.Name, "/")
		out[name] = b
	}
}

// findInArchive says where s occurs in data: in which member (headers included) when data is
// a tar, in what it decompresses to when gzip, nested archives followed; else in the bytes as
// they are; "" when nowhere.
func findInArchive(t *testing.T, data []byte, s string, depth int) string {
	t.Helper()
	if depth <= 4 && len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			plain, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("gunzip: %v", err)
			}
			if w := findInArchive(t, plain, s, depth+1); w != "" {
				return w
			}
		}
	}
	if depth <= 4 && len(data) > 262 && string(data[257:262]) == "ustar" {
		tr := tar.NewReader(bytes.NewReader(data))
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if strings.Contains(h.Name, s) || strings.Contains(h.Linkname, s) {
				return "the name of " + h.Name
			}
			for k, v := range h.PAXRecords {
				if strings.Contains(k+v, s) {
					return "a header of " + h.Name
				}
			}
			b, _ := io.ReadAll(tr)
			if w := findInArchive(t, b, s, depth+1); w != "" {
				return h.Name + " (" + w + ")"
			}
		}
	}
	if bytes.Contains(data, []byte(s)) {
		return "the bytes"
	}
	return ""
}

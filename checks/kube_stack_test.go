package checks

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
)

// bodies records every response body the Kubernetes client read.
type bodies struct {
	mu  sync.Mutex
	all []byte
}

func (b *bodies) wrap(next http.RoundTripper) http.RoundTripper {
	return rtFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err != nil || resp.Body == nil {
			return resp, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b.mu.Lock()
		b.all = append(b.all, body...)
		b.mu.Unlock()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	})
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// stackKube builds the clients as flytedoctor does, from the stack's kubeconfig (or another
// one of the stack), recording the response bodies.
func stackKube(t *testing.T, kubeconfig string) (*Env, *bodies) {
	t.Helper()
	b := &bodies{}
	cs, meta, _, err := kube.NewClients(kube.ClientOptions{Kubeconfig: kubeconfig, Getenv: os.Getenv, QPS: -1, Wrap: b.wrap})
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Kube: cs, KubeMeta: meta}, b
}

func must[T any](t *testing.T, what string, f func() (T, error)) T {
	t.Helper()
	obj, err := f()
	if err != nil {
		t.Fatalf("create %s: %v", what, err)
	}
	return obj
}

// createNode creates a Ready node with exactly the given taints (admission adds not-ready
// taints on create; no controller would remove them here).
func createNode(t *testing.T, cs kubernetes.Interface, name string, labels map[string]string, taints []corev1.Taint, alloc corev1.ResourceList) {
	t.Helper()
	ctx := context.Background()
	n := must(t, "node", func() (*corev1.Node, error) {
		return cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	})
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	n.Spec.Taints = taints
	n = must(t, "node spec", func() (*corev1.Node, error) { return cs.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}) })
	n.Status.Allocatable, n.Status.Capacity = alloc, alloc
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	must(t, "node status", func() (any, error) { return cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}) })
}

func TestKubeChecksAgainstRealAPIServer(t *testing.T) {
	kubeconfig := stackEnv(t, "STACK_KUBECONFIG")[0]
	env, seen := stackKube(t, kubeconfig)
	cs := env.Kube
	ctx := context.Background()
	sfx := randSuffix()
	ns := "pf-" + sfx
	must(t, "namespace", func() (any, error) {
		return cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	})
	must(t, "limit range", func() (any, error) {
		return cs.CoreV1().LimitRanges(ns).Create(ctx, &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "limits"},
			Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
				Max: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("8Gi")},
				Min: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}}, metav1.CreateOptions{})
	})
	q := must(t, "quota", func() (*corev1.ResourceQuota, error) {
		return cs.CoreV1().ResourceQuotas(ns).Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "project-quota"},
			Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"requests.cpu": resource.MustParse("4"), "pods": resource.MustParse("10")}}}, metav1.CreateOptions{})
	})
	// No quota controller runs here: write the status it would.
	q.Status.Hard = q.Spec.Hard
	q.Status.Used = corev1.ResourceList{"requests.cpu": resource.MustParse("3"), "pods": resource.MustParse("3")}
	must(t, "quota status", func() (any, error) {
		return cs.CoreV1().ResourceQuotas(ns).UpdateStatus(ctx, q, metav1.UpdateOptions{})
	})

	// An extended resource only this test's nodes have, so other tests' nodes cannot fit.
	res := corev1.ResourceName("pf" + sfx + ".example.com/widget")
	amd := map[string]string{corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64"}
	base := func(n string) corev1.ResourceList {
		return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi"), res: resource.MustParse(n)}
	}
	createNode(t, cs, "pf-small-"+sfx, amd, nil, base("1"))
	createNode(t, cs, "pf-dedicated-"+sfx, amd, []corev1.Taint{{Key: "dedicated", Value: "pf", Effect: corev1.TaintEffectNoSchedule}}, base("4"))
	createNode(t, cs, "pf-arm-"+sfx, map[string]string{corev1.LabelOSStable: "linux", corev1.LabelArchStable: "arm64"}, nil, base("4"))
	createNode(t, cs, "pf-widget-"+sfx, amd, []corev1.Taint{{Key: string(res), Value: "present", Effect: corev1.TaintEffectNoSchedule}}, base("8"))

	role := "arn:aws:iam::123456789012:role/pf-runner"
	must(t, "sa", func() (any, error) {
		return cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "pf-runner",
			Annotations: map[string]string{RoleARNAnnotation: role}}}, metav1.CreateOptions{})
	})
	must(t, "sa", func() (any, error) {
		return cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "pf-bad",
			Annotations: map[string]string{RoleARNAnnotation: "not-an-arn"}}}, metav1.CreateOptions{})
	})
	value := "value-that-must-never-be-read-" + sfx
	must(t, "secret", func() (any, error) {
		return cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pf-present"},
			StringData: map[string]string{"token": value}}, metav1.CreateOptions{})
	})

	r1 := func(n string) map[string]string { return map[string]string{string(res): n} }
	with := func(m map[string]string, k, v string) map[string]string { m[k] = v; return m }
	spec := &evidence.PreflightSpec{Project: "flytesnacks", Domain: "development", Namespace: ns, Skipped: onlyLayers(Kube), Tasks: []evidence.TaskSpec{
		{Name: "small", Platform: "linux/amd64", Requests: with(r1("1"), "cpu", "1"), ServiceAccount: "pf-runner", IAMRole: role,
			Secrets: []evidence.SecretRef{{Group: "pf-present", Key: "token"}}},
		{Name: "waits", Platform: "linux/amd64", Requests: with(r1("9"), "cpu", "2"), ServiceAccount: "pf-runner", IAMRole: "arn:aws:iam::123456789012:role/other",
			Secrets: []evidence.SecretRef{{Group: "pf-absent", Key: "token"}}},
		{Name: "never", Platform: "linux/amd64", Requests: map[string]string{"cpu": "8"}, ServiceAccount: "pf-missing"},
		{Name: "gpu", Platform: "linux/amd64", Requests: r1("3"), ServiceAccount: "pf-bad"},
	}}
	seen.mu.Lock()
	seen.all = nil // the fixtures' own writes echoed the secret; only the checks' reads count
	seen.mu.Unlock()
	c := runChecks(t, env, spec)

	wantStatus(t, result(t, c, "FDP301", ns), evidence.CheckPass)
	wantStatus(t, result(t, c, "FDP302", ns, "small"), evidence.CheckPass, "within 1 LimitRange")
	wantStatus(t, result(t, c, "FDP302", ns, "waits"), evidence.CheckPass)
	wantStatus(t, result(t, c, "FDP302", ns, "never"), evidence.CheckFail, "cpu limit 8 is above the max 2 (LimitRange limits, Container)")

	wantStatus(t, result(t, c, "FDP303", ns, "small"), evidence.CheckPass)
	wantStatus(t, result(t, c, "FDP303", ns, "waits"), evidence.CheckWarn, "requests.cpu 2 is above the headroom 1 (hard 4, used 3")
	wantStatus(t, result(t, c, "FDP303", ns, "never"), evidence.CheckFail, "can never run", "requests.cpu 8 is above the hard limit 4")

	wantStatus(t, result(t, c, "FDP304", "nodes", "small"), evidence.CheckPass)
	wantStatus(t, result(t, c, "FDP304", "nodes", "waits"), evidence.CheckFail, "untolerated taint dedicated=pf:NoSchedule",
		"of architecture arm64", "Insufficient "+string(res))
	// Only the node tainted with the resource's own key has 3 of it: the taint counts as tolerated.
	wantStatus(t, result(t, c, "FDP304", "nodes", "gpu"), evidence.CheckPass, "1/", "pf-widget-"+sfx)

	wantStatus(t, result(t, c, "FDP305", "pf-runner"), evidence.CheckPass)
	wantStatus(t, result(t, c, "FDP305", "pf-missing"), evidence.CheckFail, "does not exist")
	wantStatus(t, result(t, c, "FDP307", "pf-runner", "small"), evidence.CheckPass, role)
	wantStatus(t, result(t, c, "FDP307", "pf-runner", "waits"), evidence.CheckFail, "maps to "+role)
	wantStatus(t, result(t, c, "FDP307", "pf-bad"), evidence.CheckFail, "not a role ARN")
	wantStatus(t, result(t, c, "FDP307", "pf-missing"), evidence.CheckSkip)

	wantStatus(t, result(t, c, "FDP308", "pf-present/token"), evidence.CheckPass, "only its metadata was read")
	wantStatus(t, result(t, c, "FDP308", "pf-absent/token"), evidence.CheckFail, "CreateContainerConfigError")
	seen.mu.Lock()
	defer seen.mu.Unlock()
	if len(seen.all) == 0 {
		t.Fatal("no response bodies recorded")
	}
	if bytes.Contains(seen.all, []byte(value)) || bytes.Contains(seen.all, []byte(base64.StdEncoding.EncodeToString([]byte(value)))) {
		t.Error("the secret's value reached the client: the secret must be read as metadata only")
	}

	// Saved and read back, the probes give the same verdicts offline.
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back evidence.Checks
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	again := Evaluate(Table(), &back.Spec, back.Probes)
	if got, want := dump(again), dump(c.Results); got != want {
		t.Errorf("offline verdicts differ:\n%s\nlive:\n%s", got, want)
	}
}

// The stack's limited user may read nothing: every Kubernetes check is skipped, none passes.
func TestKubeForbiddenIsSkippedNotPassed(t *testing.T) {
	limited := stackEnv(t, "STACK_KUBECONFIG_LIMITED")[0]
	env, _ := stackKube(t, limited)
	spec := &evidence.PreflightSpec{Project: "flytesnacks", Domain: "development", Namespace: "default", Skipped: onlyLayers(Kube),
		Tasks: []evidence.TaskSpec{{Name: "t", Requests: map[string]string{"cpu": "1"}, Secrets: []evidence.SecretRef{{Group: "s"}}}}}
	c := runChecks(t, env, spec)
	for _, r := range c.Results {
		if r.Status != evidence.CheckSkip || !strings.Contains(r.Summary, "forbidden") && !strings.Contains(r.Summary, "skipped") {
			t.Errorf("%s: %s %s, want skip", r.ID, r.Status, r.Summary)
		}
	}
	if r := result(t, c, "FDP301", "default"); !strings.Contains(r.Summary, "forbidden") {
		t.Errorf("FDP301: %s", r.Summary)
	}
}

func TestKubeMissingNamespace(t *testing.T) {
	env, _ := stackKube(t, stackEnv(t, "STACK_KUBECONFIG")[0])
	ns := "pf-nope-" + randSuffix()
	spec := &evidence.PreflightSpec{Project: "flytesnacks", Domain: "development", Namespace: ns, Skipped: onlyLayers(Kube),
		Tasks: []evidence.TaskSpec{{Name: "t", Requests: map[string]string{"cpu": "1"}}}}
	c := runChecks(t, env, spec)
	wantStatus(t, result(t, c, "FDP301", ns), evidence.CheckFail, "does not exist")
	for _, id := range []string{"FDP302", "FDP303", "FDP305", "FDP307"} {
		for _, r := range c.Results {
			if r.ID == id {
				wantStatus(t, r, evidence.CheckSkip, "does not exist (FDP301)")
			}
		}
	}
}

// The kubelet pulls with the service account's pull secrets, and so does the probe: a private
// image passes for the account that has one and fails for the one that has none.
func TestPullSecretsAgainstRealRegistryAndAPIServer(t *testing.T) {
	ti := pushImages(t)
	env, _ := stackKube(t, stackEnv(t, "STACK_KUBECONFIG")[0])
	vals := stackEnv(t, "STACK_REGISTRY_AUTH", "STACK_REGISTRY_USER", "STACK_REGISTRY_PASSWORD")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	env.Transport = guarded(t)
	cs := env.Kube
	ctx := context.Background()
	ns := "pf-pull-" + randSuffix()
	must(t, "namespace", func() (any, error) {
		return cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	})
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{vals[0]: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(vals[1] + ":" + vals[2]))}}})
	must(t, "pull secret", func() (any, error) {
		return cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred"},
			Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}}, metav1.CreateOptions{})
	})
	must(t, "sa", func() (any, error) {
		return cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "puller"},
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}, {Name: "ghost"}}}, metav1.CreateOptions{})
	})
	must(t, "sa", func() (any, error) {
		return cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "plain"}}, metav1.CreateOptions{})
	})

	spec := &evidence.PreflightSpec{Project: "flytesnacks", Domain: "development", Namespace: ns, Skipped: onlyLayers(Kube, Registry), Tasks: []evidence.TaskSpec{
		{Name: "with-secret", Images: []string{ti.private, ti.app}, ServiceAccount: "puller"},
		{Name: "without", Images: []string{ti.private}, ServiceAccount: "plain"},
	}}
	c := runChecks(t, env, spec)
	wantStatus(t, result(t, c, "FDP203", ti.private), evidence.CheckPass, "auth: pull-secret:regcred")
	wantStatus(t, result(t, c, "FDP306", ti.private+" as puller"), evidence.CheckPass, "pull secret regcred of puller covers "+vals[0], "ghost do not exist")
	wantStatus(t, result(t, c, "FDP306", ti.private+" as plain"), evidence.CheckFail, "another service account", "no pull secret for "+vals[0])
	wantStatus(t, result(t, c, "FDP306", ti.app+" as puller"), evidence.CheckPass, "anonymously")
	rec := NewView(&c.Spec, c.Probes).Probe(probePullSecrets, "puller")
	if rec == nil || rec.Kube == nil || len(rec.Kube.PullSecrets) != 2 || rec.Kube.PullSecrets[0].Registries[0] != vals[0] || rec.Kube.PullSecrets[1].Found {
		t.Errorf("pull secrets record: %+v", rec)
	}
	// Where no service account has a pull secret, only this machine's docker config pulls the
	// private image: the kubelet would not have it.
	t.Setenv("DOCKER_CONFIG", stackEnv(t, "STACK_REGISTRY_DOCKER_CONFIG")[0])
	c2 := runChecks(t, env, &evidence.PreflightSpec{Project: "flytesnacks", Domain: "development", Namespace: ns, Skipped: onlyLayers(Kube, Registry),
		Tasks: []evidence.TaskSpec{{Name: "without", Images: []string{ti.private}, ServiceAccount: "plain"}}})
	wantStatus(t, result(t, c2, "FDP203", ti.private), evidence.CheckPass, "auth: docker-config")
	wantStatus(t, result(t, c2, "FDP306", ti.private+" as plain"), evidence.CheckFail, "only this machine's docker config can pull it")

	b, _ := json.Marshal(c)
	if bytes.Contains(b, []byte(vals[2])) || bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString([]byte(vals[1]+":"+vals[2])))) {
		t.Error("the snapshot holds the pull secret's password")
	}
}

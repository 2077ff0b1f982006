package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/flytedoctor/flytedoctor/bundle"
	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/cmd/internal/demo/s3stub"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// seedScenario puts a demo scenario's pods and events into a fresh namespace of the real
// kube-apiserver and its objects into the real S3 server; the fake Admin serves its fixture
// with that namespace. It returns the Admin address and the namespace.
func seedScenario(t *testing.T, env map[string]string, name string) (demo.Scenario, string, string) {
	t.Helper()
	scenarios, err := demo.Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(scenarios, func(s demo.Scenario) bool { return s.Name == name })
	s := scenarios[i]
	cs := stackClient(t, env)
	ctx := context.Background()
	ns := "fd-bl-" + suffix()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	objs, err := s.KubeObjects()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.Pod:
			o.Namespace, o.ResourceVersion, o.UID = ns, "", ""
			st := o.Status
			o.Status = corev1.PodStatus{}
			got, err := cs.CoreV1().Pods(ns).Create(ctx, o, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got.Status = st
			if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		case *corev1.Event:
			o.Namespace, o.ResourceVersion, o.UID, o.InvolvedObject.Namespace = ns, "", "", ns
			if _, err := cs.CoreV1().Events(ns).Create(ctx, o, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		case *corev1.ServiceAccount:
			o.Namespace, o.ResourceVersion, o.UID = ns, "", ""
			if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, o, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	spec, err := s3stub.ParseSpec(s.Storage)
	if err != nil {
		t.Fatal(err)
	}
	seedBucketsT(t, env, &spec)
	fx, err := fakeadmin.ParseFixture(s.Fixture)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, t := range fx.Tasks {
		have[t.GetId().GetName()+"@"+t.GetId().GetVersion()] = true
	}
	for _, e := range fx.Executions {
		e.Execution.Spec.Metadata.SystemMetadata.Namespace = ns
		// Admin knows the attempts' task definitions.
		for _, n := range e.Nodes {
			for _, te := range n.Tasks {
				id := te.GetId().GetTaskId()
				if k := id.GetName() + "@" + id.GetVersion(); id != nil && !have[k] {
					have[k] = true
					fx.Tasks = append(fx.Tasks, &admin.Task{Id: id, Closure: &admin.TaskClosure{CompiledTask: &core.CompiledTask{
						Template: &core.TaskTemplate{Id: id, Type: "python-task", Target: &core.TaskTemplate_Container{Container: &core.Container{Image: "ghcr.io/acme/workflows:3f9c2e1"}}}}}})
				}
			}
		}
	}
	srv := fakeadmin.New(fx, fakeadmin.Options{})
	sctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	addr, stop, err := srv.Start(sctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return s, addr, ns
}

// A bundle of a live run holds what the collectors read, in formats other tools read: Admin
// responses that decode as the messages Admin returns for the requests calls.json names,
// Kubernetes v1 Lists of what the namespace holds, the storage probes the real S3 answered.
func TestBundleLive(t *testing.T) {
	env := bundleStack(t)
	s, addr, ns := seedScenario(t, env, "image-pull")
	f, _, errOut := stackFactory(t, env)
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	code := Main(context.Background(), f, []string{"bundle", "--admin-endpoint", addr, "--insecure", "-n", ns,
		"--s3-endpoint", env["STACK_S3_ENDPOINT"], "-f", out, s.Root.String()})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "wrote "+out) {
		t.Errorf("stderr: %s", errOut)
	}
	data, _ := os.ReadFile(out)
	m := readMembers(t, data)

	var calls []bundle.CallEntry
	if err := json.Unmarshal(m[bundle.CallsFile], &calls); err != nil {
		t.Fatal(err)
	}
	methods := map[string]int{}
	for _, c := range calls {
		methods[c.Method]++
		if c.Error != nil {
			t.Errorf("%s failed: %+v", c.Method, c.Error)
			continue
		}
		resp := responseFor(c.Method)
		if err := protojson.Unmarshal(m[c.File], resp); err != nil {
			t.Errorf("%s: %s does not decode as %T: %v", c.Method, c.File, resp, err)
		}
		req := requestFor(c.Method)
		if err := protojson.Unmarshal(c.Request, req); err != nil {
			t.Errorf("%s request: %v", c.Method, err)
		}
		if want := bundle.AdminPath(c.Method, req); want != c.File {
			t.Errorf("%s response at %s, want %s", c.Method, c.File, want)
		}
	}
	for _, want := range []string{"GetExecution", "GetExecutionData", "ListNodeExecutions", "GetNodeExecution", "ListTaskExecutions", "GetVersion"} {
		if methods[want] == 0 {
			t.Errorf("no %s in calls.json: %v", want, methods)
		}
	}
	// The execution file is what Admin answers GetExecution with, field for field.
	var ex admin.Execution
	if err := protojson.Unmarshal(m["admin/api/v1/executions/"+s.Root.Project+"/"+s.Root.Domain+"/"+s.Root.Name+".json"], &ex); err != nil {
		t.Fatal(err)
	}
	if ex.GetClosure().GetError().GetCode() != "RetriesExhausted|ContainersNotReady|ImagePullBackOff" || ex.GetSpec().GetMetadata().GetSystemMetadata().GetNamespace() != ns {
		t.Errorf("execution file: %v", ex.GetClosure().GetError())
	}

	cs := stackClient(t, env)
	pods, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: kube.LabelExecutionID + "=" + s.Root.Name})
	if err != nil {
		t.Fatal(err)
	}
	list := decodeList(t, m[bundle.PodsFile])
	if len(list.Items) != len(pods.Items) || len(list.Items) == 0 {
		t.Errorf("kube/pods.json has %d pods, the namespace %d", len(list.Items), len(pods.Items))
	}
	for _, name := range []string{bundle.EventsFile, bundle.ServiceAccountsFile} {
		if l := decodeList(t, m[name]); len(l.Items) == 0 {
			t.Errorf("%s is empty", name)
		}
	}

	var st evidence.Storage
	if err := json.Unmarshal(m[bundle.ProbesFile], &st); err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, p := range st.Probes {
		if p.Outcome == evidence.ProbeOK {
			ok++
		}
	}
	if ok == 0 {
		t.Errorf("no probe of the real S3 succeeded: %+v", st.Probes)
	}
	var man bundle.Manifest
	if err := json.Unmarshal(m[bundle.ManifestFile], &man); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range man.Collectors {
		names = append(names, c.Name+":"+string(c.Status))
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "flyteadmin:ok kube:ok s3:ok") {
		t.Errorf("collectors %s", got)
	}
}

// The bundle is written when collectors fail (Kubernetes forbidden, storage denied), with
// their errors in the manifest; and when Admin cannot read the execution at all, with the
// error, the run failing.
func TestBundleWhenCollectorsFail(t *testing.T) {
	env := bundleStack(t)
	for _, k := range []string{"STACK_KUBECONFIG_LIMITED", "STACK_S3_DENIED_ACCESS_KEY_ID", "STACK_S3_DENIED_SECRET_ACCESS_KEY"} {
		if env[k] = os.Getenv(k); env[k] == "" {
			t.Skipf("%s is unset", k)
		}
	}
	s, addr, ns := seedScenario(t, env, "image-pull")
	f, _, errOut := stackFactory(t, env)
	f.KubeClient = func(o kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
		o.Kubeconfig = env["STACK_KUBECONFIG_LIMITED"]
		return kube.NewClient(o)
	}
	f.StorageClients = func(ctx context.Context, o s3.ClientOptions) (*s3.Clients, error) {
		o.Connection = flyteconfig.Connection{AuthType: "accesskey", AccessKey: env["STACK_S3_DENIED_ACCESS_KEY_ID"],
			SecretKey: env["STACK_S3_DENIED_SECRET_ACCESS_KEY"], Endpoint: env["STACK_S3_ENDPOINT"]}
		return s3.NewClients(ctx, o)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "b.tar.gz")
	args := []string{"bundle", "--admin-endpoint", addr, "--insecure", "-n", ns, "--s3-endpoint", env["STACK_S3_ENDPOINT"], "-f", out}
	if code := Main(context.Background(), f, append(args, s.Root.String())); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, _ := os.ReadFile(out)
	var man bundle.Manifest
	if err := json.Unmarshal(readMembers(t, data)[bundle.ManifestFile], &man); err != nil {
		t.Fatal(err)
	}
	byName := map[string]bundle.CollectorRun{}
	for _, c := range man.Collectors {
		byName[c.Name] = c
	}
	// The stack is shared: a test elsewhere may grant the limited user for a while.
	limited, _, err := kube.NewClient(kube.ClientOptions{Kubeconfig: env["STACK_KUBECONFIG_LIMITED"], Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, lerr := limited.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{Limit: 1})
	if k := byName["kube"]; apierrors.IsForbidden(lerr) && (k.Status == evidence.StatusOK || len(k.Errors) == 0 || !strings.Contains(strings.Join(k.Errors, " "), "Forbidden")) {
		t.Errorf("kube: %+v", k)
	}
	if st := byName["s3"]; st.Status == evidence.StatusOK && !strings.Contains(string(readMembers(t, data)[bundle.ProbesFile]), `"denied"`) {
		t.Errorf("s3: %+v", st)
	}

	// An execution Admin does not have: the bundle says so, and the run fails.
	missing := filepath.Join(dir, "missing.tar.gz")
	errOut.Reset()
	code := Main(context.Background(), f, []string{"bundle", "--admin-endpoint", addr, "--insecure", "-f", missing, "flytesnacks/development/nosuchexec"})
	if code != ExitFailure || !strings.Contains(errOut.String(), "not found") || !strings.Contains(errOut.String(), "holds what was collected") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err = os.ReadFile(missing)
	if err != nil {
		t.Fatal(err)
	}
	mm := readMembers(t, data)
	if err := json.Unmarshal(mm[bundle.ManifestFile], &man); err != nil || !strings.Contains(man.Error, "not found") {
		t.Errorf("manifest error %q (%v)", man.Error, err)
	}
	if _, ok := mm[bundle.SnapshotFile]; ok || !strings.Contains(string(mm[bundle.CallsFile]), "NotFound") {
		t.Errorf("members %v; calls %s", keys(mm), mm[bundle.CallsFile])
	}
	// analyze says why there is nothing to judge.
	af, _, aerr := testFactory(t, nil)
	if code := Main(context.Background(), af, []string{"analyze", missing}); code != ExitFailure || !strings.Contains(aerr.String(), "holds no snapshot: when it was written") {
		t.Errorf("analyze: exit %d: %s", code, aerr)
	}
}

func decodeList(t *testing.T, data []byte) *corev1.List {
	t.Helper()
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("not a Kubernetes object: %v", err)
	}
	l, ok := obj.(*corev1.List)
	if !ok {
		t.Fatalf("%T, want a v1 List", obj)
	}
	for _, it := range l.Items {
		if _, _, err := scheme.Codecs.UniversalDeserializer().Decode(it.Raw, nil, nil); err != nil {
			t.Errorf("item does not decode: %v", err)
		}
	}
	return l
}

func responseFor(method string) proto.Message {
	switch method {
	case "GetExecution":
		return &admin.Execution{}
	case "GetExecutionData":
		return &admin.WorkflowExecutionGetDataResponse{}
	case "ListNodeExecutions":
		return &admin.NodeExecutionList{}
	case "GetNodeExecution":
		return &admin.NodeExecution{}
	case "ListTaskExecutions":
		return &admin.TaskExecutionList{}
	case "GetVersion":
		return &admin.GetVersionResponse{}
	case "GetTask":
		return &admin.Task{}
	}
	return &admin.Execution{}
}

func requestFor(method string) proto.Message {
	switch method {
	case "GetExecution":
		return &admin.WorkflowExecutionGetRequest{}
	case "GetExecutionData":
		return &admin.WorkflowExecutionGetDataRequest{}
	case "ListNodeExecutions":
		return &admin.NodeExecutionListRequest{}
	case "GetNodeExecution":
		return &admin.NodeExecutionGetRequest{}
	case "ListTaskExecutions":
		return &admin.TaskExecutionListRequest{}
	case "GetVersion":
		return &admin.GetVersionRequest{}
	case "GetTask":
		return &admin.ObjectGetRequest{}
	}
	return &admin.WorkflowExecutionGetRequest{}
}

// seedBucketsT creates a scenario's buckets and objects in the dev stack's S3 server.
func seedBucketsT(t *testing.T, env map[string]string, spec *s3stub.Spec) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	c := awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(env["STACK_S3_ENDPOINT"]), true
	})
	for _, bk := range spec.Buckets {
		if _, err := c.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(bk.Name)}); err != nil {
			if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bk.Name)}); err != nil {
				t.Fatalf("create bucket %s: %v", bk.Name, err)
			}
		}
		for _, o := range bk.Objects {
			body := bytes.Repeat([]byte{'x'}, int(min(o.Size, 1<<16)))
			if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bk.Name), Key: aws.String(o.Key), Body: bytes.NewReader(body)}); err != nil {
				t.Fatalf("put s3://%s/%s: %v", bk.Name, o.Key, err)
			}
		}
	}
}

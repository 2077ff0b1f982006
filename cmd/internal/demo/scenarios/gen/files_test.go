package gen_test

//lint:file-ignore SA1019 flyteadmin v1.16 still fills the deprecated URI fields (inputs/outputs UrlBlob, output_uri, auth_role, abort_cause) and older servers fill only them

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo/s3stub"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// attempt is what Admin says about the pod of one task attempt or array subtask.
type attempt struct {
	exec, specID, task, namespace string
	created                       time.Time
	inputs                        string // "" for array subtasks
	message                       string // error message and reasons, for matching pod status text
	reason                        string // last reason
}

// attempts indexes a fixture's pods by name.
func attempts(f *fakeadmin.Fixture) map[string]attempt {
	out := map[string]attempt{}
	for _, ef := range f.Executions {
		ns := ef.Execution.GetSpec().GetMetadata().GetSystemMetadata().GetNamespace()
		for _, nf := range ef.Nodes {
			for _, te := range nf.Tasks {
				c := te.GetClosure()
				a := attempt{exec: ef.Execution.GetId().GetName(), specID: nf.NodeExecution.GetMetadata().GetSpecNodeId(),
					task: te.GetId().GetTaskId().GetName(), namespace: ns, created: c.GetCreatedAt().AsTime(),
					inputs: te.GetInputUri(), message: c.GetError().GetMessage(), reason: c.GetReason()}
				for _, r := range c.GetReasons() {
					a.message += "\n" + r.GetMessage()
				}
				if res := c.GetMetadata().GetExternalResources(); len(res) > 0 {
					for _, r := range res {
						sub := a
						sub.specID, sub.inputs = fmt.Sprintf("n%d", r.GetIndex()), ""
						out[r.GetExternalId()] = sub
					}
					continue
				}
				out[c.GetMetadata().GetGeneratedName()] = a
			}
		}
	}
	return out
}

func sanitize(s string) string {
	return strings.Trim(regexp.MustCompile("[^-a-z0-9]+").ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// loadKube decodes <name>.kube.json strictly: a v1 List whose items are typed core/v1 objects.
func loadKube(t *testing.T, name string) []runtime.Object {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", name+".kube.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	obj, gvk, err := dec.Decode(b, nil, nil)
	if err != nil {
		t.Fatalf("%s.kube.json: %v", name, err)
	}
	list, ok := obj.(*corev1.List)
	if !ok || gvk.Kind != "List" || gvk.Version != "v1" {
		t.Fatalf("%s.kube.json is %s, want a v1 List", name, gvk)
	}
	var out []runtime.Object
	for i, item := range list.Items {
		o, gvk, err := dec.Decode(item.Raw, nil, nil)
		if err != nil {
			t.Fatalf("%s.kube.json item %d: %v", name, i, err)
		}
		switch o.(type) {
		case *corev1.Pod, *corev1.Event, *corev1.Node, *corev1.ServiceAccount, *corev1.ResourceQuota, *corev1.LimitRange:
		default:
			t.Fatalf("%s.kube.json item %d: unexpected %s", name, i, gvk)
		}
		out = append(out, o)
	}
	return out
}

func scenarioNames() []string {
	var out []string
	for file := range expectations() {
		out = append(out, strings.TrimSuffix(file, ".json"))
	}
	slices.Sort(out)
	return out
}

type podWant struct{ name, phase, state string }

// TestKubeObjects checks each kube file against its Admin fixture: pod names, labels,
// namespace, creation times and container args; status texts that Admin quotes; events.
func TestKubeObjects(t *testing.T) {
	want := map[string][]podWant{
		"image-pull":         {{"a4t8tqkzr9xw2bnl5mfd-n1-0", "Pending", "ImagePullBackOff"}},
		"subworkflow":        {{"f8kq2vzt6mwx9rjd4hpb-n1-0-n1-1", "Failed", "OOMKilled"}},
		"healthy":            nil,
		"child-launchplan":   {{"fiht24olxg2oiy-n0-0", "Pending", "CreateContainerConfigError"}},
		"storage-permission": {{"p7xk2mv9tq4wz8rn3bdh-n0-2", "Succeeded", "Completed"}},
		"unschedulable":      {{"m5tq8xw2kz7rb4nd9vhc-n1-0", "Pending", ""}},
		"dynamic-fanout": {
			{"d9rk4mt2xw7bq5zn8vpc-n0-0-dn137-0", "Succeeded", "Completed"},
			{"d9rk4mt2xw7bq5zn8vpc-n0-0-dn512-2", "Succeeded", "Completed"},
			{"d9rk4mt2xw7bq5zn8vpc-n0-0-dn871-2", "Failed", "Error"},
		},
		"fanout-denied": {
			{"h3wq8zt5mk2vr9xn4bcd-n0-0-dn17-2", "Succeeded", "Completed"},
			{"h3wq8zt5mk2vr9xn4bcd-n0-0-dn512-2", "Succeeded", "Completed"},
			{"h3wq8zt5mk2vr9xn4bcd-n0-0-dn873-2", "Succeeded", "Completed"},
		},
		"image-change-before": {
			{"q4mz7tw2xk9rb3nv8dpc-n0-0", "Succeeded", "Completed"},
			{"q4mz7tw2xk9rb3nv8dpc-n1-0", "Succeeded", "Completed"},
		},
		"image-change": {
			{"q4mz7tw2xk9rb3nv8dpc-n0-0", "Succeeded", "Completed"},
			{"q4mz7tw2xk9rb3nv8dpc-n1-0", "Succeeded", "Completed"},
			{"w8tk3qz5mx2vb9rn7hdc-n1-0", "Failed", "Error"},
			{"w8tk3qz5mx2vb9rn7hdc-n1-1", "Failed", "Error"},
			{"w8tk3qz5mx2vb9rn7hdc-n1-2", "Failed", "Error"},
		},
		"array-node": {
			{"k6wq9tz3mr8xb2nd7vfh-n1-0-n3-0", "Succeeded", "Completed"},
			{"k6wq9tz3mr8xb2nd7vfh-n1-0-n4-0", "Succeeded", "Completed"},
			{"k6wq9tz3mr8xb2nd7vfh-n1-0-n8-0", "Failed", "OOMKilled"},
		},
	}
	for _, name := range scenarioNames() {
		t.Run(name, func(t *testing.T) {
			fx := load(t, name+".json")
			byPod := attempts(fx)
			objs := loadKube(t, name)
			pods := map[string]*corev1.Pod{}
			nodes := map[string]*corev1.Node{}
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[fmt.Sprintf("%T", o)]++
				switch o := o.(type) {
				case *corev1.Pod:
					pods[o.Name] = o
				case *corev1.Node:
					nodes[o.Name] = o
				case *corev1.ServiceAccount, *corev1.ResourceQuota, *corev1.LimitRange:
					if ns := o.(interface{ GetNamespace() string }).GetNamespace(); ns != "flytesnacks-development" {
						t.Errorf("%T in namespace %q", o, ns)
					}
				}
			}
			if kinds["*v1.Node"] != 3 || kinds["*v1.ResourceQuota"] != 1 || kinds["*v1.LimitRange"] != 1 || kinds["*v1.ServiceAccount"] != 1 {
				t.Errorf("cluster objects: %v", kinds)
			}

			var own []string
			foreign := map[string]bool{}
			for _, p := range pods {
				a, ok := byPod[p.Name]
				if !ok {
					if fx.Execution(p.Labels["execution-id"]) != nil {
						t.Errorf("pod %s of a fixture execution matches no attempt", p.Name)
					}
					foreign[p.Name] = true
					continue
				}
				own = append(own, p.Name)
				checkPod(t, p, a)
				if p.Spec.NodeName != "" && nodes[p.Spec.NodeName] == nil && !strings.Contains(name, "fanout") {
					t.Errorf("pod %s on unknown node %s", p.Name, p.Spec.NodeName)
				}
			}
			if len(foreign) == 0 {
				t.Error("no pod of another execution: the collector's filtering would not show")
			}
			var got []podWant
			for _, n := range own {
				p := pods[n]
				state := ""
				if s := p.Status.ContainerStatuses; len(s) > 0 && s[0].State.Waiting != nil {
					state = s[0].State.Waiting.Reason
				} else if len(s) > 0 && s[0].State.Terminated != nil {
					state = s[0].State.Terminated.Reason
				}
				got = append(got, podWant{n, string(p.Status.Phase), state})
			}
			slices.SortFunc(got, func(a, b podWant) int { return strings.Compare(a.name, b.name) })
			if !slices.Equal(got, want[name]) {
				t.Errorf("pods %v, want %v", got, want[name])
			}
			checkEvents(t, objs, pods, byPod, foreign)
		})
	}
}

// checkPod compares a pod with the attempt Admin recorded for it.
func checkPod(t *testing.T, p *corev1.Pod, a attempt) {
	t.Helper()
	l := p.Labels
	if l["execution-id"] != a.exec || l["node-id"] != a.specID || l["task-name"] != sanitize(a.task) ||
		l["project"] != "flytesnacks" || l["domain"] != "development" || l["interruptible"] == "" || l["workflow-name"] == "" {
		t.Errorf("pod %s labels %v, attempt %+v", p.Name, l, a)
	}
	if p.Namespace != a.namespace || len(p.OwnerReferences) != 1 || p.OwnerReferences[0].Name != a.exec {
		t.Errorf("pod %s in %s owned by %v, want %s and %s", p.Name, p.Namespace, p.OwnerReferences, a.namespace, a.exec)
	}
	if d := p.CreationTimestamp.Sub(a.created); d > 0 || d < -time.Second {
		t.Errorf("pod %s created %s, attempt %s", p.Name, p.CreationTimestamp, a.created)
	}
	ctr := p.Spec.Containers[0]
	if ctr.Name != p.Name || (a.inputs != "" && !slices.Contains(ctr.Args, a.inputs)) {
		t.Errorf("pod %s container %s args %v, want inputs %s", p.Name, ctr.Name, ctr.Args, a.inputs)
	}
	// Admin's texts quote the pod's status.
	if p.Status.Message != "" && !strings.Contains(a.message, p.Status.Message) {
		t.Errorf("pod %s message %q not in admin's %q", p.Name, p.Status.Message, a.message)
	}
	for _, s := range p.Status.ContainerStatuses {
		switch {
		case s.State.Waiting != nil && !strings.Contains(a.message, s.State.Waiting.Message):
			t.Errorf("pod %s waiting %q not in admin's %q", p.Name, s.State.Waiting.Message, a.message)
		case s.State.Terminated != nil && s.State.Terminated.ExitCode != 0:
			line := fmt.Sprintf("[%s] terminated with exit code (%d). Reason [%s]. Message: \n%s.", s.Name,
				s.State.Terminated.ExitCode, s.State.Terminated.Reason, s.State.Terminated.Message)
			if !strings.Contains(a.message, line) {
				t.Errorf("pod %s: admin's message lacks %q", p.Name, line)
			}
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && a.reason != c.Reason+":"+c.Message {
			t.Errorf("pod %s unschedulable, admin reason %q", p.Name, a.reason)
		}
	}
}

// checkEvents: pod events name a listed pod (same uid) or a deleted attempt's pod; node events
// live in "default"; some event is about another execution's pod.
func checkEvents(t *testing.T, objs []runtime.Object, pods map[string]*corev1.Pod, byPod map[string]attempt, foreign map[string]bool) {
	t.Helper()
	foreignEvents := 0
	for _, o := range objs {
		e, ok := o.(*corev1.Event)
		if !ok {
			continue
		}
		io := e.InvolvedObject
		first := e.FirstTimestamp.Time
		if first.IsZero() {
			first = e.EventTime.Time
		}
		switch io.Kind {
		case "Pod":
			p := pods[io.Name]
			_, isAttempt := byPod[io.Name]
			switch {
			case p != nil && (p.UID != io.UID || first.Before(p.CreationTimestamp.Time)):
				t.Errorf("event %s: uid %s or time %s does not fit pod", e.Name, io.UID, first)
			case p == nil && !isAttempt:
				t.Errorf("event %s about unknown pod %s", e.Name, io.Name)
			}
			if e.Namespace != io.Namespace {
				t.Errorf("event %s in %s about a pod in %s", e.Name, e.Namespace, io.Namespace)
			}
			if foreign[io.Name] {
				foreignEvents++
			}
		case "Node":
			if e.Namespace != "default" {
				t.Errorf("node event %s in %s", e.Name, e.Namespace)
			}
		default:
			t.Errorf("event %s about a %s", e.Name, io.Kind)
		}
		if e.Source.Component == "" && (e.ReportingController != "default-scheduler" || e.EventTime.IsZero()) {
			t.Errorf("event %s has neither a source nor the scheduler's events.k8s.io shape", e.Name)
		}
	}
	if foreignEvents == 0 {
		t.Error("no event about another execution's pod")
	}
}

func TestUnschedulableCluster(t *testing.T) {
	var gpuTainted, failed int
	for _, o := range loadKube(t, "unschedulable") {
		switch o := o.(type) {
		case *corev1.Node:
			if len(o.Spec.Taints) == 1 && o.Spec.Taints[0].Key == "nvidia.com/gpu" && o.Spec.Taints[0].Effect == corev1.TaintEffectNoSchedule {
				gpuTainted++
			}
		case *corev1.Event:
			if o.Reason == "FailedScheduling" && o.Series != nil && o.Series.Count == 23 && o.ReportingController == "default-scheduler" {
				failed++
			}
		case *corev1.ResourceQuota:
			if o.Name != "project-quota" || o.Status.Used.Name("requests.nvidia.com/gpu", "").String() != "2" {
				t.Errorf("quota %s used %v", o.Name, o.Status.Used)
			}
		}
	}
	if gpuTainted != 1 || failed != 1 {
		t.Errorf("tainted GPU nodes %d, FailedScheduling x23 events %d", gpuTainted, failed)
	}
}

// uris lists the s3:// URIs an Admin fixture names.
func uris(f *fakeadmin.Fixture) []string {
	var out []string
	add := func(u string) {
		if strings.HasPrefix(u, "s3://") {
			out = append(out, u)
		}
	}
	for _, ef := range f.Executions {
		add(ef.Data.GetInputs().GetUrl())
		add(ef.Execution.GetClosure().GetOutputs().GetUri())
		for _, nf := range ef.Nodes {
			n := nf.NodeExecution
			add(n.GetInputUri())
			add(n.GetClosure().GetOutputUri())
			add(n.GetClosure().GetDynamicJobSpecUri())
			add(n.GetClosure().GetError().GetErrorUri())
			for _, te := range nf.Tasks {
				add(te.GetInputUri())
				add(te.GetClosure().GetOutputUri())
				add(te.GetClosure().GetError().GetErrorUri())
			}
		}
	}
	return out
}

// TestStorage serves each storage spec and checks every path Admin names: it exists, and it
// is readable unless a task failed to download it, which must then be 403 on HEAD.
func TestStorage(t *testing.T) {
	downloadFailed := regexp.MustCompile(`Failed to get data from (s3://\S+) to`)
	denied := map[string]int{}
	for _, name := range scenarioNames() {
		b, err := os.ReadFile(filepath.Join("..", name+".storage.json"))
		if err != nil {
			t.Fatal(err)
		}
		spec, err := s3stub.ParseSpec(b)
		if err != nil {
			t.Fatalf("%s.storage.json: %v", name, err)
		}
		endpoint, stop, err := s3stub.New(spec).Start(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		head := func(method, uri string) *http.Response {
			req, _ := http.NewRequestWithContext(t.Context(), method, endpoint+"/"+strings.TrimPrefix(uri, "s3://"), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		status := func(method, uri string) int { return head(method, uri).StatusCode }
		fx := load(t, name+".json")
		unreadable := map[string]bool{}
		for _, ef := range fx.Executions {
			for _, nf := range ef.Nodes {
				for _, te := range nf.Tasks {
					for _, m := range downloadFailed.FindAllStringSubmatch(te.GetClosure().GetError().GetMessage(), -1) {
						unreadable[m[1]] = true
					}
				}
			}
		}
		for _, u := range uris(fx) {
			want := http.StatusOK
			// storage-permission denies reads under propeller's whole metadata prefix.
			if unreadable[u] || (name == "storage-permission" && strings.Contains(u, "/metadata/propeller/")) {
				want = http.StatusForbidden
				denied[name]++
			}
			if name == "fanout-denied" {
				// Only the task role cannot read these: flytedoctor's HEAD (which needs no
				// kms:Decrypt) works, and shows a KMS key that is not the bucket's.
				key := head(http.MethodHead, u).Header.Get("x-amz-server-side-encryption-aws-kms-key-id")
				wantKey := map[bool]string{true: "arn:aws:kms:us-east-1:123456789012:key/8b2e47d0-1a9c-4f3e-b5d7-6c0e9f2a4b18",
					false: "arn:aws:kms:us-east-1:123456789012:key/3f1c9a52-7d4e-4b8a-9c61-2e5f0a8d7b34"}[unreadable[u]]
				if strings.HasPrefix(u, "s3://acme-flyte-metadata/") && key != wantKey {
					t.Errorf("%s: %s has KMS key %q, want %q", name, u, key, wantKey)
				}
				want = http.StatusOK
			}
			if got := status(http.MethodHead, u); got != want {
				t.Errorf("%s: HEAD %s = %d, want %d", name, u, got, want)
			}
		}
		for u := range unreadable {
			if !slices.Contains(uris(fx), u) {
				t.Errorf("%s: error quotes %s, which admin does not name", name, u)
			}
		}
		// The raw output prefix exists and can be listed.
		if got := status(http.MethodGet, "s3://acme-flyte-data/?list-type=2&prefix=data%2F&max-keys=1"); got != http.StatusOK {
			t.Errorf("%s: list raw prefix = %d", name, got)
		}
		stop()
	}
	if denied["dynamic-fanout"] == 0 || denied["storage-permission"] == 0 || denied["fanout-denied"] == 0 {
		t.Errorf("denied reads per scenario: %v", denied)
	}
}

// TestRunningScenario: the unschedulable execution and its task are still in flight.
func TestRunningScenario(t *testing.T) {
	fx := load(t, "unschedulable.json")
	for _, nf := range fx.Executions[0].Nodes {
		for _, te := range nf.Tasks {
			c := te.GetClosure()
			if c.GetPhase() == core.TaskExecution_QUEUED && (c.GetStartedAt() != nil || len(c.GetLogs()) != 0 ||
				!strings.HasPrefix(c.GetReason(), "Unschedulable:0/3 nodes are available")) {
				t.Errorf("queued attempt: %v", c)
			}
		}
	}
}

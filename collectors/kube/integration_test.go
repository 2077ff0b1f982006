package kube

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Tests against the real kube-apiserver of scripts/stack; they skip without it.

// seedFailedWorld writes failedWorld into ns: pods with kubelet statuses, events (two of them
// duplicates), an events.k8s.io event with a series, and another execution's pod and events.
func seedFailedWorld(t *testing.T, cs kubernetes.Interface, ns, name string) {
	t.Helper()
	pods, events := failedWorld(ns, name)
	for _, p := range pods {
		status := p.Status
		nodeName, restart := p.Spec.NodeName, p.Spec.RestartPolicy
		uidInMessage := status.Phase == corev1.PodRunning // the crash-loop message names the UID
		createPod(t, cs, p, func(got *corev1.Pod) {
			got.Spec.NodeName, got.Spec.RestartPolicy = nodeName, restart
			if got.UID == "" {
				return // spec pass, before create
			}
			got.Status = *status.DeepCopy()
			if uidInMessage {
				w := got.Status.ContainerStatuses[0].State.Waiting
				w.Message = strings.Replace(w.Message, "()", "("+string(got.UID)+")", 1)
			}
		})
	}
	for _, e := range events {
		createEvent(t, cs, e)
	}
	series := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: "e10", Namespace: ns},
		EventTime:           metav1.NewMicroTime(t0.Add(time.Second)),
		Series:              &eventsv1.EventSeries{Count: 9, LastObservedTime: metav1.NewMicroTime(t0.Add(5 * time.Minute))},
		ReportingController: "kubelet", ReportingInstance: "kubelet-node-a", Action: "Pulling", Reason: "Pulling",
		Regarding: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: name + "-n3-0-n1-0", APIVersion: "v1"},
		Note:      `Pulling image "` + trainerImage + `"`, Type: corev1.EventTypeNormal,
	}
	if _, err := cs.EventsV1().Events(ns).Create(context.Background(), series, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create events.k8s.io event: %v", err)
	}
}

func TestIntegrationFailedExecution(t *testing.T) {
	admin := stackAdmin(t)
	ns := newNamespace(t, admin, "failed")
	seedFailedWorld(t, admin, ns, "abc")
	ex := sampleExecution("abc")
	ex.Namespace, ex.Nodes[4].ChildExecution.Namespace = ns, ns

	client, rec := recordingClient(t)
	c := &Collector{Client: client, Namespace: ns, NamespaceSource: SourceAdmin}
	k, record := c.Collect(context.Background(), ex)
	if record.Status != evidence.StatusOK {
		t.Fatalf("status %s: %+v", record.Status, record.Errors)
	}
	wantCalls := map[string]int{callListPods: 1, callListEvents: 1, callGetSA: 1}
	if !reflect.DeepEqual(record.Calls, wantCalls) {
		t.Errorf("calls %v, want %v", record.Calls, wantCalls)
	}

	// The server, not the collector, dropped the other execution's pod and the ConfigMap event.
	podLists := rec.lists("/namespaces/" + ns + "/pods")
	if len(podLists) != 1 {
		t.Fatalf("pod lists %+v", podLists)
	}
	q, _ := url.ParseQuery(podLists[0].query)
	if q.Get("labelSelector") != "execution-id in (abc,abcc)" || podLists[0].items != 5 {
		t.Errorf("pod list %q returned %d pods, want the 5 of abc and abcc (of 6 in the namespace)", podLists[0].query, podLists[0].items)
	}
	evLists := rec.lists("/namespaces/" + ns + "/events")
	q, _ = url.ParseQuery(evLists[0].query)
	if len(evLists) != 1 || q.Get("fieldSelector") != "involvedObject.kind=Pod" || evLists[0].items != 9 {
		t.Errorf("event lists %+v: want one with fieldSelector involvedObject.kind=Pod returning the 9 pod events of 10", evLists)
	}

	if got, want := podNames(k), []string{"abc-n1-1", "abc-n2-0-n0-0", "abc-n3-0-n1-0", "abcc-c0-0", "abc-n0-0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pods %v, want %v", got, want)
	}
	if p := findPod(t, k, "abc-n3-0-n1-0"); p.Attempt == nil || p.Attempt.ExternalIndex == nil || *p.Attempt.ExternalIndex != 1 {
		t.Errorf("array subtask pod not matched: %+v", p.Attempt)
	}
	if p := findPod(t, k, "abcc-c0-0"); p.Attempt == nil || p.Attempt.Execution.Name != "abcc" {
		t.Errorf("child execution pod not matched: %+v", p.Attempt)
	}
	if names := missingNames(k); !reflect.DeepEqual(names, []string{"abc-n1-0", "abc-n3-0-n2-1"}) {
		t.Errorf("missing pods %v", names)
	}

	oom := findPod(t, k, "abc-n1-1")
	if s := oom.Containers[0].State; oom.Phase != "Failed" || s.Reason != "OOMKilled" || s.ExitCode != 137 {
		t.Errorf("OOM pod %s %+v", oom.Phase, s)
	}
	if oom.QOSClass != "Burstable" || oom.UID == "" || oom.CreatedAt.IsZero() {
		t.Errorf("server-set fields missing: qos %q uid %q created %v", oom.QOSClass, oom.UID, oom.CreatedAt)
	}
	if !slices.Contains(oom.Spec.Tolerations, "nvidia.com/gpu:Exists:NoSchedule") {
		t.Errorf("tolerations %v", oom.Spec.Tolerations)
	}
	loop := findPod(t, k, "abc-n2-0-n0-0").Containers[0]
	if loop.State.Reason != "CrashLoopBackOff" || !strings.Contains(loop.State.Message, "back-off 40s restarting failed container=") ||
		loop.LastState.Reason != "OOMKilled" || loop.LastState.ExitCode != 137 || loop.RestartCount != 3 {
		t.Errorf("crash loop %+v last %+v", loop.State, loop.LastState)
	}
	if s := findPod(t, k, "abc-n3-0-n1-0").Containers[0].State; s.Reason != "ImagePullBackOff" || s.Message != imagePullMsg {
		t.Errorf("image pull %+v", s)
	}
	if s := findPod(t, k, "abcc-c0-0").Containers[0].State; s.Reason != "CreateContainerConfigError" || s.Message != secretMissingMsg {
		t.Errorf("config error %+v", s)
	}

	for _, e := range k.Events {
		if e.Name == "other-n1-0" || e.Kind != "Pod" {
			t.Errorf("kept %+v", e)
		}
	}
	if e := findEvent(k, "abc-n3-0-n1-0", "BackOff"); e == nil || e.Count != 12 || !e.FirstTime.Equal(t0.Add(5*time.Second)) || !e.LastTime.Equal(t0.Add(4*time.Minute)) {
		t.Errorf("BackOff duplicates not merged: %+v", e)
	}
	if e := findEvent(k, "abc-n3-0-n1-0", "Pulling"); e == nil || e.Count != 9 || e.Source != "kubelet" || !e.LastTime.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("events.k8s.io series event: %+v", e)
	}
	if e := findEvent(k, "abc-n1-0", "Scheduled"); e == nil {
		t.Error("event of the deleted attempt-0 pod dropped")
	}
	if len(k.Events) != 6 {
		t.Errorf("%d events, want 6", len(k.Events))
	}
}

func missingNames(k *evidence.Kube) []string {
	var out []string
	for _, m := range k.MissingPods {
		out = append(out, m.Name)
	}
	return out
}

// TestIntegrationPagination lists with 2 items a page: every page is a call, nothing is lost or
// repeated, and the other execution's pods are filtered on every page.
func TestIntegrationPagination(t *testing.T) {
	admin := stackAdmin(t)
	ns := newNamespace(t, admin, "pages")
	const subtasks, others = 7, 5
	var ext []evidence.ExternalResource
	for i := range subtasks {
		name := fmt.Sprintf("pg-n0-0-n%d-0", i)
		ext = append(ext, evidence.ExternalResource{ExternalID: name, Index: uint32(i), Phase: "FAILED"})
		createPod(t, admin, newPod(ns, name, "pg", "n0"), func(p *corev1.Pod) { oomKilled(p, "node-a") })
		for j := range 2 {
			createEvent(t, admin, podEvent(ns, fmt.Sprintf("%s.%d", name, j), name, "Normal", "Started", fmt.Sprintf("Started container %d", j), "kubelet", 1, t0, t0))
		}
	}
	for i := range others {
		name := fmt.Sprintf("other-n0-%d", i)
		createPod(t, admin, newPod(ns, name, "other", "n0"), func(p *corev1.Pod) { succeeded(p, "node-a") })
		for j := range 2 {
			createEvent(t, admin, podEvent(ns, fmt.Sprintf("%s.%d", name, j), name, "Normal", "Started", fmt.Sprintf("Started container %d", j), "kubelet", 1, t0, t0))
		}
	}
	ex := &evidence.Execution{ID: execID("pg"), Phase: "FAILED", Namespace: ns, Nodes: []*evidence.Node{
		{ID: "n0", Phase: "FAILED", Kind: evidence.KindArray, IsArray: true, Attempts: []*evidence.TaskAttempt{
			{Phase: "FAILED", TaskType: "k8s-array", ExternalResources: ext}}},
	}}
	client, rec := recordingClient(t)
	k, record := (&Collector{Client: client, Namespace: ns, PageSize: 2}).Collect(context.Background(), ex)
	if record.Status != evidence.StatusOK {
		t.Fatalf("status %s %+v", record.Status, record.Errors)
	}
	if len(k.Pods) != subtasks || len(k.MissingPods) != 0 {
		t.Fatalf("pods %v missing %v", podNames(k), missingNames(k))
	}
	for _, p := range k.Pods {
		if p.Attempt == nil || p.Attempt.ExternalIndex == nil {
			t.Errorf("pod %s not matched", p.Name)
		}
	}
	if len(k.Events) != 2*subtasks {
		t.Errorf("%d events, want %d", len(k.Events), 2*subtasks)
	}
	podPages := rec.lists("/namespaces/" + ns + "/pods")
	if want := (subtasks + 1) / 2; len(podPages) != want || record.Calls[callListPods] != want {
		t.Errorf("pod pages %d (calls %d), want %d", len(podPages), record.Calls[callListPods], want)
	}
	for i, pg := range podPages {
		q, _ := url.ParseQuery(pg.query)
		if q.Get("limit") != "2" || (i > 0) != (q.Get("continue") != "") || pg.items > 2 || q.Get("labelSelector") != "execution-id in (pg)" {
			t.Errorf("pod page %d: %q, %d items", i, pg.query, pg.items)
		}
	}
	evPages := rec.lists("/namespaces/" + ns + "/events")
	if want := 2 * (subtasks + others) / 2; len(evPages) != want || record.Calls[callListEvents] != want {
		t.Errorf("event pages %d (calls %d), want %d", len(evPages), record.Calls[callListEvents], want)
	}
	// Pages chain; pods and events run side by side, the service account after the pods.
	if want := max(len(evPages), len(podPages)+1); record.CriticalPath != want {
		t.Errorf("critical path %d, want %d", record.CriticalPath, want)
	}
}

// TestIntegrationUnschedulableAndQuota: a pod the scheduler cannot place and a pod the quota
// refused (the real 403 text) bring in quotas, limit ranges and nodes.
func TestIntegrationUnschedulableAndQuota(t *testing.T) {
	admin := stackAdmin(t)
	ctx := context.Background()
	ns := newNamespace(t, admin, "sched")
	gpu, cpu1, cpu2 := gpuNode(ns+"-gpu"), gpuNode(ns+"-cpu1"), gpuNode(ns+"-cpu2")
	for _, n := range []*corev1.Node{cpu1, cpu2} {
		n.Spec.Taints = nil
		delete(n.Status.Allocatable, "nvidia.com/gpu")
		n.Labels["node.kubernetes.io/instance-type"] = "m5.large"
	}
	cpu2.Spec.Unschedulable = true
	for _, n := range []*corev1.Node{gpu, cpu1, cpu2} {
		createNode(t, admin, n)
	}
	createPod(t, admin, newPod(ns, "sch-n0-0", "sch", "n0"), unschedulable)
	createEvent(t, admin, podEvent(ns, "sch-n0-0.1", "sch-n0-0", "Warning", "FailedScheduling", unschedulableMsg, "default-scheduler", 7, t0, t0.Add(3*time.Minute)))

	// The quota as the quota controller would keep it, then a pod over it: the apiserver's 403.
	q := quota(ns)
	created, err := admin.CoreV1().ResourceQuotas(ns).Create(ctx, q, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Status = q.Status
	if _, err := admin.CoreV1().ResourceQuotas(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	over := newPod(ns, "sch-n1-0", "sch", "n1")
	over.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("1Gi")}
	// Quota admission reads quotas through an informer: until it has the status, pods pass.
	eventually(t, "quota admission sees the quota", func() bool {
		_, err = admin.CoreV1().Pods(ns).Create(ctx, over, metav1.CreateOptions{})
		if err == nil {
			zero := int64(0)
			_ = admin.CoreV1().Pods(ns).Delete(ctx, over.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		}
		return err != nil
	})
	wantQuotaErr := `pods "sch-n1-0" is forbidden: exceeded quota: project-quota, requested: limits.cpu=4, used: limits.cpu=8, limited: limits.cpu=10`
	if !apierrors.IsForbidden(err) || err.Error() != wantQuotaErr {
		t.Fatalf("pod over quota: %v\nwant %s", err, wantQuotaErr)
	}
	if _, err := admin.CoreV1().LimitRanges(ns).Create(ctx, limitRange(ns), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	qe := podEvent(ns, "quota.1", "project-quota", "Warning", "QuotaCheck", "synthetic event on a quota", "test", 2, t0, t0.Add(time.Minute))
	qe.InvolvedObject.Kind, qe.InvolvedObject.APIVersion = "ResourceQuota", "v1"
	createEvent(t, admin, qe)

	ex := &evidence.Execution{ID: execID("sch"), Phase: "RUNNING", Namespace: ns, Nodes: []*evidence.Node{
		{ID: "n0", Phase: "QUEUED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
			{Phase: "QUEUED", PluginID: "container", PodName: "sch-n0-0", Reason: "Unschedulable:" + unschedulableMsg}}},
		{ID: "n1", Phase: "RUNNING", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
			{Phase: "WAITING_FOR_RESOURCES", PluginID: "container", PodName: "sch-n1-0", Reason: "Exceeded resourcequota: " + err.Error()}}},
	}}
	client, _ := recordingClient(t)
	k, record := (&Collector{Client: client, Namespace: ns}).Collect(ctx, ex)
	if record.Status != evidence.StatusOK || !k.SchedulingContext {
		t.Fatalf("status %s scheduling %v %+v", record.Status, k.SchedulingContext, record.Errors)
	}
	// Two pods that matter: their events pod by pod, and the quotas' events.
	wantCalls := map[string]int{callListPods: 1, callListEvents: 3, callListQuotas: 1, callListLimitRanges: 1, callListNodes: 1, callGetSA: 1}
	if !reflect.DeepEqual(record.Calls, wantCalls) {
		t.Errorf("calls %v, want %v", record.Calls, wantCalls)
	}
	if names := missingNames(k); !reflect.DeepEqual(names, []string{"sch-n1-0"}) {
		t.Errorf("missing %v", names)
	}
	if e := findEvent(k, "sch-n0-0", "FailedScheduling"); e == nil || e.Count != 7 || e.Message != unschedulableMsg || e.Source != "default-scheduler" {
		t.Errorf("FailedScheduling %+v", e)
	}
	if e := findEvent(k, "project-quota", "QuotaCheck"); e == nil || e.Kind != "ResourceQuota" || e.Count != 2 {
		t.Errorf("quota event %+v", e)
	}
	wantQuota := []evidence.ResourceQuota{{Name: "project-quota", Hard: map[string]string{"limits.cpu": "10", "limits.memory": "64Gi"},
		Used: map[string]string{"limits.cpu": "8", "limits.memory": "32Gi"}}}
	if !reflect.DeepEqual(k.Quotas, wantQuota) {
		t.Errorf("quotas %+v", k.Quotas)
	}
	if len(k.LimitRanges) != 1 || k.LimitRanges[0].Items[0].Max["cpu"] != "4" {
		t.Errorf("limit ranges %+v", k.LimitRanges)
	}
	mine := map[string]evidence.NodeInfo{}
	for _, n := range k.Nodes.Nodes {
		if strings.HasPrefix(n.Name, ns) {
			mine[n.Name] = n
		}
	}
	if len(mine) != 3 || k.Nodes.Total < 3 {
		t.Fatalf("nodes %+v", k.Nodes)
	}
	g := mine[ns+"-gpu"]
	if !g.Ready || !slices.Contains(g.Taints, "nvidia.com/gpu=present:NoSchedule") || g.Allocatable["nvidia.com/gpu"] != "1" ||
		g.Labels["nvidia.com/gpu.product"] != "NVIDIA-A10G" || g.Labels["kubernetes.io/hostname"] != "" || g.Labels["random.example.com/team"] != "" {
		t.Errorf("gpu node %+v", g)
	}
	if c := mine[ns+"-cpu2"]; !c.Unschedulable {
		t.Errorf("cordoned node %+v", c)
	}
}

// limitedCollector builds the collector the way the CLI does, from the limited user's kubeconfig.
func limitedCollector(t *testing.T, ns string) (*Collector, kubernetes.Interface) {
	t.Helper()
	path := os.Getenv("STACK_KUBECONFIG_LIMITED")
	if path == "" {
		t.Skip("STACK_KUBECONFIG_LIMITED is unset")
	}
	cs, info, err := NewClient(ClientOptions{Kubeconfig: path, UserAgent: "flytedoctor/test", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if info.Server != os.Getenv("STACK_KUBE_SERVER") || info.Context == "" {
		t.Errorf("cluster info %+v", info)
	}
	return &Collector{Client: cs, Namespace: ns, NamespaceSource: SourceFlag, Context: info.Context, Server: info.Server}, cs
}

func forbiddenNow(cs kubernetes.Interface, f func(kubernetes.Interface) error) bool {
	return apierrors.IsForbidden(f(cs))
}

func listNodes(cs kubernetes.Interface) error {
	_, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{Limit: 1})
	return err
}

// schedWorld seeds an unschedulable pod and a failed one, so every collector call is made.
func schedWorld(t *testing.T, admin kubernetes.Interface, ns string) *evidence.Execution {
	createPod(t, admin, newPod(ns, "rb-n0-0", "rb", "n0"), unschedulable)
	createPod(t, admin, newPod(ns, "rb-n1-0", "rb", "n1"), func(p *corev1.Pod) { oomKilled(p, "node-a") })
	createEvent(t, admin, podEvent(ns, "rb-n0-0.1", "rb-n0-0", "Warning", "FailedScheduling", unschedulableMsg, "default-scheduler", 3, t0, t0))
	if _, err := admin.CoreV1().ResourceQuotas(ns).Create(context.Background(), quota(ns), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return &evidence.Execution{ID: execID("rb"), Phase: "FAILED", Nodes: []*evidence.Node{
		{ID: "n0", Phase: "QUEUED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{{Phase: "QUEUED", PluginID: "container", PodName: "rb-n0-0"}}},
		{ID: "n1", Phase: "FAILED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{{Phase: "FAILED", PluginID: "container", PodName: "rb-n1-0"}}},
	}}
}

// TestIntegrationRBACLimitedUser binds docs/rbac.yaml to the limited token's user: every read
// the collector makes is allowed, and nothing else is (no secrets, no writes).
func TestIntegrationRBACLimitedUser(t *testing.T) {
	admin := stackAdmin(t)
	ns := newNamespace(t, admin, "rbac")
	ex := schedWorld(t, admin, ns)
	c, limited := limitedCollector(t, ns)
	applyRBAC(t, admin, "flytedoctor-limited", ns, "flytedoctor", "flytedoctor-nodes")
	eventually(t, "the limited user may list nodes", func() bool { return listNodes(limited) == nil })

	k, record := c.Collect(context.Background(), ex)
	if record.Status != evidence.StatusOK {
		t.Fatalf("status %s %+v", record.Status, record.Errors)
	}
	if len(k.Pods) != 2 || k.Nodes == nil || len(k.Quotas) != 1 || len(k.Events) != 1 || len(k.ServiceAccounts) != 1 {
		t.Errorf("pods %d nodes %v quotas %d events %d service accounts %+v", len(k.Pods), k.Nodes, len(k.Quotas), len(k.Events), k.ServiceAccounts)
	}
	if k.Context != "flytedoctor-test" || k.Server != os.Getenv("STACK_KUBE_SERVER") || k.NamespaceSource != SourceFlag {
		t.Errorf("cluster %q %q %q", k.Context, k.Server, k.NamespaceSource)
	}

	// pods/log is granted: reading fails only because no kubelet runs here, not for RBAC.
	c.Logs = true
	_, record = c.Collect(context.Background(), ex)
	if record.Calls[callGetLog] != 1 || len(record.Errors) != 1 || record.Errors[0].Method != callGetLog || record.Errors[0].Code == "Forbidden" {
		t.Errorf("log read: calls %v errors %+v", record.Calls, record.Errors)
	}

	// Least privilege: no secrets, no writes.
	ctx := context.Background()
	for what, f := range map[string]func(kubernetes.Interface) error{
		"list secrets": func(cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
			return err
		},
		"get secret": func(cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Secrets(ns).Get(ctx, "aws-creds", metav1.GetOptions{})
			return err
		},
		"create pod": func(cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Pods(ns).Create(ctx, newPod(ns, "x", "x", "x"), metav1.CreateOptions{})
			return err
		},
		"delete pod": func(cs kubernetes.Interface) error {
			return cs.CoreV1().Pods(ns).Delete(ctx, "rb-n0-0", metav1.DeleteOptions{})
		},
		"patch node": func(cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Nodes().UpdateStatus(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-a"}}, metav1.UpdateOptions{})
			return err
		},
	} {
		if !forbiddenNow(limited, f) {
			t.Errorf("the limited user may %s", what)
		}
	}
}

// TestIntegrationRBACWithoutNodes binds only the namespaced role: nodes are forbidden, recorded
// with the API's message, and everything else is still collected.
func TestIntegrationRBACWithoutNodes(t *testing.T) {
	admin := stackAdmin(t)
	ns := newNamespace(t, admin, "nonodes")
	ex := schedWorld(t, admin, ns)
	c, limited := limitedCollector(t, ns)
	applyRBAC(t, admin, "flytedoctor-limited", ns, "flytedoctor")
	eventually(t, "the limited user may list pods", func() bool {
		_, err := limited.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{Limit: 1})
		return err == nil
	})
	// A binding of another test may still be visible for a moment.
	eventually(t, "the limited user may not list nodes", func() bool { return forbiddenNow(limited, listNodes) })

	k, record := c.Collect(context.Background(), ex)
	if record.Status != evidence.StatusPartial || len(record.Errors) != 1 {
		t.Fatalf("status %s errors %+v", record.Status, record.Errors)
	}
	want := evidence.CollectionError{Method: callListNodes, Target: "cluster", Code: "Forbidden", Attempts: 1,
		Message: `cannot list nodes: nodes is forbidden: User "flytedoctor-limited" cannot list resource "nodes" in API group "" at the cluster scope`}
	if record.Errors[0] != want {
		t.Errorf("error\n got %+v\nwant %+v", record.Errors[0], want)
	}
	if k.Nodes != nil || len(k.Pods) != 2 || len(k.Quotas) != 1 || len(k.Events) != 1 || !k.SchedulingContext {
		t.Errorf("partial result: nodes %v pods %d quotas %d events %d", k.Nodes, len(k.Pods), len(k.Quotas), len(k.Events))
	}
	if record.Calls[callListNodes] != 1 {
		t.Errorf("calls %v", record.Calls)
	}
}

// TestIntegrationReadsGrowWithTheFailure: in a namespace with thousands of events of other
// pods, a one-pod failure costs at most 4 apiserver reads, the events read by the pod's name;
// each further failed pod adds one read, up to maxPodEventReads, and past it the namespace's
// pod events are one LIST of large pages.
func TestIntegrationReadsGrowWithTheFailure(t *testing.T) {
	admin := stackAdmin(t)
	ns := newNamespace(t, admin, "grow")
	const others = 2500
	noise := make(chan int)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var first error
			for i := range noise {
				e := podEvent(ns, fmt.Sprintf("other-%d.1", i), fmt.Sprintf("other-%d", i), "Normal", "Started", "Started container main", "kubelet", 1, t0, t0)
				if _, err := admin.CoreV1().Events(ns).Create(context.Background(), e, metav1.CreateOptions{}); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		}()
	}
	for i := range others {
		noise <- i
	}
	close(noise)
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatalf("seeding events: %v", err)
		}
	}
	// Each case is its own execution, its pods failed with 3 events each.
	execution := func(name string, failed int) *evidence.Execution {
		ex := &evidence.Execution{ID: execID(name), Phase: "FAILED", Namespace: ns}
		for i := range failed {
			pod := fmt.Sprintf("%s-n%d-0", name, i)
			createPod(t, admin, newPod(ns, pod, name, fmt.Sprintf("n%d", i)), func(p *corev1.Pod) { oomKilled(p, "node-a") })
			for j, reason := range []string{"Scheduled", "Pulled", "Started"} {
				createEvent(t, admin, podEvent(ns, fmt.Sprintf("%s.%d", pod, j), pod, "Normal", reason, reason+" "+pod, "kubelet", 1, t0, t0.Add(time.Duration(j)*time.Second)))
			}
			ex.Nodes = append(ex.Nodes, &evidence.Node{ID: fmt.Sprintf("n%d", i), Phase: "FAILED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
				{Phase: "FAILED", PluginID: "container", PodName: pod}}})
		}
		return ex
	}
	for _, tc := range []struct {
		failed               int
		reads, eventReads    int
		eventSelectorsByName bool
	}{
		{1, 3, 1, true},
		{maxPodEventReads, 2 + maxPodEventReads, maxPodEventReads, true},
		{maxPodEventReads + 1, 3, 1, false},
	} {
		for _, started := range []string{"", "execution", "name"} {
			// Started from the execution: the pods and the service account are read from the
			// root execution alone (as when GetExecution answered), the events of the failed pods
			// once they are listed, and Collect reads none of them again. From the name: the pods
			// are listed before Admin answers anything (StartPods), the service account once the
			// execution is known, and the walk says how many nodes failed (AtLeast).
			t.Run(fmt.Sprintf("failed=%d/start=%s", tc.failed, cmp.Or(started, "none")), func(t *testing.T) {
				name := fmt.Sprintf("gr%d%.1s", tc.failed, started)
				ex := execution(name, tc.failed)
				client, rec := recordingClient(t)
				c := &Collector{Client: client, Namespace: ns, NamespaceSource: SourceAdmin}
				if started == "name" {
					c.StartPods(context.Background(), name)
				}
				if started != "" {
					root := *ex
					root.Nodes = nil
					c.Start(context.Background(), &root)
				}
				if started == "name" {
					// As the Admin walk finds the failed nodes: past maxPodEventReads the
					// namespace's pod events are read at once, and no more than that.
					c.AtLeast(context.Background(), tc.failed)
				}
				k, record := c.Collect(context.Background(), ex)
				if record.Status != evidence.StatusOK {
					t.Fatalf("status %s %+v", record.Status, record.Errors)
				}
				rec.mu.Lock()
				reads := len(rec.reqs)
				rec.mu.Unlock()
				if reads != tc.reads || record.TotalCalls() != tc.reads {
					t.Errorf("%d apiserver reads (%d calls: %v), want %d", reads, record.TotalCalls(), record.Calls, tc.reads)
				}
				if tc.failed == 1 && reads > 4 {
					t.Errorf("a one-pod failure made %d reads, want at most 4", reads)
				}
				evReads := rec.lists("/namespaces/" + ns + "/events")
				if len(evReads) != tc.eventReads {
					t.Errorf("%d event reads, want %d", len(evReads), tc.eventReads)
				}
				for _, r := range evReads {
					q, _ := url.ParseQuery(r.query)
					sel := q.Get("fieldSelector")
					if byName := strings.Contains(sel, "involvedObject.name="); byName != tc.eventSelectorsByName || !strings.Contains(sel, "involvedObject.kind=Pod") {
						t.Errorf("event read with fieldSelector %q", sel)
					}
					if byName := tc.eventSelectorsByName; byName && r.items != 3 {
						t.Errorf("the server returned %d events for %q, want the pod's 3", r.items, sel)
					}
				}
				// Whichever way they were read, the events kept are the failed pods' own.
				if len(k.Events) != 3*tc.failed {
					t.Errorf("kept %d events, want %d", len(k.Events), 3*tc.failed)
				}
				for _, e := range k.Events {
					if !strings.HasPrefix(e.Name, name+"-") {
						t.Errorf("kept an event of another pod: %+v", e)
					}
				}
				if len(k.Pods) != tc.failed || len(k.MissingPods) != 0 {
					t.Errorf("pods %v, missing %v", podNames(k), missingNames(k))
				}
			})
		}
	}
}

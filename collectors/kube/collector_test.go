package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

const fakeNS = testProject + "-" + testDomain

// failedWorld is the namespace of sampleExecution(name) as the cluster would hold it, with
// another execution's pod and events beside it.
func failedWorld(ns, name string) (pods []*corev1.Pod, events []*corev1.Event) {
	p := newPod(ns, name+"-n1-1", name, "n1")
	oomKilled(p, "node-a")
	pods = append(pods, p)
	p = newPod(ns, generatedName(name, "n2-0-n0", "0"), name, "n0")
	crashLoopOOM(p, "node-a")
	pods = append(pods, p)
	p = newPod(ns, name+"-n3-0-n1-0", name, "n3")
	imagePullBackOff(p, "node-a")
	pods = append(pods, p)
	p = newPod(ns, name+"c-c0-0", name+"c", "c0")
	createContainerConfigError(p, "node-a")
	pods = append(pods, p)
	p = newPod(ns, name+"-n0-0", name, "n0")
	succeeded(p, "node-a")
	pods = append(pods, p)
	p = newPod(ns, "other-n1-0", "other", "n1")
	imagePullBackOff(p, "node-a")
	pods = append(pods, p)

	ev := func(n, pod, typ, reason, msg, comp string, count int32, first, last time.Duration) {
		events = append(events, podEvent(ns, n, pod, typ, reason, msg, comp, count, t0.Add(first), t0.Add(last)))
	}
	ev("e1", name+"-n1-1", "Normal", "Pulled", `Container image "`+trainerImage+`" already present on machine`, "kubelet", 1, 0, 0)
	ev("e2", name+"-n1-1", "Normal", "Pulled", `Container image "`+trainerImage+`" already present on machine`, "kubelet", 1, time.Minute, time.Minute)
	ev("e3", name+"-n3-0-n1-0", "Warning", "Failed", `Failed to pull image "`+trainerImage+`": rpc error: code = NotFound desc = failed to pull and unpack image "`+trainerImage+`": failed to resolve reference "`+trainerImage+`": `+trainerImage+`: not found`, "kubelet", 3, 0, 2*time.Minute)
	ev("e4", name+"-n3-0-n1-0", "Normal", "BackOff", imagePullMsg, "kubelet", 5, 10*time.Second, 3*time.Minute)
	ev("e5", name+"-n3-0-n1-0", "Normal", "BackOff", imagePullMsg, "kubelet", 7, 5*time.Second, 4*time.Minute)
	ev("e6", name+"c-c0-0", "Warning", "Failed", "Error: "+secretMissingMsg, "kubelet", 4, 0, time.Minute)
	ev("e7", name+"-n1-0", "Normal", "Scheduled", "Successfully assigned "+ns+"/"+name+"-n1-0 to node-a", "default-scheduler", 1, 0, 0)
	ev("e8", "other-n1-0", "Normal", "BackOff", imagePullMsg, "kubelet", 9, 0, time.Minute)
	cm := podEvent(ns, "e9", "flyte-env", "Normal", "Updated", "config map updated", "kubectl", 1, t0, t0)
	cm.InvolvedObject.Kind = "ConfigMap"
	events = append(events, cm)
	return pods, events
}

func newFake(objs ...runtime.Object) *fake.Clientset { return fake.NewClientset(objs...) }

func worldObjects(ns, name string) []runtime.Object {
	pods, events := failedWorld(ns, name)
	var objs []runtime.Object
	for _, p := range pods {
		objs = append(objs, p)
	}
	for _, e := range events {
		objs = append(objs, e)
	}
	return objs
}

func podNames(k *evidence.Kube) []string {
	var out []string
	for _, p := range k.Pods {
		out = append(out, p.Name)
	}
	return out
}

func findPod(t *testing.T, k *evidence.Kube, name string) evidence.Pod {
	t.Helper()
	for _, p := range k.Pods {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("pod %s not collected; have %v", name, podNames(k))
	return evidence.Pod{}
}

func findEvent(k *evidence.Kube, pod, reason string) *evidence.Event {
	for i, e := range k.Events {
		if e.Name == pod && e.Reason == reason {
			return &k.Events[i]
		}
	}
	return nil
}

func TestCollectMatchesPodsToAttempts(t *testing.T) {
	cs := newFake(worldObjects(fakeNS, "abc")...)
	c := &Collector{Client: cs, Namespace: fakeNS, NamespaceSource: SourceAdmin}
	k, rec := c.Collect(context.Background(), sampleExecution("abc"))
	if rec.Status != evidence.StatusOK {
		t.Fatalf("status %s, errors %+v", rec.Status, rec.Errors)
	}
	wantPods := []string{"abc-n1-1", "abc-n2-0-n0-0", "abc-n3-0-n1-0", "abcc-c0-0", "abc-n0-0"}
	if got := podNames(k); !reflect.DeepEqual(got, wantPods) {
		t.Fatalf("pods %v, want %v (tree order, unmatched last)", got, wantPods)
	}
	attempts := map[string]PodRef{}
	for _, p := range k.Pods {
		if p.Attempt != nil {
			attempts[p.Name] = *p.Attempt
		}
	}
	want := map[string]PodRef{
		"abc-n1-1":      {Name: "abc-n1-1", Execution: execID("abc"), NodeID: "n1", RetryAttempt: 1},
		"abc-n2-0-n0-0": {Name: "abc-n2-0-n0-0", Execution: execID("abc"), NodeID: "n2-0-n0"},
		"abc-n3-0-n1-0": {Name: "abc-n3-0-n1-0", Execution: execID("abc"), NodeID: "n3", ExternalIndex: u32(1)},
		"abcc-c0-0":     {Name: "abcc-c0-0", Execution: execID("abcc"), NodeID: "c0"},
	}
	if !reflect.DeepEqual(attempts, want) {
		t.Errorf("attempts:\n got %+v\nwant %+v", attempts, want)
	}
	wantMissing := []PodRef{
		{Name: "abc-n1-0", Execution: execID("abc"), NodeID: "n1"},
		{Name: "abc-n3-0-n2-1", Execution: execID("abc"), NodeID: "n3", ExternalIndex: u32(2), ExternalRetryAttempt: 1},
	}
	if !reflect.DeepEqual(k.MissingPods, wantMissing) {
		t.Errorf("missing pods:\n got %+v\nwant %+v (not the succeeded subtask, not the spark job)", k.MissingPods, wantMissing)
	}
	if !reflect.DeepEqual(k.Executions, []string{"abc", "abcc"}) {
		t.Errorf("executions %v", k.Executions)
	}
	if k.SchedulingContext || k.Nodes != nil || k.Quotas != nil {
		t.Errorf("scheduling context read although every pod was placed: %+v", k)
	}
	wantCalls := map[string]int{callListPods: 1, callListEvents: 1, callGetSA: 1}
	if !reflect.DeepEqual(rec.Calls, wantCalls) {
		t.Errorf("calls %v, want %v", rec.Calls, wantCalls)
	}
	if !reflect.DeepEqual(k.ServiceAccounts, []evidence.ServiceAccount{{Name: "default", NotFound: true}}) {
		t.Errorf("service accounts %+v, want default not found", k.ServiceAccounts)
	}
}

func TestCollectConvertsPodStatusAndSpec(t *testing.T) {
	cs := newFake(worldObjects(fakeNS, "abc")...)
	k, _ := (&Collector{Client: cs, Namespace: fakeNS}).Collect(context.Background(), sampleExecution("abc"))

	oom := findPod(t, k, "abc-n1-1")
	if oom.Phase != "Failed" || oom.NodeName != "node-a" || len(oom.Containers) != 1 {
		t.Fatalf("oom pod %+v", oom)
	}
	ctr := oom.Containers[0]
	if ctr.State.State != "terminated" || ctr.State.Reason != "OOMKilled" || ctr.State.ExitCode != 137 || ctr.LastState.State != "" {
		t.Errorf("container state %+v last %+v", ctr.State, ctr.LastState)
	}
	loop := findPod(t, k, "abc-n2-0-n0-0").Containers[0]
	if loop.State.Reason != "CrashLoopBackOff" || loop.LastState.State != "terminated" || loop.LastState.Reason != "OOMKilled" ||
		loop.LastState.ExitCode != 137 || loop.RestartCount != 3 {
		t.Errorf("crash loop state %+v last %+v restarts %d", loop.State, loop.LastState, loop.RestartCount)
	}
	if ctr.Requests["cpu"] != "500m" || ctr.Limits["memory"] != "1Gi" {
		t.Errorf("resources %v %v", ctr.Requests, ctr.Limits)
	}
	if !reflect.DeepEqual(ctr.EnvNames, []string{"FLYTE_INTERNAL_EXECUTION_ID", "AWS_SECRET_ACCESS_KEY"}) ||
		!reflect.DeepEqual(ctr.SecretRefs, []string{"aws-creds/secret"}) || !reflect.DeepEqual(ctr.ConfigMapRefs, []string{"flyte-env"}) {
		t.Errorf("env %v secrets %v configmaps %v", ctr.EnvNames, ctr.SecretRefs, ctr.ConfigMapRefs)
	}
	spec := oom.Spec
	if !reflect.DeepEqual(spec.Tolerations, []string{"nvidia.com/gpu:Exists:NoSchedule", "team=ml:NoSchedule"}) ||
		spec.Affinity != "node requires topology.kubernetes.io/zone In [us-east-1a,us-east-1b]" ||
		!reflect.DeepEqual(spec.ImagePullSecrets, []string{"ghcr-pull"}) ||
		!reflect.DeepEqual(spec.Volumes, []evidence.VolumeRef{{Name: "creds", Kind: "secret", Ref: "aws-creds"}, {Name: "data", Kind: "persistentVolumeClaim", Ref: "scratch"}}) {
		t.Errorf("spec %+v", spec)
	}

	pull := findPod(t, k, "abc-n3-0-n1-0")
	if s := pull.Containers[0].State; s.State != "waiting" || s.Reason != "ImagePullBackOff" || s.Message != imagePullMsg {
		t.Errorf("image pull state %+v", s)
	}
	cfg := findPod(t, k, "abcc-c0-0")
	if s := cfg.Containers[0].State; s.Reason != "CreateContainerConfigError" || s.Message != secretMissingMsg {
		t.Errorf("config error state %+v", s)
	}
}

func TestCollectKeepsAndMergesTheExecutionsEvents(t *testing.T) {
	cs := newFake(worldObjects(fakeNS, "abc")...)
	k, _ := (&Collector{Client: cs, Namespace: fakeNS}).Collect(context.Background(), sampleExecution("abc"))
	for _, e := range k.Events {
		if e.Name == "other-n1-0" || e.Kind != "Pod" {
			t.Errorf("kept an event of another object: %+v", e)
		}
	}
	backoff := findEvent(k, "abc-n3-0-n1-0", "BackOff")
	if backoff == nil || backoff.Count != 12 || !backoff.FirstTime.Equal(t0.Add(5*time.Second)) || !backoff.LastTime.Equal(t0.Add(4*time.Minute)) {
		t.Errorf("BackOff not merged (12 times, first +5s, last +4m): %+v", backoff)
	}
	if pulled := findEvent(k, "abc-n1-1", "Pulled"); pulled == nil || pulled.Count != 2 {
		t.Errorf("duplicate Pulled events not merged: %+v", pulled)
	}
	if sched := findEvent(k, "abc-n1-0", "Scheduled"); sched == nil || sched.Source != "default-scheduler" {
		t.Errorf("event of a deleted attempt pod dropped: %+v", sched)
	}
	if len(k.Events) != 5 {
		t.Errorf("%d events, want 5: %+v", len(k.Events), k.Events)
	}
	for i := 1; i < len(k.Events); i++ {
		if k.Events[i].LastTime.After(k.Events[i-1].LastTime) {
			t.Errorf("events not latest first: %v after %v", k.Events[i].LastTime, k.Events[i-1].LastTime)
		}
	}
}

func TestEventSeriesCount(t *testing.T) {
	s := newEventSet()
	e := &corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p"}, Reason: "Pulling", Message: "m",
		EventTime:           metav1.MicroTime{Time: t0},
		Series:              &corev1.EventSeries{Count: 9, LastObservedTime: metav1.MicroTime{Time: t0.Add(time.Hour)}},
		ReportingController: "kubelet"}
	s.add(e)
	got := s.list()
	want := []evidence.Event{{Kind: "Pod", Name: "p", Reason: "Pulling", Message: "m", Source: "kubelet", Count: 9, FirstTime: t0, LastTime: t0.Add(time.Hour)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestCollectReadsSchedulingContextWhenAPodIsUnschedulable(t *testing.T) {
	ex := &evidence.Execution{ID: execID("q1"), Phase: "RUNNING", Nodes: []*evidence.Node{
		{ID: "n0", Phase: "RUNNING", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
			{Phase: "RUNNING", PluginID: "container", PodName: "q1-n0-0"}}},
	}}
	p := newPod(fakeNS, "q1-n0-0", "q1", "n0")
	unschedulable(p)
	cpu := gpuNode("cpu-1")
	cpu.Spec.Taints, cpu.Spec.Unschedulable = nil, true
	cs := newFake(p, gpuNode("gpu-1"), cpu, quota(fakeNS), limitRange(fakeNS))
	k, rec := (&Collector{Client: cs, Namespace: fakeNS}).Collect(context.Background(), ex)
	if rec.Status != evidence.StatusOK || !k.SchedulingContext {
		t.Fatalf("status %s scheduling %v errors %+v", rec.Status, k.SchedulingContext, rec.Errors)
	}
	for _, m := range []string{callListQuotas, callListLimitRanges, callListNodes} {
		if rec.Calls[m] != 1 {
			t.Errorf("%s called %d times", m, rec.Calls[m])
		}
	}
	if rec.Calls[callListEvents] != 2 {
		t.Errorf("want pod and ResourceQuota event lists, got %d", rec.Calls[callListEvents])
	}
	if k.Nodes == nil || k.Nodes.Total != 2 {
		t.Fatalf("nodes %+v", k.Nodes)
	}
	gpu := k.Nodes.Nodes[slices.IndexFunc(k.Nodes.Nodes, func(n evidence.NodeInfo) bool { return n.Name == "gpu-1" })]
	wantGPU := evidence.NodeInfo{Name: "gpu-1", Ready: true, Taints: []string{"nvidia.com/gpu=present:NoSchedule"},
		Labels: map[string]string{"node.kubernetes.io/instance-type": "g5.xlarge", "topology.kubernetes.io/zone": "us-east-1a",
			"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux", "karpenter.sh/nodepool": "gpu",
			"nvidia.com/gpu.product": "NVIDIA-A10G", "eks.amazonaws.com/nodegroup": "gpu-ng"},
		Allocatable: map[string]string{"cpu": "3920m", "memory": "15Gi", "nvidia.com/gpu": "1", "pods": "58"}}
	if !reflect.DeepEqual(gpu, wantGPU) {
		t.Errorf("gpu node\n got %+v\nwant %+v", gpu, wantGPU)
	}
	wantQuota := []evidence.ResourceQuota{{Name: "project-quota", Hard: map[string]string{"limits.cpu": "10", "limits.memory": "64Gi"},
		Used: map[string]string{"limits.cpu": "8", "limits.memory": "32Gi"}}}
	if !reflect.DeepEqual(k.Quotas, wantQuota) {
		t.Errorf("quotas %+v", k.Quotas)
	}
	if len(k.LimitRanges) != 1 || k.LimitRanges[0].Items[0].DefaultRequest["cpu"] != "500m" {
		t.Errorf("limit ranges %+v", k.LimitRanges)
	}
	pod := findPod(t, k, "q1-n0-0")
	if c := pod.Conditions; len(c) != 1 || c[0].Reason != "Unschedulable" || c[0].Message != unschedulableMsg {
		t.Errorf("conditions %+v", c)
	}
}

// A pod that selects on a custom label ("random.example.com/team") gets that label kept on
// every node, and its key recorded, so a node without it is known not to carry it; other
// custom labels stay out.
func TestCollectKeepsTheLabelsUnscheduledPodsSelectOn(t *testing.T) {
	ex := &evidence.Execution{ID: execID("q3"), Phase: "RUNNING", Nodes: []*evidence.Node{
		{ID: "n0", Phase: "RUNNING", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
			{Phase: "QUEUED", PluginID: "container", PodName: "q3-n0-0"}}},
	}}
	p := newPod(fakeNS, "q3-n0-0", "q3", "n0")
	unschedulable(p)
	p.Spec.NodeSelector = map[string]string{"random.example.com/team": "ml", "kubernetes.io/os": "linux"}
	p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
			{Key: "k8s.amazonaws.com/accelerator", Operator: corev1.NodeSelectorOpIn, Values: []string{"nvidia-a10g"}}}}}}}}
	gpu := gpuNode("gpu-1")
	gpu.Labels["k8s.amazonaws.com/accelerator"] = "nvidia-a10g"
	gpu.Labels["random.example.com/owner"] = "someone"
	cpu := gpuNode("cpu-1")
	delete(cpu.Labels, "random.example.com/team")
	cs := newFake(p, gpu, cpu)
	k, rec := (&Collector{Client: cs, Namespace: fakeNS}).Collect(context.Background(), ex)
	if rec.Status != evidence.StatusOK || k.Nodes == nil {
		t.Fatalf("status %s nodes %+v errors %+v", rec.Status, k.Nodes, rec.Errors)
	}
	if want := []string{"k8s.amazonaws.com/accelerator", "random.example.com/team"}; !reflect.DeepEqual(k.Nodes.SelectorLabels, want) {
		t.Errorf("selector labels %v, want %v", k.Nodes.SelectorLabels, want)
	}
	for _, n := range k.Nodes.Nodes {
		if _, ok := n.Labels["random.example.com/owner"]; ok {
			t.Errorf("%s keeps a label no pod selects on: %v", n.Name, n.Labels)
		}
		team, hasTeam := n.Labels["random.example.com/team"]
		acc, hasAcc := n.Labels["k8s.amazonaws.com/accelerator"]
		switch n.Name {
		case "gpu-1":
			if team != "ml" || acc != "nvidia-a10g" {
				t.Errorf("gpu-1 labels %v", n.Labels)
			}
		case "cpu-1":
			if hasTeam || hasAcc {
				t.Errorf("cpu-1 labels %v", n.Labels)
			}
		}
	}
}

func TestCollectReadsSchedulingContextWhenAdminSaysWaiting(t *testing.T) {
	msg := `Exceeded resourcequota: pods "w1-n0-0" is forbidden: exceeded quota: project-quota, requested: limits.cpu=4, used: limits.cpu=8, limited: limits.cpu=10`
	ex := &evidence.Execution{ID: execID("w1"), Phase: "RUNNING", Nodes: []*evidence.Node{
		{ID: "n0", Phase: "RUNNING", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
			{Phase: "WAITING_FOR_RESOURCES", PluginID: "container", PodName: "w1-n0-0", Reason: msg}}},
	}}
	cs := newFake(quota(fakeNS))
	k, rec := (&Collector{Client: cs, Namespace: fakeNS}).Collect(context.Background(), ex)
	if !k.SchedulingContext || len(k.Quotas) != 1 || rec.Calls[callListNodes] != 1 {
		t.Fatalf("scheduling %v quotas %+v calls %v", k.SchedulingContext, k.Quotas, rec.Calls)
	}
	if !reflect.DeepEqual(k.MissingPods, []PodRef{{Name: "w1-n0-0", Execution: execID("w1"), NodeID: "n0"}}) {
		t.Errorf("missing %+v", k.MissingPods)
	}
	// Every read starts at once: the service account too, since the execution names none
	// and the pods then run as "default".
	if rec.CriticalPath != 1 {
		t.Errorf("critical path %d, want 1", rec.CriticalPath)
	}
}

func forbid(cs *fake.Clientset, verb, resource, user string) {
	cs.PrependReactor(verb, resource, func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "",
			&forbiddenReason{user: user, verb: verb, resource: resource})
	})
}

type forbiddenReason struct{ user, verb, resource string }

func (f *forbiddenReason) Error() string {
	return `User "` + f.user + `" cannot ` + f.verb + ` resource "` + f.resource + `" in API group "" at the cluster scope`
}

func TestForbiddenIsRecordedAndCollectionGoesOn(t *testing.T) {
	p := newPod(fakeNS, "q2-n0-0", "q2", "n0")
	unschedulable(p)
	cs := newFake(p)
	forbid(cs, "list", "nodes", "flytedoctor-limited")
	ex := &evidence.Execution{ID: execID("q2"), Nodes: []*evidence.Node{{ID: "n0", Phase: "QUEUED", Kind: evidence.KindTask,
		Attempts: []*evidence.TaskAttempt{{Phase: "QUEUED", PluginID: "container", PodName: "q2-n0-0"}}}}}
	k, rec := (&Collector{Client: cs, Namespace: fakeNS}).Collect(context.Background(), ex)
	if rec.Status != evidence.StatusPartial || len(rec.Errors) != 1 {
		t.Fatalf("status %s errors %+v", rec.Status, rec.Errors)
	}
	e := rec.Errors[0]
	wantMsg := `cannot list nodes: nodes is forbidden: User "flytedoctor-limited" cannot list resource "nodes" in API group "" at the cluster scope`
	if e.Method != callListNodes || e.Code != "Forbidden" || e.Target != "cluster" || e.Message != wantMsg {
		t.Errorf("error %+v", e)
	}
	if k.Nodes != nil || len(k.Pods) != 1 {
		t.Errorf("nodes %+v pods %d", k.Nodes, len(k.Pods))
	}
}

func TestPodListFailureMeansNoMissingPods(t *testing.T) {
	cs := newFake()
	forbid(cs, "list", "pods", "u")
	forbid(cs, "list", "events", "u")
	k, rec := (&Collector{Client: cs, Namespace: fakeNS}).Collect(context.Background(), sampleExecution("abc"))
	if rec.Status != evidence.StatusFailed {
		t.Errorf("status %s", rec.Status)
	}
	if len(k.MissingPods) != 0 {
		t.Errorf("pods unknown, yet reported missing: %+v", k.MissingPods)
	}
}

func TestLogsOfFailedContainers(t *testing.T) {
	cs := newFake(worldObjects(fakeNS, "abc")...)
	var got []string
	cs.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "log" {
			o := a.(k8stesting.GenericActionImpl).Value.(*corev1.PodLogOptions)
			got = append(got, o.Container+prevSuffix(o.Previous)) // container name = pod name here
			if *o.TailLines != 50 || *o.LimitBytes != 4096 {
				t.Errorf("log bounds %d lines %d bytes", *o.TailLines, *o.LimitBytes)
			}
		}
		return false, nil, nil
	})
	c := &Collector{Client: cs, Namespace: fakeNS, Logs: true, LogLines: 50, LogBytes: 4096}
	k, rec := c.Collect(context.Background(), sampleExecution("abc"))
	slices.Sort(got)
	want := []string{"abc-n1-1", "abc-n2-0-n0-0 (previous)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log reads %v, want %v", got, want)
	}
	if rec.Calls[callGetLog] != 2 || len(k.Logs) != 2 || k.Logs[0].Text != "fake logs" {
		t.Errorf("calls %v logs %+v", rec.Calls, k.Logs)
	}
	// Without --logs, nothing is read.
	_, rec = (&Collector{Client: newFake(worldObjects(fakeNS, "abc")...), Namespace: fakeNS}).Collect(context.Background(), sampleExecution("abc"))
	if rec.Calls[callGetLog] != 0 {
		t.Errorf("logs read without Logs: %v", rec.Calls)
	}
}

func prevSuffix(p bool) string {
	if p {
		return " (previous)"
	}
	return ""
}

func TestLogTargetsAreBounded(t *testing.T) {
	var pods []corev1.Pod
	for i := range 30 {
		p := newPod(fakeNS, "x-n"+string(rune('a'+i%26))+strings.Repeat("z", i/26), "x", "n")
		oomKilled(p, "node")
		pods = append(pods, *p)
	}
	if n := len(logTargets(pods, &plan{byName: map[string]int{}}, 10)); n != 10 {
		t.Errorf("%d targets, want 10", n)
	}
}

func TestMatchByNodeLabelAndAttemptSuffix(t *testing.T) {
	ex := &evidence.Execution{ID: execID("abc"), Nodes: []*evidence.Node{
		{ID: "n7", Phase: "FAILED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
			{RetryAttempt: 0, Phase: "FAILED", PluginID: "ray"}, {RetryAttempt: 1, Phase: "FAILED", PluginID: "ray"}}},
	}}
	p := planFor(ex, fakeNS, false)
	pod := newPod(fakeNS, "abc-n7-1", "abc", "n7")
	ref, ok := p.match(pod)
	if !ok || ref.NodeID != "n7" || ref.RetryAttempt != 1 {
		t.Fatalf("match = %+v, %v", ref, ok)
	}
	if _, ok := p.match(newPod(fakeNS, "abc-n8-1", "abc", "n8")); ok {
		t.Error("matched a pod of an unknown node")
	}
	if len(p.wants) != 0 {
		t.Errorf("a ray attempt without a pod name expects no pod: %+v", p.wants)
	}
}

func TestGeneratedNameIsFlytes(t *testing.T) {
	// Values from flyteplugins' encoder tests and facts C1.
	long := strings.Split("x y z m n y z m n y z m n", " ")
	for _, tc := range []struct {
		max   int
		parts []string
		want  string
	}{
		{10, []string{"x", "y", "z"}, "x-y-z"},
		{15, long, "fe63sz6y"},
		{20, []string{"xxxxxxxxxxxxxxxxxxxxxxxx"}, "fuaa3aji"},
		{50, []string{"fdf98e4ed2b524dc3bf7", "get-flyte-id-task", "0"}, "fdf98e4ed2b524dc3bf7-get-flyte-id-task-0"},
	} {
		if got := UniqueID(tc.max, tc.parts...); got != tc.want {
			t.Errorf("UniqueID(%d, %q) = %q, want %q", tc.max, tc.parts, got, tc.want)
		}
	}
	if got := generatedName("nightly-training-run-2026-11-20-full", "n1-0-dn12-0-n0", "2"); len(got) != 8 || got[0] != 'f' {
		t.Errorf("long name not hashed: %q", got)
	}
}

func TestSanitizeLabelIsPropellers(t *testing.T) {
	for in, want := range map[string]string{"n0": "n0", "My_Node.1": "my-node-1", "-x-": "x"} {
		if got := SanitizeLabel(in); got != want {
			t.Errorf("SanitizeLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCollectWithoutExecutionIsSkipped(t *testing.T) {
	k, rec := (&Collector{Client: newFake(), Namespace: fakeNS}).Collect(context.Background(), nil)
	if k != nil || rec.Status != evidence.StatusSkipped {
		t.Fatalf("k %v rec %+v", k, rec)
	}
}

func TestChildExecutionInAnotherNamespaceIsNotListed(t *testing.T) {
	ex := sampleExecution("abc")
	ex.Nodes[4].ChildExecution.Namespace = "other-ns"
	p := planFor(ex, fakeNS, false)
	if !reflect.DeepEqual(p.executions, []string{"abc"}) {
		t.Errorf("executions %v", p.executions)
	}
	if _, ok := p.byName["abcc-c0-0"]; ok {
		t.Error("a pod in another namespace is expected here")
	}
	if p = planFor(ex, fakeNS, true); !slices.Contains(p.executions, "abcc") {
		t.Errorf("--namespace must cover every execution: %v", p.executions)
	}
}

func TestClassify(t *testing.T) {
	gr := schema.GroupResource{Resource: "nodes"}
	for _, tc := range []struct {
		err       error
		code, msg string
	}{
		{apierrors.NewForbidden(gr, "", &forbiddenReason{"u", "list", "nodes"}), "Forbidden",
			`nodes is forbidden: User "u" cannot list resource "nodes" in API group "" at the cluster scope`},
		{apierrors.NewNotFound(gr, "n1"), "NotFound", `nodes "n1" not found`},
		{apierrors.NewUnauthorized("Unauthorized"), "Unauthorized", "Unauthorized"},
		{&apierrors.StatusError{ErrStatus: metav1.Status{Code: 502, Message: "upstream\nreset"}}, "BadGateway", "upstream ..."},
		{fmt.Errorf("list: %w", context.DeadlineExceeded), "DeadlineExceeded", "timed out (raise --timeout): list: context deadline exceeded"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}, "Unavailable", "dial tcp: connect: connection refused"},
	} {
		code, msg := classify(tc.err)
		if code != tc.code || msg != tc.msg {
			t.Errorf("classify(%v) = %q, %q; want %q, %q", tc.err, code, msg, tc.code, tc.msg)
		}
	}
}

// An unreachable API server fails every call quickly and says so; nothing is invented.
func TestCollectUnreachableServer(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "kc", strings.ReplaceAll(kubeconfigA, "https://127.0.0.1:6443", "https://127.0.0.1:1"))
	cs, _, err := NewClient(ClientOptions{Kubeconfig: path, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	k, rec := (&Collector{Client: cs, Namespace: fakeNS}).Collect(context.Background(), sampleExecution("abc"))
	if rec.Status != evidence.StatusFailed || len(rec.Errors) < 2 {
		t.Fatalf("status %s errors %+v", rec.Status, rec.Errors)
	}
	for _, e := range rec.Errors {
		if e.Code != "Unavailable" || !strings.Contains(e.Message, "connection refused") {
			t.Errorf("error %+v", e)
		}
	}
	if len(k.Pods) != 0 || len(k.MissingPods) != 0 {
		t.Errorf("invented pods: %+v", k)
	}
}

// A namespace guessed before Admin answered (a template's) that is not the execution's: the
// guess's pod LIST counts as a call, its refusal is not the execution's, and the evidence is
// the namespace Admin named.
func TestMovedFromAGuessedNamespace(t *testing.T) {
	cs := newFake(worldObjects(fakeNS, "abc")...)
	cs.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetNamespace() == "flytesnacks" {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", &forbiddenReason{user: "u", verb: "list", resource: "pods"})
		}
		return false, nil, nil
	})
	ex := sampleExecution("abc")
	guess := &Collector{Client: cs, Namespace: "flytesnacks", NamespaceSource: SourceTemplate}
	guess.StartPods(context.Background(), ex.ID.Name)
	c := guess.Moved(fakeNS, SourceAdmin)
	c.Start(context.Background(), ex)
	k, rec := c.Collect(context.Background(), ex)
	<-guess.started.early.podsDone
	direct := &Collector{Client: newFake(worldObjects(fakeNS, "abc")...), Namespace: fakeNS, NamespaceSource: SourceAdmin}
	direct.Start(context.Background(), ex)
	want, wantRec := direct.Collect(context.Background(), ex)
	if rec.Status != evidence.StatusOK || len(rec.Errors) != 0 {
		t.Fatalf("status %s errors %+v: the guess's refusal was kept", rec.Status, rec.Errors)
	}
	if rec.Calls[callListPods] != wantRec.Calls[callListPods]+1 || rec.TotalCalls() != wantRec.TotalCalls()+1 {
		t.Errorf("calls %v, want %v and the guess's pod LIST", rec.Calls, wantRec.Calls)
	}
	if k.Namespace != fakeNS || k.NamespaceSource != SourceAdmin || !slices.Equal(podNames(k), podNames(want)) || len(k.Events) != len(want.Events) {
		t.Errorf("namespace %s (%s), pods %v, %d events; want %s, pods %v, %d events",
			k.Namespace, k.NamespaceSource, podNames(k), len(k.Events), fakeNS, podNames(want), len(want.Events))
	}
}

// Told by the Admin walk that more pods matter than are worth reading one by one, the
// collector reads the namespace's pod events at once, before it has the tree, and once only.
func TestAtLeastReadsTheNamespacesEventsBeforeTheTree(t *testing.T) {
	cs := newFake()
	listed := make(chan string, 10)
	cs.PrependReactor("list", "events", func(a k8stesting.Action) (bool, runtime.Object, error) {
		listed <- a.(k8stesting.ListAction).GetListRestrictions().Fields.String()
		return false, nil, nil
	})
	ex := &evidence.Execution{ID: execID("many"), Phase: "FAILED", Namespace: fakeNS}
	for i := range maxPodEventReads + 2 {
		ex.Nodes = append(ex.Nodes, &evidence.Node{ID: fmt.Sprintf("n%d", i), Phase: "FAILED", Kind: evidence.KindTask,
			Attempts: []*evidence.TaskAttempt{{Phase: "FAILED", PluginID: "container", PodName: fmt.Sprintf("many-n%d-0", i)}}})
	}
	c := &Collector{Client: cs, Namespace: fakeNS, NamespaceSource: SourceAdmin}
	c.Start(context.Background(), &evidence.Execution{ID: ex.ID, Phase: ex.Phase, Namespace: fakeNS})
	c.AtLeast(context.Background(), maxPodEventReads)
	c.AtLeast(context.Background(), maxPodEventReads+1)
	select {
	case sel := <-listed:
		if sel != "involvedObject.kind=Pod" {
			t.Errorf("events read with field selector %q, want the namespace's pod events", sel)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no events LIST before Collect")
	}
	_, rec := c.Collect(context.Background(), ex)
	if rec.Calls[callListEvents] != 1 || len(listed) != 0 {
		t.Errorf("calls %v, want one events LIST", rec.Calls)
	}
}

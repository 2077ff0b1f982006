package kube

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Shared fixtures for unit and integration tests: one failed execution whose tree covers every
// way a pod is named (generated_name, log context, computed name, array subtasks, child
// executions) and the texts kubelet and scheduler really write.

const (
	testProject, testDomain = "flytesnacks", "development"
	trainerImage            = "ghcr.io/acme/trainer:v1.2.3"
	imagePullMsg            = `Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`
	unschedulableMsg        = `0/3 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.`
	secretMissingMsg        = `secret "aws-creds" not found`
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func execID(name string) evidence.ExecutionID {
	return evidence.ExecutionID{Project: testProject, Domain: testDomain, Name: name}
}

func u32(v uint32) *uint32 { return &v }

// sampleExecution is execution `name` (and child execution `name`c):
//
//	n0  SUCCEEDED task                         (not expanded, no attempts)
//	n1  FAILED task: attempt 0 (pod gone), 1 (OOMKilled, pod kept)
//	n2  FAILED subworkflow → n2-0-n0 FAILED task, no generated_name (computed name)
//	n3  FAILED array node: subtasks 0 ok (pod gone), 1 failed (ImagePullBackOff), 2 failed (pod gone)
//	n4  FAILED launch plan → child execution, c0 FAILED (CreateContainerConfigError), log context only
//	n5  FAILED spark task (no pod expected)
func sampleExecution(name string) *evidence.Execution {
	ns := testProject + "-" + testDomain
	child := name + "c"
	return &evidence.Execution{ID: execID(name), Phase: "FAILED", Namespace: ns, Nodes: []*evidence.Node{
		{ID: "n0", Phase: "SUCCEEDED", Kind: evidence.KindTask},
		{ID: "n1", Phase: "FAILED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
			{RetryAttempt: 0, Phase: "FAILED", TaskType: "python-task", PluginID: "container", PodName: name + "-n1-0"},
			{RetryAttempt: 1, Phase: "FAILED", TaskType: "python-task", PluginID: "container", PodName: name + "-n1-1"},
		}},
		{ID: "n2", Phase: "FAILED", Kind: evidence.KindSubworkflow, IsParent: true, Children: []*evidence.Node{
			{ID: "n2-0-n0", SpecNodeID: "n0", Phase: "FAILED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
				{RetryAttempt: 0, Phase: "FAILED", TaskType: "python-task"},
			}},
		}},
		{ID: "n3", Phase: "FAILED", Kind: evidence.KindArray, IsArray: true, Attempts: []*evidence.TaskAttempt{
			{RetryAttempt: 0, Phase: "FAILED", TaskType: "k8s-array", PodName: name + "-n3-0", ExternalResources: []evidence.ExternalResource{
				{ExternalID: name + "-n3-0-n0-0", Index: 0, Phase: "SUCCEEDED"},
				{ExternalID: name + "-n3-0-n1-0", Index: 1, Phase: "FAILED"},
				{ExternalID: name + "-n3-0-n2-1", Index: 2, RetryAttempt: 1, Phase: "FAILED"},
			}},
		}},
		{ID: "n4", Phase: "FAILED", Kind: evidence.KindLaunchPlan, ChildExecutionID: ptr(execID(child)),
			ChildExecution: &evidence.Execution{ID: execID(child), Phase: "FAILED", Namespace: ns, Nodes: []*evidence.Node{
				{ID: "c0", Phase: "FAILED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
					{RetryAttempt: 0, Phase: "FAILED", TaskType: "python-task", PluginID: "container",
						PrimaryPodName: child + "-c0-0", Pods: []evidence.PodLogContext{{Namespace: ns, PodName: child + "-c0-0", PrimaryContainer: "main"}}},
				}},
			}}},
		{ID: "n5", Phase: "FAILED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
			{RetryAttempt: 0, Phase: "FAILED", TaskType: "spark", PluginID: "spark", PodName: name + "-n5-0"},
		}},
	}}
}

func ptr[T any](v T) *T { return &v }

// podSpec is a pod as Flyte creates it, labelled for execution exec and template node node.
func newPod(ns, name, exec, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{
			LabelExecutionID: exec, LabelNodeID: node, LabelTaskName: "workflows-train-train-model",
			"project": testProject, "domain": testDomain,
		}, Annotations: map[string]string{primaryContainerAnnotation: name}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: name, Image: trainerImage,
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("1Gi")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
				},
				Env: []corev1.EnvVar{
					{Name: "FLYTE_INTERNAL_EXECUTION_ID", Value: exec},
					{Name: "AWS_SECRET_ACCESS_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: "aws-creds"}, Key: "secret"}}},
				},
				EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "flyte-env"}}}},
			}},
			RestartPolicy:    corev1.RestartPolicyNever,
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "ghcr-pull"}},
			Tolerations: []corev1.Toleration{{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
				{Key: "team", Operator: corev1.TolerationOpEqual, Value: "ml", Effect: corev1.TaintEffectNoSchedule}},
			NodeSelector: map[string]string{"node.kubernetes.io/instance-type": "g5.xlarge"},
			Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
					{Key: "topology.kubernetes.io/zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"us-east-1a", "us-east-1b"}}}}},
			}}},
			Volumes: []corev1.Volume{
				{Name: "creds", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "aws-creds"}}},
				{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "scratch"}}},
			},
		},
	}
}

// The statuses below are what kubelet and scheduler write (pods/status).

// oomKilled is a restartPolicy Never pod whose only container the kernel killed.
func oomKilled(p *corev1.Pod, node string) {
	p.Spec.NodeName = node
	c := p.Spec.Containers[0].Name
	p.Status = corev1.PodStatus{Phase: corev1.PodFailed, StartTime: &metav1.Time{Time: t0},
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Time{Time: t0}},
			{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, Reason: "PodFailed", LastTransitionTime: metav1.Time{Time: t0.Add(time.Minute)}},
		},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: c, Image: trainerImage, ImageID: trainerImage + "@sha256:" + sha,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled",
				StartedAt: metav1.Time{Time: t0.Add(30 * time.Second)}, FinishedAt: metav1.Time{Time: t0.Add(time.Minute)}}},
		}},
	}
}

// crashLoopOOM is a restartPolicy OnFailure pod restarting after OOM kills: waiting now, the
// last run in lastState.
func crashLoopOOM(p *corev1.Pod, node string) {
	p.Spec.NodeName = node
	p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	c := p.Spec.Containers[0].Name
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &metav1.Time{Time: t0},
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Time{Time: t0}}},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: c, Image: trainerImage, ImageID: trainerImage + "@sha256:" + sha, RestartCount: 3,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: "back-off 40s restarting failed container=" + c + " pod=" + p.Name + "_" + p.Namespace + "(" + string(p.UID) + ")"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled",
				StartedAt: metav1.Time{Time: t0.Add(2 * time.Minute)}, FinishedAt: metav1.Time{Time: t0.Add(3 * time.Minute)}}},
		}},
	}
}

const sha = "3f9c2e1d0b8a7f6e5d4c3b2a19081726354453627180918273645546372819a0"

func imagePullBackOff(p *corev1.Pod, node string) {
	p.Spec.NodeName = node
	c := p.Spec.Containers[0].Name
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, StartTime: &metav1.Time{Time: t0},
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Time{Time: t0}},
			{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady",
				Message: "containers with unready status: [" + c + "]", LastTransitionTime: metav1.Time{Time: t0}},
		},
		ContainerStatuses: []corev1.ContainerStatus{{Name: c, Image: trainerImage,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: imagePullMsg}}}},
	}
}

func createContainerConfigError(p *corev1.Pod, node string) {
	p.Spec.NodeName = node
	c := p.Spec.Containers[0].Name
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, StartTime: &metav1.Time{Time: t0},
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Time{Time: t0}}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: c, Image: trainerImage,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: secretMissingMsg}}}},
	}
}

func unschedulable(p *corev1.Pod) {
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		Message: unschedulableMsg, LastTransitionTime: metav1.Time{Time: t0},
	}}}
}

func succeeded(p *corev1.Pod, node string) {
	p.Spec.NodeName = node
	c := p.Spec.Containers[0].Name
	p.Status = corev1.PodStatus{Phase: corev1.PodSucceeded, StartTime: &metav1.Time{Time: t0},
		ContainerStatuses: []corev1.ContainerStatus{{Name: c, Image: trainerImage,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}}}}
}

// podEvent is a core/v1 event about a pod as kubelet or the scheduler records it.
func podEvent(ns, name, pod, typ, reason, msg, component string, count int32, first, last time.Time) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod, APIVersion: "v1"},
		Type:           typ, Reason: reason, Message: msg, Count: count,
		Source:         corev1.EventSource{Component: component},
		FirstTimestamp: metav1.Time{Time: first}, LastTimestamp: metav1.Time{Time: last},
	}
}

func gpuNode(name string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			"node.kubernetes.io/instance-type": "g5.xlarge", "topology.kubernetes.io/zone": "us-east-1a",
			"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux", "kubernetes.io/hostname": name,
			"karpenter.sh/nodepool": "gpu", "nvidia.com/gpu.product": "NVIDIA-A10G", "eks.amazonaws.com/nodegroup": "gpu-ng",
			"random.example.com/team": "ml",
		}},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3920m"), corev1.ResourceMemory: resource.MustParse("15Gi"),
				"nvidia.com/gpu": resource.MustParse("1"), "hugepages-1Gi": resource.MustParse("0"), corev1.ResourcePods: resource.MustParse("58")},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
		},
	}
}

func quota(ns string) *corev1.ResourceQuota {
	hard := corev1.ResourceList{corev1.ResourceLimitsCPU: resource.MustParse("10"), corev1.ResourceLimitsMemory: resource.MustParse("64Gi")}
	return &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "project-quota", Namespace: ns},
		Spec:       corev1.ResourceQuotaSpec{Hard: hard},
		Status: corev1.ResourceQuotaStatus{Hard: hard, Used: corev1.ResourceList{
			corev1.ResourceLimitsCPU: resource.MustParse("8"), corev1.ResourceLimitsMemory: resource.MustParse("32Gi")}},
	}
}

func limitRange(ns string) *corev1.LimitRange {
	return &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: ns}, Spec: corev1.LimitRangeSpec{
		Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
			Max:            corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")},
			Default:        corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
			DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")},
		}}}}
}

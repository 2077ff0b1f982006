package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// The demo cluster: an EKS cluster with two CPU nodes and one tainted GPU node.
const (
	image        = "ghcr.io/acme/workflows:3f9c2e1"
	imageDigest  = "sha256:5b0f1a7c3e9d2b4a6c8e0f1d3b5a7c9e1f3d5b7a9c0e2f4d6b8a0c2e4f6a8b0c"
	cpuNodeA     = "ip-10-0-11-42.ec2.internal"
	cpuNodeB     = "ip-10-0-23-117.ec2.internal"
	gpuNode      = "ip-10-0-35-9.ec2.internal"
	schedulerID  = "default-scheduler-ip-172-16-103-77.ec2.internal"
	taskRoleARN  = "arn:aws:iam::123456789012:role/flyte-user-role"
	irsaTokenDir = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
	gpuResource  = corev1.ResourceName("nvidia.com/gpu")
	// deadNode was shut down during dynamic-fanout and is no longer in the cluster.
	deadNode        = "ip-10-0-58-203.ec2.internal"
	nodeShutdownMsg = "Pod was terminated in response to imminent node shutdown."
	// Another execution running in the namespace.
	foreignExec = "r8wd3kx5tq9mz2vb7nhp"
	foreignWF   = "workflows.reporting.daily_report_wf"
	foreignTask = "workflows.reporting.render_dashboard"
)

// cluster collects what `kubectl get -o json` would show for a scenario when flytedoctor runs.
type cluster struct {
	objs       []runtime.Object
	rv         int64
	eventNames map[string]bool
}

func newCluster(now time.Time) *cluster {
	c := &cluster{rv: 51_000_000 + now.Unix()%1_000_000, eventNames: map[string]bool{}}
	for _, n := range clusterNodes() {
		c.add(n)
	}
	c.add(&corev1.ServiceAccount{ObjectMeta: c.meta("ServiceAccount", namespace, "default", at("2026-03-02T10:14:07Z"),
		map[string]string{"eks.amazonaws.com/role-arn": taskRoleARN})})
	c.add(&corev1.LimitRange{
		ObjectMeta: c.meta("LimitRange", namespace, "default-limits", at("2026-03-02T10:14:08Z"), nil),
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type:           corev1.LimitTypeContainer,
			Max:            resources("16", "64Gi", 0),
			Default:        resources("1", "2Gi", 0),
			DefaultRequest: resources("500m", "1Gi", 0),
		}}},
	})
	return c
}

func (c *cluster) add(o runtime.Object) { c.objs = append(c.objs, o) }

// eventName is client-go's recorder name, <object>.<hex unix nanos>; two events recorded in the
// same nanosecond cannot both exist on a server, so a clash moves to the next nanosecond.
func (c *cluster) eventName(object string, first time.Time) string {
	for ns := first.UnixNano(); ; ns++ {
		if name := fmt.Sprintf("%s.%x", object, ns); !c.eventNames[name] {
			c.eventNames[name] = true
			return name
		}
	}
}

// remove deletes an object, as Flyte deletes finished pods; events about it stay.
func (c *cluster) remove(o runtime.Object) {
	c.objs = slices.DeleteFunc(c.objs, func(x runtime.Object) bool { return x == o })
}

// meta is object metadata with a stable uid and a growing resourceVersion.
func (c *cluster) meta(kind, ns, name string, created time.Time, annotations map[string]string) metav1.ObjectMeta {
	c.rv += 37
	return metav1.ObjectMeta{
		Name: name, Namespace: ns, UID: uid(kind, ns, name), ResourceVersion: strconv.FormatInt(c.rv, 10),
		CreationTimestamp: metav1.NewTime(created.Truncate(time.Second)), Annotations: annotations,
	}
}

// uid is a stable version-4-shaped UUID for an object.
func uid(kind, ns, name string) types.UID {
	h := sha256.Sum256([]byte(kind + "/" + ns + "/" + name))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return types.UID(x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32])
}

func resources(cpu, mem string, gpu int) corev1.ResourceList {
	l := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
	if gpu > 0 {
		l[gpuResource] = *resource.NewQuantity(int64(gpu), resource.DecimalSI)
	}
	return l
}

// nodeIP reads the address out of an EKS node name (ip-10-0-11-42 → 10.0.11.42).
func nodeIP(node string) string {
	return strings.ReplaceAll(strings.TrimPrefix(strings.TrimSuffix(node, ".ec2.internal"), "ip-"), "-", ".")
}

func podIP(node, pod string) string {
	h := fnv.New32a()
	h.Write([]byte(pod))
	ip := nodeIP(node)
	return ip[:strings.LastIndex(ip, ".")+1] + strconv.Itoa(int(h.Sum32()%200)+20)
}

func clusterNodes() []*corev1.Node {
	type def struct {
		name, zone, itype, group, instance string
		cpu, mem, allocCPU, allocMem       string
		pods, gpu                          int
	}
	var out []*corev1.Node
	for _, d := range []def{
		{cpuNodeA, "us-east-1a", "m6i.4xlarge", "cpu-general", "i-0a1b2c3d4e5f60718", "16", "64850832Ki", "15890m", "63834000Ki", 234, 0},
		{cpuNodeB, "us-east-1b", "m6i.4xlarge", "cpu-general", "i-0f9e8d7c6b5a40392", "16", "64850832Ki", "15890m", "63834000Ki", 234, 0},
		{gpuNode, "us-east-1c", "g5.2xlarge", "gpu-a10g", "i-07c3e5a9b1d2f4608", "8", "32386952Ki", "7910m", "31370120Ki", 58, 1},
	} {
		created := at("2026-08-10T03:41:17Z")
		labels := map[string]string{
			"kubernetes.io/hostname": d.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
			"node.kubernetes.io/instance-type": d.itype, "topology.kubernetes.io/region": "us-east-1",
			"topology.kubernetes.io/zone": d.zone, "eks.amazonaws.com/nodegroup": d.group,
			"eks.amazonaws.com/capacityType": "ON_DEMAND",
		}
		capacity := corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(d.cpu), corev1.ResourceMemory: resource.MustParse(d.mem),
			corev1.ResourcePods: *resource.NewQuantity(int64(d.pods), resource.DecimalSI), corev1.ResourceEphemeralStorage: resource.MustParse("104845292Ki"),
		}
		alloc := corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(d.allocCPU), corev1.ResourceMemory: resource.MustParse(d.allocMem),
			corev1.ResourcePods: *resource.NewQuantity(int64(d.pods), resource.DecimalSI), corev1.ResourceEphemeralStorage: resource.MustParse("95551679124"),
		}
		var taints []corev1.Taint
		if d.gpu > 0 {
			labels["nvidia.com/gpu.present"] = "true"
			labels["nvidia.com/gpu.product"] = "NVIDIA-A10G"
			capacity[gpuResource] = *resource.NewQuantity(int64(d.gpu), resource.DecimalSI)
			alloc[gpuResource] = *resource.NewQuantity(int64(d.gpu), resource.DecimalSI)
			taints = []corev1.Taint{{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}}
		}
		ready := at("2026-08-10T03:42:02Z")
		cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
			return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg,
				LastHeartbeatTime: metav1.NewTime(at("2026-08-14T05:58:12Z")), LastTransitionTime: metav1.NewTime(ready)}
		}
		sum := sha256.Sum256([]byte(d.name))
		id := hex.EncodeToString(sum[:16])
		out = append(out, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: d.name, UID: uid("Node", "", d.name), ResourceVersion: "50998" + strconv.Itoa(len(out)+101),
				CreationTimestamp: metav1.NewTime(created), Labels: labels,
				Annotations: map[string]string{"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
			Spec: corev1.NodeSpec{ProviderID: "aws:///" + d.zone + "/" + d.instance, Taints: taints},
			Status: corev1.NodeStatus{
				Capacity: capacity, Allocatable: alloc,
				Conditions: []corev1.NodeCondition{
					cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
					cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
					cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
					cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"),
				},
				Addresses: []corev1.NodeAddress{
					{Type: corev1.NodeInternalIP, Address: nodeIP(d.name)},
					{Type: corev1.NodeInternalDNS, Address: d.name},
					{Type: corev1.NodeHostName, Address: d.name},
				},
				DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
				NodeInfo: corev1.NodeSystemInfo{
					MachineID: id, SystemUUID: "ec2" + id[3:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:32], BootID: string(uid("boot", "", d.name)),
					KernelVersion: "6.12.40-63.114.amzn2023.x86_64", OSImage: "Amazon Linux 2023.8.20250818",
					ContainerRuntimeVersion: "containerd://2.1.4", KubeletVersion: "v1.35.2-eks-7f1a3c9",
					OperatingSystem: "linux", Architecture: "amd64",
				},
			},
		})
	}
	return out
}

// shardKey is the FlyteWorkflow's shard-key label: fnv32a(execution name) % 32.
func shardKey(exec string) string {
	h := fnv.New32a()
	h.Write([]byte(exec))
	return strconv.Itoa(int(h.Sum32() % 32))
}

// rawDir is the attempt's raw output directory: <raw prefix>/<base36 shard>/<generated name>.
func rawDir(pod string) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	h := fnv.New32a()
	h.Write([]byte(pod))
	i := h.Sum32() % (36 * 36)
	return fmt.Sprintf("%s/%c%c/%s", rawPrefix, chars[i/36], chars[i%36], pod)
}

// podRef says which attempt a pod runs and where its data lives.
type podRef struct {
	exec     *admin.Execution
	name     string // generated name
	specID   string // template node id (node-id label)
	task     string // task name
	retry    uint32
	created  time.Time
	inputs   string
	outDir   string
	prevName string // previous attempt's pod, for --prev-checkpoint
}

// attemptRef is the podRef of a node's task attempt, read from the Admin fixture.
func attemptRef(r *run, n *node, retry uint32) podRef {
	te := n.task(retry)
	ref := podRef{
		exec: r.ef.Execution, name: te.GetClosure().GetMetadata().GetGeneratedName(),
		specID: n.fx.NodeExecution.GetMetadata().GetSpecNodeId(), task: te.GetId().GetTaskId().GetName(),
		retry: retry, created: te.GetClosure().GetCreatedAt().AsTime(),
		inputs: n.dataDir + "/inputs.pb", outDir: fmt.Sprintf("%s/%d", n.dataDir, retry),
	}
	if retry > 0 {
		ref.prevName = n.task(retry - 1).GetClosure().GetMetadata().GetGeneratedName()
	}
	return ref
}

// subtaskRef is the podRef of an array node's subtask, one external resource of its attempt.
func subtaskRef(r *run, arr *node, index int) podRef {
	te := arr.task(0)
	res := te.GetClosure().GetMetadata().GetExternalResources()[index]
	return podRef{
		exec: r.ef.Execution, name: res.GetExternalId(), specID: fmt.Sprintf("n%d", index), task: te.GetId().GetTaskId().GetName(),
		retry: res.GetRetryAttempt(), created: te.GetClosure().GetCreatedAt().AsTime().Add(time.Duration(400+index*35) * ms),
		inputs: fmt.Sprintf("%s/%d/%d/inputs.pb", arr.dataDir, index, res.GetRetryAttempt()),
		outDir: fmt.Sprintf("%s/0/%d/%d", arr.dataDir, index, res.GetRetryAttempt()),
	}
}

// podOpts is what differs between task pods.
type podOpts struct {
	image         string
	cpu, mem      string // requests = limits
	gpu           int
	interruptible bool
	env           []corev1.EnvVar
	labels        map[string]string
	tolerations   []corev1.Toleration
}

// pod is the pod flytepropeller creates for an attempt (labels, owner, container args, env,
// resources) plus what admission adds (IRSA, service account token, default tolerations).
// Its status is Pending and unscheduled; callers move it on.
func (c *cluster) pod(ref podRef, o podOpts) *corev1.Pod {
	exec := ref.exec.GetId().GetName()
	wf := ref.exec.GetClosure().GetWorkflowId().GetName()
	labels := map[string]string{
		"execution-id": exec, "project": project, "domain": domain,
		"workflow-name": kube.SanitizeLabel(wf), "shard-key": shardKey(exec),
		"node-id": kube.SanitizeLabel(ref.specID), "task-name": kube.SanitizeLabel(ref.task),
		"interruptible": strconv.FormatBool(o.interruptible),
	}
	for k, v := range ref.exec.GetSpec().GetLabels().GetValues() {
		labels[k] = v
	}
	for k, v := range o.labels {
		labels[k] = v
	}
	if o.image == "" {
		o.image = image
	}
	if o.cpu == "" {
		o.cpu, o.mem = "1", "2Gi"
	}
	module, fn := ref.task[:strings.LastIndex(ref.task, ".")], ref.task[strings.LastIndex(ref.task, ".")+1:]
	prev := `""`
	if ref.prevName != "" {
		prev = rawDir(ref.prevName) + "/_flytecheckpoints"
	}
	raw := rawDir(ref.name)
	env := []corev1.EnvVar{
		{Name: "FLYTE_INTERNAL_EXECUTION_WORKFLOW", Value: project + ":" + domain + ":" + wf},
		{Name: "FLYTE_INTERNAL_EXECUTION_ID", Value: exec},
		{Name: "FLYTE_INTERNAL_EXECUTION_PROJECT", Value: project},
		{Name: "FLYTE_INTERNAL_EXECUTION_DOMAIN", Value: domain},
		{Name: "FLYTE_ATTEMPT_NUMBER", Value: strconv.Itoa(int(ref.retry))},
		{Name: "FLYTE_INTERNAL_TASK_PROJECT", Value: project},
		{Name: "FLYTE_INTERNAL_TASK_DOMAIN", Value: domain},
		{Name: "FLYTE_INTERNAL_TASK_NAME", Value: ref.task},
		{Name: "FLYTE_INTERNAL_TASK_VERSION", Value: regVersion},
		{Name: "FLYTE_INTERNAL_PROJECT", Value: project},
		{Name: "FLYTE_INTERNAL_DOMAIN", Value: domain},
		{Name: "FLYTE_INTERNAL_NAME", Value: ref.task},
		{Name: "FLYTE_INTERNAL_VERSION", Value: regVersion},
	}
	env = append(env, o.env...)
	env = append(env, // the EKS pod identity webhook
		corev1.EnvVar{Name: "AWS_STS_REGIONAL_ENDPOINTS", Value: "regional"},
		corev1.EnvVar{Name: "AWS_DEFAULT_REGION", Value: cwRegion},
		corev1.EnvVar{Name: "AWS_REGION", Value: cwRegion},
		corev1.EnvVar{Name: "AWS_ROLE_ARN", Value: taskRoleARN},
		corev1.EnvVar{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: irsaTokenDir + "/token"},
	)
	res := resources(o.cpu, o.mem, o.gpu)
	tokenVol := "kube-api-access-" + string(uid("token", namespace, ref.name))[:5]
	day, hour, mode := int64(86400), int64(3607), int32(420)
	grace, prio := int64(30), int32(0)
	links, preempt := true, corev1.PreemptLowerPriority
	tolerationSecs := int64(300)
	p := &corev1.Pod{
		ObjectMeta: c.meta("Pod", namespace, ref.name, ref.created, map[string]string{"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}),
		Spec: corev1.PodSpec{
			Volumes: []corev1.Volume{
				{Name: "aws-iam-token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultMode: &mode,
					Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: "sts.amazonaws.com", ExpirationSeconds: &day, Path: "token"}}}}}},
				{Name: tokenVol, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultMode: &mode, Sources: []corev1.VolumeProjection{
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: &hour, Path: "token"}},
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
						Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
					{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
						FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
				}}}},
			},
			Containers: []corev1.Container{{
				Name: ref.name, Image: o.image,
				Args: []string{"pyflyte-execute", "--inputs", ref.inputs, "--output-prefix", ref.outDir, "--raw-output-data-prefix", raw,
					"--checkpoint-path", raw + "/_flytecheckpoints", "--prev-checkpoint", prev,
					"--resolver", "flytekit.core.python_auto_container.default_task_resolver", "--", "task-module", module, "task-name", fn},
				Env:       env,
				Resources: corev1.ResourceRequirements{Requests: res, Limits: res},
				VolumeMounts: []corev1.VolumeMount{
					{Name: tokenVol, ReadOnly: true, MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"},
					{Name: "aws-iam-token", ReadOnly: true, MountPath: irsaTokenDir},
				},
				TerminationMessagePath:   corev1.TerminationMessagePathDefault,
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				ImagePullPolicy:          corev1.PullIfNotPresent,
			}},
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &grace,
			DNSPolicy:                     corev1.DNSClusterFirst,
			ServiceAccountName:            "default",
			DeprecatedServiceAccount:      "default",
			SecurityContext:               &corev1.PodSecurityContext{},
			SchedulerName:                 corev1.DefaultSchedulerName,
			Tolerations: append(o.tolerations,
				corev1.Toleration{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &tolerationSecs},
				corev1.Toleration{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &tolerationSecs},
			),
			Priority:           &prio,
			EnableServiceLinks: &links,
			PreemptionPolicy:   &preempt,
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending, QOSClass: corev1.PodQOSGuaranteed},
	}
	p.Labels = labels
	p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "flyte.lyft.com/v1alpha1", Kind: "flyteworkflow", Name: exec,
		UID: uid("flyteworkflow", namespace, exec), Controller: ptr(true), BlockOwnerDeletion: ptr(true)}}
	c.add(p)
	return p
}

func ptr[T any](v T) *T { return &v }

func cond(t corev1.PodConditionType, ok bool, when time.Time, reason, msg string) corev1.PodCondition {
	s := corev1.ConditionFalse
	if ok {
		s = corev1.ConditionTrue
	}
	return corev1.PodCondition{Type: t, Status: s, LastTransitionTime: metav1.NewTime(when.Truncate(time.Second)), Reason: reason, Message: msg}
}

// bind schedules the pod on a node: the scheduler's Scheduled event, the node's addresses.
func (c *cluster) bind(p *corev1.Pod, node string, when time.Time) {
	p.Spec.NodeName = node
	p.Status.HostIP, p.Status.PodIP = nodeIP(node), podIP(node, p.Name)
	p.Status.HostIPs = []corev1.HostIP{{IP: p.Status.HostIP}}
	p.Status.PodIPs = []corev1.PodIP{{IP: p.Status.PodIP}}
	p.Status.StartTime = ptr(metav1.NewTime(when.Add(time.Second).Truncate(time.Second)))
	c.schedulerEvent(p, corev1.EventTypeNormal, "Scheduled", "Binding",
		fmt.Sprintf("Successfully assigned %s/%s to %s", p.Namespace, p.Name, node), when, 0, time.Time{})
}

// waiting: scheduled, the container not started (ImagePullBackOff, CreateContainerConfigError, ...).
func waiting(p *corev1.Pod, sched, notReady time.Time, reason, msg string) {
	unready := unready(p.Spec.Containers[0].Name)
	p.Status.Phase = corev1.PodPending
	p.Status.Conditions = []corev1.PodCondition{
		cond("PodReadyToStartContainers", true, notReady, "", ""),
		cond(corev1.PodInitialized, true, sched, "", ""),
		cond(corev1.PodReady, false, notReady, "ContainersNotReady", unready),
		cond(corev1.ContainersReady, false, notReady, "ContainersNotReady", unready),
		cond(corev1.PodScheduled, true, sched, "", ""),
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: p.Spec.Containers[0].Name, Image: p.Spec.Containers[0].Image, Started: ptr(false),
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}},
	}}
}

// terminated: the container ran and exited; the pod Succeeded (exit 0) or Failed.
func terminated(p *corev1.Pod, sched, started, finished time.Time, exit int32, reason, msg string) {
	phase, ready := corev1.PodSucceeded, "PodCompleted"
	if exit != 0 {
		phase, ready = corev1.PodFailed, "PodFailed"
	}
	p.Status.Phase = phase
	p.Status.Conditions = []corev1.PodCondition{
		cond("PodReadyToStartContainers", false, finished.Add(time.Second), "", ""),
		cond(corev1.PodInitialized, true, sched, "", ""),
		cond(corev1.PodReady, false, finished, ready, ""),
		cond(corev1.ContainersReady, false, finished, ready, ""),
		cond(corev1.PodScheduled, true, sched, "", ""),
	}
	ctr := p.Spec.Containers[0]
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: ctr.Name, Image: ctr.Image, ImageID: imageRef(ctr.Image), ContainerID: "containerd://" + containerID(p.Name), Started: ptr(false),
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: exit, Reason: reason, Message: msg, ContainerID: "containerd://" + containerID(p.Name),
			StartedAt: metav1.NewTime(started.Truncate(time.Second)), FinishedAt: metav1.NewTime(finished.Truncate(time.Second)),
		}},
	}}
}

// shutDown marks a failed pod as killed by kubelet's graceful node shutdown.
func shutDown(p *corev1.Pod, finished time.Time) {
	p.Status.Reason, p.Status.Message = "Terminated", nodeShutdownMsg
	p.Status.Conditions = append([]corev1.PodCondition{
		cond(corev1.DisruptionTarget, true, finished.Add(-20*time.Second), "TerminationByKubelet", nodeShutdownMsg),
	}, p.Status.Conditions...)
}

// processTimes are the container start and end Admin recorded for an attempt.
func processTimes(te *admin.TaskExecution) (started, finished time.Time) {
	proc := te.GetClosure().GetLogContext().GetPods()[0].GetContainers()[0].GetProcess()
	return proc.GetContainerStartTime().AsTime(), proc.GetContainerEndTime().AsTime()
}

// running: the container is up.
func running(p *corev1.Pod, sched, started time.Time) {
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{
		cond("PodReadyToStartContainers", true, started.Add(-time.Second), "", ""),
		cond(corev1.PodInitialized, true, sched, "", ""),
		cond(corev1.PodReady, true, started, "", ""),
		cond(corev1.ContainersReady, true, started, "", ""),
		cond(corev1.PodScheduled, true, sched, "", ""),
	}
	ctr := p.Spec.Containers[0]
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: ctr.Name, Image: ctr.Image, ImageID: imageRef(ctr.Image), ContainerID: "containerd://" + containerID(p.Name),
		Ready: true, Started: ptr(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(started.Truncate(time.Second))}},
	}}
}

func imageRef(img string) string {
	return img[:strings.LastIndex(img, ":")] + "@" + imageDigest
}

// ref is an event's involvedObject for a pod, or for its container when field is set.
func podObjRef(p *corev1.Pod, container bool) corev1.ObjectReference {
	r := corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID, APIVersion: "v1", ResourceVersion: p.ResourceVersion}
	if container {
		r.FieldPath = "spec.containers{" + p.Spec.Containers[0].Name + "}"
	}
	return r
}

// recorded is an event from client-go's record package (kubelet, controllers): source, count,
// first and last timestamps.
func (c *cluster) recorded(obj corev1.ObjectReference, ns, component, host, typ, reason, msg string, count int32, first, last time.Time) {
	if last.IsZero() {
		last = first
	}
	name := c.eventName(obj.Name, first)
	c.add(&corev1.Event{
		ObjectMeta:     c.meta("Event", ns, name, first, nil),
		InvolvedObject: obj, Reason: reason, Message: msg,
		Source:         corev1.EventSource{Component: component, Host: host},
		FirstTimestamp: metav1.NewTime(first.Truncate(time.Second)), LastTimestamp: metav1.NewTime(last.Truncate(time.Second)),
		Count: count, Type: typ, ReportingController: component, ReportingInstance: host,
	})
}

// kubelet records a kubelet event about the pod's container.
func (c *cluster) kubelet(p *corev1.Pod, typ, reason, msg string, count int32, first, last time.Time) {
	c.recorded(podObjRef(p, true), p.Namespace, "kubelet", p.Spec.NodeName, typ, reason, msg, count, first, last)
}

// schedulerEvent is an events.k8s.io event read through core/v1: eventTime, action, reporting
// fields and a series, but no source, count or first/last timestamps.
func (c *cluster) schedulerEvent(p *corev1.Pod, typ, reason, action, msg string, first time.Time, series int32, last time.Time) {
	e := &corev1.Event{
		ObjectMeta:     c.meta("Event", p.Namespace, c.eventName(p.Name, first), first, nil),
		InvolvedObject: podObjRef(p, false), Reason: reason, Message: msg, Type: typ,
		EventTime: metav1.NewMicroTime(first.Truncate(time.Microsecond)), Action: action,
		ReportingController: corev1.DefaultSchedulerName, ReportingInstance: schedulerID,
	}
	if series > 1 {
		e.Series = &corev1.EventSeries{Count: series, LastObservedTime: metav1.NewMicroTime(last.Truncate(time.Microsecond))}
	}
	c.add(e)
}

// ran adds the kubelet events of a container that was created and started.
func (c *cluster) ran(p *corev1.Pod, started time.Time) {
	img := p.Spec.Containers[0].Image
	c.kubelet(p, corev1.EventTypeNormal, "Pulled", fmt.Sprintf("Container image %q already present on machine", img), 1, started.Add(-900*ms), time.Time{})
	c.kubelet(p, corev1.EventTypeNormal, "Created", "Created container: "+p.Spec.Containers[0].Name, 1, started.Add(-700*ms), time.Time{})
	c.kubelet(p, corev1.EventTypeNormal, "Started", "Started container "+p.Spec.Containers[0].Name, 1, started.Add(-200*ms), time.Time{})
}

// foreignPod is a running pod of another execution in the namespace, with its Started event:
// objects the collector must leave out.
func (c *cluster) foreignPod(exec, wf, specID, task, node string, created time.Time, o podOpts, events bool) *corev1.Pod {
	name := podName(exec, specID, 0)
	e := &admin.Execution{Id: execID(exec), Spec: &admin.ExecutionSpec{Labels: &admin.Labels{Values: map[string]string{"team": "analytics"}}},
		Closure: &admin.ExecutionClosure{WorkflowId: ident(core.ResourceType_WORKFLOW, wf)}}
	dir := fmt.Sprintf("%s/%s/data", metaDir(exec), specID)
	p := c.pod(podRef{exec: e, name: name, specID: specID, task: task, created: created, inputs: dir + "/inputs.pb", outDir: dir + "/0"}, o)
	c.bind(p, node, created.Add(310*ms))
	started := created.Add(2600 * ms)
	running(p, created.Add(310*ms), started)
	if events {
		c.ran(p, started)
	} else { // older than the apiserver's one-hour event TTL
		c.objs = slices.DeleteFunc(c.objs, func(o runtime.Object) bool {
			e, ok := o.(*corev1.Event)
			return ok && e.InvolvedObject.Name == p.Name
		})
	}
	return p
}

// quota adds the namespace's project-quota with usage summed over the non-terminal pods, as
// the quota controller counts it.
func (c *cluster) quota() {
	used := corev1.ResourceList{
		"limits.cpu": resource.MustParse("0"), "limits.memory": resource.MustParse("0"),
		"requests.nvidia.com/gpu": resource.MustParse("0"), corev1.ResourcePods: resource.MustParse("0"),
	}
	add := func(name corev1.ResourceName, q resource.Quantity) {
		v := used[name]
		v.Add(q)
		used[name] = v
	}
	for _, o := range c.objs {
		p, ok := o.(*corev1.Pod)
		if !ok || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		add(corev1.ResourcePods, resource.MustParse("1"))
		for _, ctr := range p.Spec.Containers {
			add("limits.cpu", ctr.Resources.Limits[corev1.ResourceCPU])
			add("limits.memory", ctr.Resources.Limits[corev1.ResourceMemory])
			if g, ok := ctr.Resources.Requests[gpuResource]; ok {
				add("requests.nvidia.com/gpu", g)
			}
		}
	}
	hard := corev1.ResourceList{
		"limits.cpu": resource.MustParse("64"), "limits.memory": resource.MustParse("256Gi"),
		"requests.nvidia.com/gpu": resource.MustParse("4"), corev1.ResourcePods: resource.MustParse("200"),
	}
	c.add(&corev1.ResourceQuota{
		ObjectMeta: c.meta("ResourceQuota", namespace, "project-quota", at("2026-03-02T10:14:08Z"), nil),
		Spec:       corev1.ResourceQuotaSpec{Hard: hard},
		Status:     corev1.ResourceQuotaStatus{Hard: hard, Used: used},
	})
}

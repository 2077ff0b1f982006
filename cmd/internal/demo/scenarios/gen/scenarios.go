package gen

import (
	"fmt"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo/s3stub"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/event"
)

const (
	ms  = time.Millisecond
	sec = time.Second
)

// Scenarios lists the demo scenarios.
func Scenarios() []Scenario {
	return []Scenario{
		{"image-pull", imagePull},
		{"subworkflow", subworkflow},
		{"healthy", healthy},
		{"dynamic-fanout", dynamicFanout},
		{"fanout-denied", fanoutDenied},
		{"child-launchplan", childLaunchPlan},
		{"array-node", arrayNode},
		{"unschedulable", unschedulable},
		{"storage-permission", storagePermission},
		{"image-change-before", imageChangeBefore},
		{"image-change", imageChange},
	}
}

func unready(pod string) string { return fmt.Sprintf("containers with unready status: [%s]", pod) }

// succeededTask adds a node whose single attempt succeeded.
func (r *run) succeededTask(specID, task string, created time.Time, dur time.Duration, parent *node) *node {
	n := r.node(nodeParams{specID: specID, phase: core.NodeExecution_SUCCEEDED, created: created, queued: 150 * ms,
		dur: dur, task: true}, parent)
	pod := podName(r.name, n.uniqueID, 0)
	r.attempt(n, attemptParams{task: task, phase: core.TaskExecution_SUCCEEDED, created: created.Add(210 * ms),
		queued: 2400 * ms, dur: dur - 2700*ms, running: true, reasons: []reason{
			{0, "task submitted to K8s"},
			{300 * ms, "Scheduling"},
			{1900 * ms, "[ContainersNotReady|ContainerCreating]: " + unready(pod) + "|"},
		}})
	return n
}

// imagePull: the training task's image tag does not exist; the pod sits in ImagePullBackOff
// until the 3m grace period ends, the attempt fails (retryable, USER) and, with no retries
// left, the node fails with RetriesExhausted.
func imagePull() Built {
	const name = "a4t8tqkzr9xw2bnl5mfd"
	const image = "ghcr.io/acme/trainer:v1.2.3" // the tag was never pushed
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-14T09:12:03.418Z")
	pod := podName(name, "n1", 0)
	taskErr := &core.ExecutionError{
		Code:    "ContainersNotReady|ImagePullBackOff",
		Kind:    core.ExecutionError_USER,
		Message: fmt.Sprintf("Grace period [3m0s] exceeded|%s|Back-off pulling image %q", unready(pod), image),
	}
	nodeErr := retriesExhausted(1, 1, taskErr)
	pullErr := fmt.Sprintf("Failed to pull image %q: rpc error: code = NotFound desc = failed to pull and unpack image %q: failed to resolve reference %q: %s: not found",
		image, image, image, image)
	r := newRun(f, execParams{
		name: name, workflow: "workflows.train.training_wf", phase: core.WorkflowExecution_FAILED,
		created: t0, started: 609 * ms, duration: 229*sec + 412*ms, err: nodeErr,
		inputs: map[string]*core.Literal{"epochs": intLit(5), "dataset": strLit("s3://acme-ml-datasets/imagenet-mini/v3")},
	})
	r.startNode(t0.Add(694*ms), nil)
	r.succeededTask("n0", "workflows.train.fetch_data", t0.Add(883*ms), 41*sec+212*ms, nil)
	n1c := t0.Add(42*sec + 611*ms)
	n1 := r.node(nodeParams{specID: "n1", phase: core.NodeExecution_FAILED, created: n1c, queued: 170 * ms,
		dur: 186*sec + 402*ms, err: nodeErr, task: true}, nil)
	r.attempt(n1, attemptParams{
		task: "workflows.train.train_model", phase: core.TaskExecution_FAILED, created: n1c.Add(230 * ms),
		dur: 185*sec + 904*ms, err: taskErr,
		reasons: []reason{
			{0, "task submitted to K8s"},
			{412 * ms, "Scheduling"},
			{3*sec + 640*ms, "[ContainersNotReady|ContainerCreating]: " + unready(pod) + "|"},
			{5*sec + 118*ms, fmt.Sprintf("[ContainersNotReady|ErrImagePull]: %s|%s", unready(pod), pullErr)},
			{19*sec + 702*ms, fmt.Sprintf("[ContainersNotReady|ImagePullBackOff]: %s|Back-off pulling image %q", unready(pod), image)},
		},
	})

	// The pod is still in back-off when flytedoctor runs, 4.5 minutes after it was created.
	now := t0.Add(5*time.Minute + 17*sec)
	k := newCluster(now)
	ref := attemptRef(r, n1, 0)
	p := k.pod(ref, podOpts{image: image, cpu: "4", mem: "16Gi"})
	c := ref.created
	k.bind(p, cpuNodeA, c.Add(430*ms))
	waiting(p, c.Add(430*ms), c.Add(3640*ms), "ImagePullBackOff", fmt.Sprintf("Back-off pulling image %q", image))
	lastPull := c.Add(1*time.Minute + 57*sec + 310*ms)
	k.kubelet(p, corev1.EventTypeNormal, "Pulling", fmt.Sprintf("Pulling image %q", image), 4, c.Add(3910*ms), lastPull)
	k.kubelet(p, corev1.EventTypeWarning, "Failed", pullErr, 4, c.Add(5*sec+40*ms), lastPull.Add(1130*ms))
	k.kubelet(p, corev1.EventTypeWarning, "Failed", "Error: ErrImagePull", 4, c.Add(5*sec+40*ms), lastPull.Add(1130*ms))
	k.kubelet(p, corev1.EventTypeNormal, "BackOff", fmt.Sprintf("Back-off pulling image %q", image), 11, c.Add(6*sec+220*ms), now.Add(-9*sec))
	k.kubelet(p, corev1.EventTypeWarning, "Failed", "Error: ImagePullBackOff", 11, c.Add(6*sec+220*ms), now.Add(-9*sec))
	k.foreignPod(foreignExec, foreignWF, "n2", foreignTask, cpuNodeB, now.Add(-6*time.Minute-12*sec), podOpts{}, true)
	k.quota()
	st := newStore()
	st.fixture(f)
	return Built{Admin: f, Kube: k.objs, Storage: st.spec()}
}

// subworkflow: the aggregate step of a sub-workflow is OOM-killed on both attempts; its
// RetriesExhausted error passes unchanged up to the sub-workflow node and the execution.
func subworkflow() Built {
	const name = "f8kq2vzt6mwx9rjd4hpb"
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-13T02:00:07.052Z")
	sub := &node{uniqueID: "n1", dataDir: metaDir(name) + "/n1/data"}
	aggID := uniqueID(sub.uniqueID, "n1")
	tail := strings.Join([]string{
		"INFO:root:Loaded 48213771 rows from s3://acme-etl/raw/2026-08-12/",
		"INFO:root:Joining orders with customers on customer_id",
		"INFO:root:Building pivot table over 912 columns",
	}, "\n")
	oom0 := oomKilled(podName(name, aggID, 0), tail)
	oom1 := oomKilled(podName(name, aggID, 1), tail)
	nodeErr := retriesExhausted(2, 2, oom1)
	r := newRun(f, execParams{
		name: name, workflow: "workflows.etl.nightly_etl_wf", phase: core.WorkflowExecution_FAILED,
		created: t0, started: 512 * ms, duration: 21*time.Minute + 48*sec + 233*ms, err: nodeErr,
		inputs: map[string]*core.Literal{"run_date": strLit("2026-08-12")},
	})
	r.startNode(t0.Add(601*ms), nil)
	r.succeededTask("n0", "workflows.etl.extract", t0.Add(790*ms), 3*time.Minute+12*sec+409*ms, nil)

	n1c := t0.Add(3*time.Minute + 14*sec + 20*ms)
	n1 := r.node(nodeParams{specID: "n1", phase: core.NodeExecution_FAILED, created: n1c, queued: 95 * ms,
		dur: 18*time.Minute + 33*sec + 880*ms, err: nodeErr, subworkflow: true}, nil)
	r.startNode(n1c.Add(180*ms), n1)
	r.succeededTask("n0", "workflows.etl.clean", n1c.Add(402*ms), 5*time.Minute+2*sec+77*ms, n1)

	aggC := n1c.Add(5*time.Minute + 3*sec + 611*ms)
	agg := r.node(nodeParams{specID: "n1", phase: core.NodeExecution_FAILED, created: aggC, queued: 140 * ms,
		dur: 13*time.Minute + 29*sec + 515*ms, err: nodeErr, task: true}, n1)
	for retry, e := range []*core.ExecutionError{oom0, oom1} {
		start := aggC.Add(time.Duration(retry) * (6*time.Minute + 51*sec))
		pod := podName(name, aggID, uint32(retry))
		r.attempt(agg, attemptParams{
			task: "workflows.etl.aggregate", retry: uint32(retry), phase: core.TaskExecution_FAILED,
			created: start.Add(200 * ms), queued: 2900 * ms, dur: 6*time.Minute + 37*sec + 318*ms, err: e, running: true,
			reasons: []reason{
				{0, "task submitted to K8s"},
				{350 * ms, "Scheduling"},
				{2100 * ms, "[ContainersNotReady|ContainerCreating]: " + unready(pod) + "|"},
			},
		})
	}

	// Attempt 0's pod is gone (its events are not, for an hour); attempt 1's pod is Failed.
	now := t0.Add(26*time.Minute + 24*sec)
	k := newCluster(now)
	for retry, node := range []string{cpuNodeB, cpuNodeA} {
		ref := attemptRef(r, agg, uint32(retry))
		p := k.pod(ref, podOpts{cpu: "2", mem: "2Gi"})
		k.bind(p, node, ref.created.Add(370*ms))
		started, finished := processTimes(agg.task(uint32(retry)))
		terminated(p, ref.created.Add(370*ms), started, finished, 137, "OOMKilled", tail)
		k.ran(p, started)
		if retry == 0 {
			k.remove(p)
		}
	}
	k.foreignPod(foreignExec, foreignWF, "n2", foreignTask, cpuNodeB, now.Add(-5*time.Minute-48*sec), podOpts{}, true)
	k.quota()
	st := newStore()
	st.fixture(f)
	return Built{Admin: f, Kube: k.objs, Storage: st.spec()}
}

// healthy: a succeeded three-task workflow.
func healthy() Built {
	const name = "c2n7wpx4kd9tq8zbm5rf"
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-14T11:40:21.907Z")
	r := newRun(f, execParams{
		name: name, workflow: "workflows.example.wf", phase: core.WorkflowExecution_SUCCEEDED,
		created: t0, started: 488 * ms, duration: 2*time.Minute + 9*sec + 330*ms,
		inputs: map[string]*core.Literal{"name": strLit("flytedoctor")},
	})
	r.startNode(t0.Add(570*ms), nil)
	r.succeededTask("n0", "workflows.example.say_hello", t0.Add(744*ms), 38*sec+105*ms, nil)
	r.succeededTask("n1", "workflows.example.greeting_length", t0.Add(39*sec+410*ms), 41*sec+722*ms, nil)
	r.succeededTask("n2", "workflows.example.report", t0.Add(81*sec+690*ms), 47*sec+18*ms, nil)
	r.node(nodeParams{specID: "end-node", phase: core.NodeExecution_SUCCEEDED, created: t0.Add(129*sec + 301*ms)}, nil)

	// The finished pods are gone.
	now := t0.Add(12*time.Minute + 40*sec)
	k := newCluster(now)
	k.foreignPod(foreignExec, foreignWF, "n2", foreignTask, cpuNodeB, now.Add(-4*time.Minute-3*sec), podOpts{}, true)
	k.quota()
	st := newStore()
	st.fixture(f)
	return Built{Admin: f, Kube: k.objs, Storage: st.spec()}
}

// dynamicFanout: a dynamic task fans out to 1,000 shards; three fail in different ways
// (user ValueError, S3 403 while downloading inputs, node preemption). Succeeded shards carry
// no task attempts to keep the file small.
func dynamicFanout() Built {
	const name = "d9rk4mt2xw7bq5zn8vpc"
	const shards = 1000
	const shardTask = "workflows.fanout.process_shard"
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-14T06:30:00.311Z")
	dyn := &node{uniqueID: "n0", dataDir: metaDir(name) + "/n0/data"}
	n0c := t0.Add(801 * ms)
	// Shards start in waves of max_parallelism 50 and take 20-60s each.
	shardTimes := func(i int) (created time.Time, dur time.Duration) {
		return n0c.Add(33*sec + time.Duration(i/50)*27*sec + time.Duration(i%50)*37*ms), 20*sec + time.Duration((i*7919)%40000)*ms
	}

	valueErrID := uniqueID("n0", "dn137")
	c137, d137 := shardTimes(137)
	valueErr := flytekitError("USER:ValueError", core.ExecutionError_USER, dyn.dataDir+"/0/dn137", 0,
		c137.Add(d137-810*ms), podName(name, valueErrID, 0), flytekitTrace([]string{
			`  File "/root/workflows/fanout.py", line 58, in process_shard`,
			`    rows = parse_shard(shard_uri)`,
			`  File "/root/workflows/fanout.py", line 31, in parse_shard`,
			`    raise ValueError(f"shard {shard_uri} has 0 rows")`,
		}, "ValueError", "shard s3://acme-ml-datasets/events/2026-08-13/part-00137.parquet has 0 rows"))

	s3ID := uniqueID("n0", "dn512")
	var s3Errs []*core.ExecutionError
	c512, _ := shardTimes(512)
	for retry := range uint32(3) {
		s3Errs = append(s3Errs, downloadError(dyn.dataDir+"/0/dn512", retry, c512.Add(time.Duration(retry)*41*sec+39*sec),
			podName(name, s3ID, retry), "flyte-8y2k1c0q"))
	}

	// dn871's nodes were shut down under it three times (kubelet graceful node shutdown).
	preemptID := uniqueID("n0", "dn871")
	const preemptTail = "INFO:root:processing shard 871: 412000/1200000 rows"
	var preemptErrs []*core.ExecutionError
	for retry := range uint32(3) {
		preemptErrs = append(preemptErrs, &core.ExecutionError{
			Code: "Interrupted", Kind: core.ExecutionError_SYSTEM,
			Message: podFailureMsg(nodeShutdownMsg, podName(name, preemptID, retry), 137, "Error", preemptTail),
		})
	}

	// The dynamic workflow runs every shard it can, then fails with the first failure it met;
	// that error is passed up unchanged. Durations are set once the last shard is placed.
	r := newRun(f, execParams{
		name: name, workflow: "workflows.fanout.process_all", phase: core.WorkflowExecution_FAILED,
		created: t0, started: 540 * ms, err: valueErr,
		inputs: map[string]*core.Literal{"date": strLit("2026-08-13"), "shards": intLit(shards)},
	})
	r.startNode(t0.Add(620*ms), nil)
	n0 := r.node(nodeParams{specID: "n0", phase: core.NodeExecution_FAILED, created: n0c, queued: 133 * ms,
		err: valueErr, task: true, dynamic: true}, nil)
	fanOut := r.attempt(n0, attemptParams{task: "workflows.fanout.fan_out", phase: core.TaskExecution_SUCCEEDED,
		created: n0c.Add(190 * ms), queued: 2300 * ms, dur: 31*sec + 77*ms, running: true,
		reasons: []reason{{0, "task submitted to K8s"}, {280 * ms, "Scheduling"}}})
	fanOut.IsParent = true
	r.startNode(n0c.Add(33*sec), n0)

	var dn137, dn512, dn871 *node
	var last time.Time
	for i := range shards {
		spec := fmt.Sprintf("dn%d", i)
		created, dur := shardTimes(i)
		switch i {
		case 137:
			dn137 = r.node(nodeParams{specID: spec, phase: core.NodeExecution_FAILED, created: created, queued: 120 * ms,
				dur: dur, err: valueErr, task: true}, n0)
			r.attempt(dn137, attemptParams{task: shardTask, phase: core.TaskExecution_FAILED, created: created.Add(180 * ms),
				queued: 2*sec + 310*ms, dur: dur - 2500*ms, err: valueErr, running: true,
				reasons: []reason{{0, "task submitted to K8s"}, {250 * ms, "Scheduling"}}})
		case 512:
			nodeErr := retriesExhausted(3, 3, s3Errs[2])
			dn512 = r.node(nodeParams{specID: spec, phase: core.NodeExecution_FAILED, created: created, queued: 120 * ms,
				dur: 2*time.Minute + 4*sec, err: nodeErr, task: true}, n0)
			for retry, e := range s3Errs {
				r.attempt(dn512, attemptParams{task: shardTask, retry: uint32(retry), phase: core.TaskExecution_FAILED,
					created: created.Add(time.Duration(retry) * 41 * sec), queued: 2 * sec, dur: 38 * sec, err: e, running: true,
					reasons: []reason{{0, "task submitted to K8s"}, {250 * ms, "Scheduling"}}})
			}
		case 871:
			nodeErr := retriesExhausted(3, 3, preemptErrs[2])
			dn871 = r.node(nodeParams{specID: spec, phase: core.NodeExecution_FAILED, created: created, queued: 120 * ms,
				dur: 3*time.Minute + 11*sec, err: nodeErr, task: true}, n0)
			for retry, e := range preemptErrs {
				r.attempt(dn871, attemptParams{task: shardTask, retry: uint32(retry), phase: core.TaskExecution_FAILED,
					created: created.Add(time.Duration(retry) * 63 * sec), queued: 2 * sec, dur: 57 * sec, err: e, running: true,
					reasons: []reason{{0, "task submitted to K8s"}, {250 * ms, "Scheduling"}}})
			}
		default:
			r.node(nodeParams{specID: spec, phase: core.NodeExecution_SUCCEEDED, created: created, queued: 120 * ms,
				dur: dur, task: true}, n0)
		}
		if end := created.Add(120 * ms).Add(dur); i == 871 {
			last = maxTime(last, created.Add(120*ms+3*time.Minute+11*sec))
		} else {
			last = maxTime(last, end)
		}
	}
	n0End := last.Add(1300 * ms)
	endAt(n0.fx.NodeExecution.GetClosure(), n0End)
	endAt(r.ef.Execution.GetClosure(), n0End.Add(1100*ms))

	// Only the failed shards' last pods are left. dn137 and dn512 exited 0 after flytekit wrote
	// error.pb; dn871's node shut down and no longer exists.
	now := n0End.Add(4*time.Minute + 47*sec)
	k := newCluster(now)
	shard := podOpts{cpu: "1", mem: "3Gi"}
	for _, s := range []struct {
		n     *node
		retry uint32
		node  string
	}{{dn137, 0, cpuNodeA}, {dn512, 2, cpuNodeB}} {
		ref := attemptRef(r, s.n, s.retry)
		p := k.pod(ref, shard)
		k.bind(p, s.node, ref.created.Add(260*ms))
		started, finished := processTimes(s.n.task(s.retry))
		terminated(p, ref.created.Add(260*ms), started, finished, 0, "Completed", "")
		k.ran(p, started)
	}
	ref := attemptRef(r, dn871, 2)
	p := k.pod(ref, shard)
	k.bind(p, deadNode, ref.created.Add(260*ms))
	started, finished := processTimes(dn871.task(2))
	terminated(p, ref.created.Add(260*ms), started, finished, 137, "Error", preemptTail)
	shutDown(p, finished)
	k.ran(p, started)
	k.kubelet(p, corev1.EventTypeNormal, "Killing", "Stopping container "+p.Name, 1, finished.Add(-20*sec), time.Time{})
	node := corev1.ObjectReference{Kind: "Node", Name: deadNode, UID: types.UID(deadNode)} // kubelet's node ref
	k.recorded(node, "default", "kubelet", deadNode, corev1.EventTypeNormal, "Shutdown", "Shutdown manager detected shutdown event",
		1, finished.Add(-21*sec), time.Time{})
	node.UID = uid("Node", "", deadNode)
	k.recorded(node, "default", "node-controller", "", corev1.EventTypeNormal, "NodeNotReady",
		fmt.Sprintf("Node %s status is now: NodeNotReady", deadNode), 1, finished.Add(38*sec), time.Time{})
	k.recorded(node, "default", "node-controller", "", corev1.EventTypeNormal, "RemovingNode",
		fmt.Sprintf("Node %s event: Removing Node %s from Controller", deadNode, deadNode), 1, finished.Add(71*sec), time.Time{})
	k.foreignPod(foreignExec, foreignWF, "n2", foreignTask, cpuNodeA, now.Add(-7*time.Minute-31*sec), podOpts{}, true)
	k.quota()

	st := newStore()
	st.fixture(f)
	st.denyAt(metaBucket, s3stub.Rule{Actions: []string{s3stub.ActionGetObject},
		Keys: strings.TrimPrefix(dn512.dataDir, metaBucket+"/") + "/inputs.pb"})
	return Built{Admin: f, Kube: k.objs, Storage: st.spec()}
}

// childLaunchPlan: node n0 runs a launch plan; the child execution's only task cannot start
// because a secret is missing (CreateContainerConfigError, grace period 0, permanent). The
// child's error becomes the parent node's and the parent execution's error unchanged.
func childLaunchPlan() Built {
	const parentName = "h3vz8qk5tn2wr9xm4bdf"
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-14T13:05:44.120Z")
	childName := childExecName(parentName, "n0", "0") // GetChildWorkflowExecutionIDV2
	childPod := podName(childName, "n0", 0)
	secretErr := &core.ExecutionError{
		Code:    "ContainersNotReady|CreateContainerConfigError",
		Kind:    core.ExecutionError_USER,
		Message: fmt.Sprintf("Grace period [0s] exceeded|%s|secret \"aws-creds\" not found", unready(childPod)),
	}

	parent := newRun(f, execParams{
		name: parentName, workflow: "workflows.report.monthly_report_wf", phase: core.WorkflowExecution_FAILED,
		created: t0, started: 471 * ms, duration: 58*sec + 902*ms, err: secretErr,
		inputs: map[string]*core.Literal{"month": strLit("2026-07")},
	})
	parent.startNode(t0.Add(560*ms), nil)
	lpNode := parent.node(nodeParams{specID: "n0", phase: core.NodeExecution_FAILED, created: t0.Add(730 * ms), queued: 110 * ms,
		dur: 57*sec + 640*ms, err: secretErr, launched: execID(childName)}, nil)

	c0 := t0.Add(1*sec + 905*ms)
	child := newRun(f, execParams{
		name: childName, workflow: "workflows.report.render_report", phase: core.WorkflowExecution_FAILED,
		created: c0, started: 502 * ms, duration: 51*sec + 377*ms, err: secretErr,
		parentNode: copyNodeID(lpNode.fx.NodeExecution.GetId()),
	})
	child.startNode(c0.Add(590*ms), nil)
	cn := child.node(nodeParams{specID: "n0", phase: core.NodeExecution_FAILED, created: c0.Add(802 * ms), queued: 140 * ms,
		dur: 49*sec + 911*ms, err: secretErr, task: true}, nil)
	child.attempt(cn, attemptParams{task: "workflows.report.render", phase: core.TaskExecution_FAILED,
		created: c0.Add(1*sec + 20*ms), dur: 49*sec + 305*ms, err: secretErr,
		reasons: []reason{
			{0, "task submitted to K8s"},
			{390 * ms, "Scheduling"},
			{47*sec + 113*ms, "[ContainersNotReady|ContainerCreating]: " + unready(childPod) + "|"},
		}})

	// The child's pod waits for a secret that does not exist; kubelet keeps retrying.
	now := t0.Add(2*time.Minute + 51*sec)
	k := newCluster(now)
	ref := attemptRef(child, cn, 0)
	secretEnv := func(key string) corev1.EnvVar {
		return corev1.EnvVar{Name: "_FSEC_AWS-CREDS_" + key, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "aws-creds"}, Key: key}}}
	}
	p := k.pod(ref, podOpts{cpu: "1", mem: "2Gi", labels: map[string]string{"inject-flyte-secrets": "true"}, env: []corev1.EnvVar{
		{Name: "FLYTE_SECRETS_ENV_PREFIX", Value: "_FSEC_"}, secretEnv("AWS_ACCESS_KEY_ID"), secretEnv("AWS_SECRET_ACCESS_KEY"),
	}})
	c := ref.created
	k.bind(p, cpuNodeB, c.Add(410*ms))
	waiting(p, c.Add(410*ms), c.Add(2*sec+80*ms), "CreateContainerConfigError", `secret "aws-creds" not found`)
	k.kubelet(p, corev1.EventTypeNormal, "Pulling", fmt.Sprintf("Pulling image %q", image), 1, c.Add(2*sec+140*ms), time.Time{})
	k.kubelet(p, corev1.EventTypeNormal, "Pulled", fmt.Sprintf("Successfully pulled image %q in 44.585s (44.585s including waiting). Image size: 1873421312 bytes.", image),
		1, c.Add(46*sec+730*ms), time.Time{})
	k.kubelet(p, corev1.EventTypeWarning, "Failed", `Error: secret "aws-creds" not found`, 7, c.Add(48*sec+910*ms), now.Add(-11*sec))
	k.kubelet(p, corev1.EventTypeNormal, "Pulled", fmt.Sprintf("Container image %q already present on machine", image), 6,
		c.Add(1*time.Minute+2*sec), now.Add(-11*sec))
	k.foreignPod(foreignExec, foreignWF, "n2", foreignTask, cpuNodeA, now.Add(-3*time.Minute-50*sec), podOpts{}, true)
	k.quota()
	st := newStore()
	st.fixture(f)
	return Built{Admin: f, Kube: k.objs, Storage: st.spec()}
}

func copyNodeID(id *core.NodeExecutionIdentifier) *core.NodeExecutionIdentifier {
	return &core.NodeExecutionIdentifier{NodeId: id.GetNodeId(), ExecutionId: execID(id.GetExecutionId().GetName())}
}

// arrayNode: a map task (ArrayNode) over 10 batches; batches 3 and 4 raise the same
// ValueError, batch 8 is OOM-killed, batch 9 is aborted when the array node gives up. The
// subtasks are external resources of one task execution; the node error is the collector
// summary with an empty code and kind UNKNOWN.
func arrayNode() Built {
	const name = "k6wq9tz3mr8xb2nd7vfh"
	const items = 10
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-14T15:21:09.664Z")
	arr := &node{uniqueID: "n1", dataDir: metaDir(name) + "/n1/data"}

	valueMsg := flytekitTrace([]string{
		`  File "/root/workflows/batch.py", line 44, in score_batch`,
		`    check_inputs(frame)`,
		`  File "/root/workflows/batch.py", line 19, in check_inputs`,
		`    raise ValueError(f"input batch contains NaN values in column {col!r}")`,
	}, "ValueError", "input batch contains NaN values in column 'feature_7'")
	oomPod := podName(name, uniqueID(arr.uniqueID, "n8"), 0)
	const oomTail = "INFO:root:scoring batch 8 with model resnet50-v4 (batch_size=4096)"
	oomMsg := retriesExhausted(1, 1, oomKilled(oomPod, oomTail)).GetMessage()
	// errorcollector.Summary: messages sorted, each with its index ranges.
	summary := fmt.Sprintf("[3-4]: %s\n[8]: %s\n", valueMsg, oomMsg)
	arrErr := &core.ExecutionError{Kind: core.ExecutionError_UNKNOWN, Message: summary}

	r := newRun(f, execParams{
		name: name, workflow: "workflows.batch.score_wf", phase: core.WorkflowExecution_FAILED,
		created: t0, started: 530 * ms, duration: 4*time.Minute + 40*sec + 215*ms, err: arrErr,
		inputs: map[string]*core.Literal{"model": strLit("resnet50-v4")},
	})
	r.startNode(t0.Add(612*ms), nil)
	r.succeededTask("n0", "workflows.batch.load_batches", t0.Add(790*ms), 29*sec+431*ms, nil)
	n1c := t0.Add(30*sec + 402*ms)
	n1 := r.node(nodeParams{specID: "n1", phase: core.NodeExecution_FAILED, created: n1c, queued: 120 * ms,
		dur: 4*time.Minute + 8*sec + 990*ms, err: arrErr, array: true}, nil)

	var resources []*event.ExternalResourceInfo
	for i := range items {
		sub := uniqueID(arr.uniqueID, fmt.Sprintf("n%d", i))
		pod := podName(name, sub, 0)
		phase := core.TaskExecution_SUCCEEDED
		switch i {
		case 3, 4, 8:
			phase = core.TaskExecution_FAILED
		case 9:
			phase = core.TaskExecution_ABORTED
		}
		resources = append(resources, &event.ExternalResourceInfo{
			ExternalId:   fmt.Sprintf("%s-n%d-%d", kube.UniqueID(50, name, arr.uniqueID, "0"), i, 0),
			Index:        uint32(i),
			RetryAttempt: 0,
			Phase:        phase,
			CacheStatus:  core.CatalogCacheStatus_CACHE_DISABLED,
			Logs:         podLogs(pod, containerID(pod), fmt.Sprintf("-%d", i)),
		})
	}
	started := n1c.Add(310 * ms)
	n1.fx.Tasks = append(n1.fx.Tasks, &admin.TaskExecution{
		Id: &core.TaskExecutionIdentifier{
			TaskId:          ident(core.ResourceType_TASK, "workflows.batch.score_batch"),
			NodeExecutionId: &core.NodeExecutionIdentifier{NodeId: "n1", ExecutionId: execID(name)},
		},
		InputUri: arr.dataDir + "/inputs.pb",
		Closure: &admin.TaskExecutionClosure{
			OutputResult: &admin.TaskExecutionClosure_Error{Error: arrErr},
			Phase:        core.TaskExecution_FAILED,
			StartedAt:    ts(started),
			Duration:     durationpb.New(4*time.Minute + 8*sec + 500*ms),
			CreatedAt:    ts(n1c.Add(250 * ms)),
			UpdatedAt:    ts(started.Add(4*time.Minute + 8*sec + 500*ms)),
			TaskType:     "container_array",
			EventVersion: 1,
			Metadata:     &event.TaskExecutionMetadata{ExternalResources: resources, PluginIdentifier: "k8s-array"},
		},
	})

	// The failed subtasks' pods: 3 and 4 exited 0 after flytekit wrote error.pb, 8 was OOM-killed.
	now := t0.Add(8*time.Minute + 12*sec)
	k := newCluster(now)
	for _, s := range []struct {
		index  int
		node   string
		ran    time.Duration
		exit   int32
		reason string
		tail   string
	}{
		{3, cpuNodeA, 47*sec + 310*ms, 0, "Completed", ""},
		{4, cpuNodeB, 51*sec + 880*ms, 0, "Completed", ""},
		{8, cpuNodeA, 3*time.Minute + 12*sec + 40*ms, 137, "OOMKilled", oomTail},
	} {
		ref := subtaskRef(r, n1, s.index)
		p := k.pod(ref, podOpts{cpu: "2", mem: "4Gi"})
		k.bind(p, s.node, ref.created.Add(290*ms))
		started := ref.created.Add(3*sec + 120*ms)
		terminated(p, ref.created.Add(290*ms), started, started.Add(s.ran), s.exit, s.reason, s.tail)
		k.ran(p, started)
	}
	k.foreignPod(foreignExec, foreignWF, "n2", foreignTask, cpuNodeB, now.Add(-6*time.Minute-2*sec), podOpts{}, true)
	k.quota()
	st := newStore()
	st.fixture(f)
	return Built{Admin: f, Kube: k.objs, Storage: st.spec()}
}

// unschedulable: a fine-tuning task asks for a GPU, but its pod has no toleration for the GPU
// node's taint and the CPU nodes have no GPU. The pod has been Pending for 47 minutes; the task
// is QUEUED with the scheduler's message as its reason, and the execution is still RUNNING.
func unschedulable() Built {
	const name = "m5tq8xw2kz7rb4nd9vhc"
	const schedMsg = "0/3 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 2 Insufficient nvidia.com/gpu. " +
		"preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-14T16:02:11.305Z")
	r := newRun(f, execParams{
		name: name, workflow: "workflows.finetune.finetune_wf", phase: core.WorkflowExecution_RUNNING,
		created: t0, started: 498 * ms,
		inputs: map[string]*core.Literal{"base_model": strLit("llama-3.1-8b"), "epochs": intLit(3)},
	})
	r.startNode(t0.Add(583*ms), nil)
	r.succeededTask("n0", "workflows.finetune.prepare_dataset", t0.Add(761*ms), 1*time.Minute+31*sec+207*ms, nil)
	n1c := t0.Add(1*time.Minute + 32*sec + 540*ms)
	n1 := r.node(nodeParams{specID: "n1", phase: core.NodeExecution_RUNNING, created: n1c, queued: 160 * ms, task: true}, nil)
	r.attempt(n1, attemptParams{task: "workflows.finetune.train_lora", phase: core.TaskExecution_QUEUED, created: n1c.Add(240 * ms),
		unscheduled: true, reasons: []reason{{0, "task submitted to K8s"}, {410 * ms, "Unschedulable:" + schedMsg}}})

	ref := attemptRef(r, n1, 0)
	now := ref.created.Add(47*time.Minute + 9*sec)
	k := newCluster(now)
	p := k.pod(ref, podOpts{cpu: "4", mem: "24Gi", gpu: 1})
	p.Status.Conditions = []corev1.PodCondition{cond(corev1.PodScheduled, false, ref.created.Add(330*ms), corev1.PodReasonUnschedulable, schedMsg)}
	k.schedulerEvent(p, corev1.EventTypeWarning, "FailedScheduling", "Scheduling", schedMsg, ref.created.Add(330*ms), 23, now.Add(-1*time.Minute-14*sec))
	// The GPU is taken by another execution's pod, which tolerates the taint through its pod template.
	k.foreignPod("v2hn6cq9xt4kw7mz3rbd", "workflows.llm.eval_wf", "n1", "workflows.llm.run_eval", gpuNode, now.Add(-2*time.Hour-13*time.Minute),
		podOpts{cpu: "6", mem: "24Gi", gpu: 1, tolerations: []corev1.Toleration{
			{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}}, false)
	k.foreignPod(foreignExec, foreignWF, "n2", foreignTask, cpuNodeA, now.Add(-5*time.Minute-26*sec), podOpts{}, true)
	k.quota()
	st := newStore()
	st.fixture(f)
	return Built{Admin: f, Kube: k.objs, Storage: st.spec()}
}

// storagePermission: the task role may write under the metadata prefix but not read it, so
// flytekit cannot download the first task's inputs (403 on HeadObject). The error is SYSTEM and
// recoverable: three attempts, then RetriesExhausted. Each pod exits 0 after writing error.pb.
// The raw output prefix is readable.
func storagePermission() Built {
	const name = "p7xk2mv9tq4wz8rn3bdh"
	const source = rawPrefix + "/q3/fe2b6c0d8a1f4e7b9c3d/events-2026-08-13.parquet"
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-14T14:47:36.812Z")
	n0c := t0.Add(788 * ms)
	dataDir := metaDir(name) + "/n0/data"
	var errs []*core.ExecutionError
	for retry, tmp := range []string{"flyte-r2k9c1xw", "flyte-7mq4zt0d", "flyte-hv3p8n5e"} {
		created := n0c.Add(190*ms + time.Duration(retry)*41*sec)
		errs = append(errs, downloadError(dataDir, uint32(retry), created.Add(2200*ms+24*sec), podName(name, "n0", uint32(retry)), tmp))
	}
	nodeErr := retriesExhausted(3, 3, errs[2])
	r := newRun(f, execParams{
		name: name, workflow: "workflows.ingest.ingest_wf", phase: core.WorkflowExecution_FAILED,
		created: t0, started: 466 * ms, duration: 2*time.Minute + 9*sec + 340*ms, err: nodeErr,
		inputs: map[string]*core.Literal{"source": strLit(source), "date": strLit("2026-08-13")},
	})
	r.startNode(t0.Add(571*ms), nil)
	n0 := r.node(nodeParams{specID: "n0", phase: core.NodeExecution_FAILED, created: n0c, queued: 130 * ms,
		dur: 2*time.Minute + 7*sec + 820*ms, err: nodeErr, task: true}, nil)
	for retry, e := range errs {
		r.attempt(n0, attemptParams{task: "workflows.ingest.load_events", retry: uint32(retry), phase: core.TaskExecution_FAILED,
			created: n0c.Add(190*ms + time.Duration(retry)*41*sec), queued: 2200 * ms, dur: 26*sec + 410*ms, err: e, running: true,
			reasons: []reason{{0, "task submitted to K8s"}, {260 * ms, "Scheduling"}}})
	}

	// The last attempt's pod is left, Succeeded: flytekit caught the error and wrote error.pb.
	now := t0.Add(5*time.Minute + 3*sec)
	k := newCluster(now)
	for retry, node := range []string{cpuNodeA, cpuNodeB, cpuNodeA} {
		ref := attemptRef(r, n0, uint32(retry))
		p := k.pod(ref, podOpts{cpu: "2", mem: "4Gi"})
		k.bind(p, node, ref.created.Add(280*ms))
		started, finished := processTimes(n0.task(uint32(retry)))
		terminated(p, ref.created.Add(280*ms), started, finished, 0, "Completed", "")
		k.ran(p, started)
		if retry < 2 {
			k.remove(p)
		}
	}
	k.foreignPod(foreignExec, foreignWF, "n2", foreignTask, cpuNodeB, now.Add(-4*time.Minute-41*sec), podOpts{}, true)
	k.quota()

	st := newStore()
	st.fixture(f)
	st.put(source, 48_213_771, t0.Add(-3*time.Minute))
	for i, pod := range []string{"k2vd8xq5mt7rz4nb9wch-n0-0", "k2vd8xq5mt7rz4nb9wch-n1-0"} {
		st.put(rawDir(pod)+"/9f2c1b7e04d3a6c8e5b1d0f7a2c4e6b8/00000", int64(1_204_551+i*88_020), t0.Add(-26*time.Hour))
	}
	// The policy names admin's metadata prefix but not propeller's.
	st.denyAt(metaBucket, s3stub.Rule{Actions: []string{s3stub.ActionGetObject}, Keys: "metadata/propeller/*"})
	st.denyAt(metaBucket, s3stub.Rule{Actions: []string{s3stub.ActionListBucket}, Keys: "metadata/propeller*"})
	return Built{Admin: f, Kube: k.objs, Storage: st.spec()}
}

package gen

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/idl/gen/admin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/idl/gen/core"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/idl/gen/event"
)

const (
	ms  = time.Millisecond
	sec = time.Second
)

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
func imagePull() *fakeadmin.Fixture {
	const name = "a4t8tqkzr9xw2bnl5mfd"
	const image = "ghcr.io/acme/trainer:v1.2.3"
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-14T09:12:03.418Z")
	pod := podName(name, "n1", 0)
	taskErr := &core.ExecutionError{
		Code:    "ContainersNotReady|ImagePullBackOff",
		Kind:    core.ExecutionError_USER,
		Message: fmt.Sprintf("Grace period [3m0s] exceeded|%s|Back-off pulling image %q", unready(pod), image),
	}
	nodeErr := retriesExhausted(1, 1, taskErr)
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
			{5*sec + 118*ms, fmt.Sprintf("[ContainersNotReady|ErrImagePull]: %s|Failed to pull image %q: rpc error: code = NotFound desc = failed to pull and unpack image %q: failed to resolve reference %q: %s: not found",
				unready(pod), image, "ghcr.io/acme/trainer:v1.2.3", "ghcr.io/acme/trainer:v1.2.3", image)},
			{19*sec + 702*ms, fmt.Sprintf("[ContainersNotReady|ImagePullBackOff]: %s|Back-off pulling image %q", unready(pod), image)},
		},
	})
	return f
}

// subworkflow: the aggregate step of a sub-workflow is OOM-killed on both attempts; its
// RetriesExhausted error passes unchanged up to the sub-workflow node and the execution.
func subworkflow() *fakeadmin.Fixture {
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
	return f
}

// healthy: a succeeded three-task workflow.
func healthy() *fakeadmin.Fixture {
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
	return f
}

// dynamicFanout: a dynamic task fans out to 1,000 shards; three fail in different ways
// (user ValueError, S3 403 while downloading inputs, node preemption). Succeeded shards carry
// no task attempts to keep the file small.
func dynamicFanout() *fakeadmin.Fixture {
	const name = "d9rk4mt2xw7bq5zn8vpc"
	const shards = 1000
	const shardTask = "workflows.fanout.process_shard"
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-14T06:30:00.311Z")
	dyn := &node{uniqueID: "n0", dataDir: metaDir(name) + "/n0/data"}

	valueErrID := uniqueID("n0", "dn137")
	valueErr := flytekitError("USER:ValueError", core.ExecutionError_USER, dyn.dataDir+"/0/dn137", 0,
		t0.Add(9*time.Minute+2*sec), podName(name, valueErrID, 0), flytekitTrace([]string{
			`  File "/root/workflows/fanout.py", line 58, in process_shard`,
			`    rows = parse_shard(shard_uri)`,
			`  File "/root/workflows/fanout.py", line 31, in parse_shard`,
			`    raise ValueError(f"shard {shard_uri} has 0 rows")`,
		}, "ValueError", "shard s3://acme-ml-datasets/events/2026-08-13/part-00137.parquet has 0 rows"))

	s3ID := uniqueID("n0", "dn512")
	download := "flytekit.exceptions.system.FlyteDownloadDataException"
	s3Msg := "SYSTEM:DownloadDataError: error=Failed to get data from " + dyn.dataDir +
		"/0/dn512/inputs.pb to /tmp/flyte-8y2k1c0q/sandbox/local_flytekit/inputs.pb (recursive=False).\n\n" +
		"Original exception: An error occurred (403) when calling the HeadObject operation: Forbidden"
	var s3Errs []*core.ExecutionError
	for retry := range uint32(3) {
		s3Errs = append(s3Errs, flytekitError("SYSTEM", core.ExecutionError_SYSTEM, dyn.dataDir+"/0/dn512", retry,
			t0.Add(8*time.Minute+time.Duration(retry)*40*sec), podName(name, s3ID, retry), flytekitTrace([]string{
				`  File "/usr/local/lib/python3.11/site-packages/flytekit/bin/entrypoint.py", line 166, in _dispatch_execute`,
				`    ctx.file_access.get_data(inputs_path, local_inputs_file)`,
				`  File "/usr/local/lib/python3.11/site-packages/flytekit/core/data_persistence.py", line 615, in get_data`,
				`    raise FlyteDownloadDataException(`,
			}, download, s3Msg)))
	}

	preemptID := uniqueID("n0", "dn871")
	var preemptErrs []*core.ExecutionError
	for retry := range uint32(3) {
		preemptErrs = append(preemptErrs, &core.ExecutionError{
			Code: "Interrupted", Kind: core.ExecutionError_SYSTEM,
			Message: podFailure(podName(name, preemptID, retry), 137, "Error",
				"INFO:root:processing shard 871: 412000/1200000 rows"),
		})
	}

	// The first failure propeller meets ends the dynamic workflow; it is passed up unchanged.
	r := newRun(f, execParams{
		name: name, workflow: "workflows.fanout.process_all", phase: core.WorkflowExecution_FAILED,
		created: t0, started: 540 * ms, duration: 10*time.Minute + 4*sec + 17*ms, err: valueErr,
		inputs: map[string]*core.Literal{"date": strLit("2026-08-13"), "shards": intLit(shards)},
	})
	r.startNode(t0.Add(620*ms), nil)
	n0c := t0.Add(801 * ms)
	n0 := r.node(nodeParams{specID: "n0", phase: core.NodeExecution_FAILED, created: n0c, queued: 133 * ms,
		dur: 10*time.Minute + 2*sec + 600*ms, err: valueErr, task: true, dynamic: true}, nil)
	fanOut := r.attempt(n0, attemptParams{task: "workflows.fanout.fan_out", phase: core.TaskExecution_SUCCEEDED,
		created: n0c.Add(190 * ms), queued: 2300 * ms, dur: 31*sec + 77*ms, running: true,
		reasons: []reason{{0, "task submitted to K8s"}, {280 * ms, "Scheduling"}}})
	fanOut.IsParent = true
	r.startNode(n0c.Add(33*sec), n0)

	for i := range shards {
		spec := fmt.Sprintf("dn%d", i)
		// Shards start in waves of max_parallelism 50 and take 20-60s each.
		created := n0c.Add(33*sec + time.Duration(i/50)*27*sec + time.Duration(i%50)*37*ms)
		dur := 20*sec + time.Duration((i*7919)%40000)*ms
		switch i {
		case 137:
			n := r.node(nodeParams{specID: spec, phase: core.NodeExecution_FAILED, created: created, queued: 120 * ms,
				dur: dur, err: valueErr, task: true}, n0)
			r.attempt(n, attemptParams{task: shardTask, phase: core.TaskExecution_FAILED, created: created.Add(180 * ms),
				queued: 2*sec + 310*ms, dur: dur - 2500*ms, err: valueErr, running: true,
				reasons: []reason{{0, "task submitted to K8s"}, {250 * ms, "Scheduling"}}})
		case 512:
			nodeErr := retriesExhausted(3, 3, s3Errs[2])
			n := r.node(nodeParams{specID: spec, phase: core.NodeExecution_FAILED, created: created, queued: 120 * ms,
				dur: 2*time.Minute + 4*sec, err: nodeErr, task: true}, n0)
			for retry, e := range s3Errs {
				r.attempt(n, attemptParams{task: shardTask, retry: uint32(retry), phase: core.TaskExecution_FAILED,
					created: created.Add(time.Duration(retry) * 41 * sec), queued: 2 * sec, dur: 38 * sec, err: e, running: true,
					reasons: []reason{{0, "task submitted to K8s"}, {250 * ms, "Scheduling"}}})
			}
		case 871:
			nodeErr := retriesExhausted(3, 3, preemptErrs[2])
			n := r.node(nodeParams{specID: spec, phase: core.NodeExecution_FAILED, created: created, queued: 120 * ms,
				dur: 3*time.Minute + 11*sec, err: nodeErr, task: true}, n0)
			for retry, e := range preemptErrs {
				r.attempt(n, attemptParams{task: shardTask, retry: uint32(retry), phase: core.TaskExecution_FAILED,
					created: created.Add(time.Duration(retry) * 63 * sec), queued: 2 * sec, dur: 57 * sec, err: e, running: true,
					reasons: []reason{{0, "task submitted to K8s"}, {250 * ms, "Scheduling"}}})
			}
		default:
			r.node(nodeParams{specID: spec, phase: core.NodeExecution_SUCCEEDED, created: created, queued: 120 * ms,
				dur: dur, task: true}, n0)
		}
	}
	return f
}

// childLaunchPlan: node n0 runs a launch plan; the child execution's only task cannot start
// because a secret is missing (CreateContainerConfigError, grace period 0, permanent). The
// child's error becomes the parent node's and the parent execution's error unchanged.
func childLaunchPlan() *fakeadmin.Fixture {
	const parentName = "h3vz8qk5tn2wr9xm4bdf"
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-14T13:05:44.120Z")
	childName := fixedID(20, true, parentName, "n0", "0") // GetChildWorkflowExecutionIDV2
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
	return f
}

func copyNodeID(id *core.NodeExecutionIdentifier) *core.NodeExecutionIdentifier {
	return &core.NodeExecutionIdentifier{NodeId: id.GetNodeId(), ExecutionId: execID(id.GetExecutionId().GetName())}
}

// arrayNode: a map task (ArrayNode) over 10 batches; batches 3 and 4 raise the same
// ValueError, batch 8 is OOM-killed, batch 9 is aborted when the array node gives up. The
// subtasks are external resources of one task execution; the node error is the collector
// summary with an empty code and kind UNKNOWN.
func arrayNode() *fakeadmin.Fixture {
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
	oomMsg := retriesExhausted(1, 1, oomKilled(oomPod, "INFO:root:scoring batch 8 with model resnet50-v4 (batch_size=4096)")).GetMessage()
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
			ExternalId:   fmt.Sprintf("%s-n%d-%d", fixedID(50, false, name, arr.uniqueID, "0"), i, 0),
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
	return f
}

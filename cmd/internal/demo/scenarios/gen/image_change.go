package gen

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// Two successive nightly runs of one launch plan. The first works; before the second, the
// training image was rebuilt on an Apple-silicon laptop (linux/arm64) and the workflow
// registered again with it: on the amd64 nodes the new image's entrypoint dies with exec
// format error on every attempt.
const (
	changeWorkflow  = "workflows.nightly.train_wf"
	changeFetch     = "workflows.nightly.fetch_data"
	changeTrain     = "workflows.nightly.train_model"
	beforeName      = "q4mz7tw2xk9rb3nv8dpc"
	beforeVersion   = "v2026.08.12-5d1e0b2"
	beforeImage     = "ghcr.io/acme/trainer:v1.4.0"
	afterName       = "w8tk3qz5mx2vb9rn7hdc"
	afterVersion    = "v2026.08.13-9e8f7a6"
	afterImage      = "ghcr.io/acme/trainer:v1.5.0"
	changeEntryFail = "exec /usr/local/bin/pyflyte-fast-execute: exec format error"
)

var changeInputs = func() map[string]*core.Literal {
	return map[string]*core.Literal{"epochs": intLit(20), "dataset": strLit("s3://acme-ml-datasets/imagenet-mini/v3")}
}

// imageChangeBefore: the run that worked.
func imageChangeBefore() Built {
	f := &fakeadmin.Fixture{}
	k, st := changeCluster(at("2026-08-13T05:39:44Z"))
	nightlyOK(f, k)
	k.quota()
	st.fixture(f)
	return Built{Admin: f, Kube: k.objs, Storage: st.spec()}
}

// imageChange: the next night's run, failing; Admin still has the run that worked, so that
// diff finds it.
func imageChange() Built {
	f := &fakeadmin.Fixture{}
	now := at("2026-08-14T05:29:31Z")
	k, st := changeCluster(now)
	name := afterName
	t0 := at("2026-08-14T05:20:05.118Z")
	fetchC := t0.Add(902 * ms)
	trainC := fetchC.Add(44*sec + 310*ms)
	var attempts []*core.ExecutionError
	const tries = 3 // propeller's max-node-retries-system-failures
	for retry := range tries {
		pod := podName(name, "n1", uint32(retry))
		attempts = append(attempts, &core.ExecutionError{Code: "Interrupted", Kind: core.ExecutionError_SYSTEM,
			Message: podFailure(pod, 255, "Error", changeEntryFail+"\n")})
	}
	last := attempts[tries-1]
	nodeErr := &core.ExecutionError{Code: "RetriesExhausted|Interrupted", Kind: core.ExecutionError_SYSTEM,
		Message: fmt.Sprintf("max number of system retry attempts [%d/%d] exhausted. Last known status message: %s", tries, tries, last.GetMessage())}
	r := newRun(f, execParams{
		name: name, workflow: changeWorkflow, phase: core.WorkflowExecution_FAILED,
		created: t0, started: 577 * ms, duration: 2*time.Minute + 31*sec + 904*ms, err: nodeErr, inputs: changeInputs(),
	})
	r.startNode(t0.Add(688*ms), nil)
	r.succeededTask("n0", changeFetch, fetchC, 43*sec+602*ms, nil)
	n1 := r.node(nodeParams{specID: "n1", phase: core.NodeExecution_FAILED, created: trainC, queued: 160 * ms,
		dur: 1*time.Minute + 44*sec + 715*ms, err: nodeErr, task: true}, nil)
	for retry, e := range attempts {
		start := trainC.Add(time.Duration(retry) * 34 * sec)
		pod := podName(name, "n1", uint32(retry))
		r.attempt(n1, attemptParams{task: changeTrain, retry: uint32(retry), phase: core.TaskExecution_FAILED,
			created: start.Add(210 * ms), queued: 2700 * ms, dur: 4*sec + 118*ms, err: e, running: true,
			reasons: []reason{
				{0, "task submitted to K8s"},
				{330 * ms, "Scheduling"},
				{1900 * ms, "[ContainersNotReady|ContainerCreating]: " + unready(pod) + "|"},
			}})
	}
	versioned(r, afterVersion)
	f.Tasks = append(f.Tasks, taskDef(changeFetch, afterVersion, afterImage, "1", "2Gi"), taskDef(changeTrain, afterVersion, afterImage, "4", "16Gi"))
	for retry := range tries {
		ref := attemptRef(r, n1, uint32(retry))
		p := k.pod(ref, podOpts{image: afterImage, cpu: "4", mem: "16Gi"})
		k.bind(p, cpuNodeA, ref.created.Add(390*ms))
		started, finished := processTimes(n1.task(uint32(retry)))
		terminated(p, ref.created.Add(390*ms), started, finished, 255, "Error", changeEntryFail+"\n")
		k.ran(p, started)
	}
	nightlyOK(f, k) // the night before, still in Admin and its pods in the namespace
	k.quota()
	st.fixture(f)
	return Built{Admin: f, Kube: k.objs, Storage: st.spec()}
}

func changeCluster(now time.Time) (*cluster, *store) {
	k := newCluster(now)
	k.foreignPod(foreignExec, foreignWF, "n2", foreignTask, cpuNodeB, now.Add(-3*time.Minute-41*sec), podOpts{}, true)
	return k, newStore()
}

// nightlyOK adds the run that worked, with its pods (Succeeded) and task definitions.
func nightlyOK(f *fakeadmin.Fixture, k *cluster) {
	name := beforeName
	t0 := at("2026-08-13T05:20:04.331Z")
	r := newRun(f, execParams{
		name: name, workflow: changeWorkflow, phase: core.WorkflowExecution_SUCCEEDED,
		created: t0, started: 602 * ms, duration: 17*time.Minute + 52*sec + 118*ms, inputs: changeInputs(),
	})
	r.startNode(t0.Add(701*ms), nil)
	fetch := r.succeededTask("n0", changeFetch, t0.Add(877*ms), 41*sec+925*ms, nil)
	train := r.succeededTask("n1", changeTrain, t0.Add(43*sec+390*ms), 17*time.Minute+5*sec+214*ms, nil)
	r.node(nodeParams{specID: "end-node", phase: core.NodeExecution_SUCCEEDED, created: t0.Add(17*time.Minute + 49*sec + 88*ms)}, nil)
	versioned(r, beforeVersion)
	f.Tasks = append(f.Tasks, taskDef(changeFetch, beforeVersion, beforeImage, "1", "2Gi"), taskDef(changeTrain, beforeVersion, beforeImage, "4", "16Gi"))
	for _, n := range []struct {
		n        *node
		cpu, mem string
		host     string
	}{{fetch, "1", "2Gi", cpuNodeB}, {train, "4", "16Gi", cpuNodeA}} {
		ref := attemptRef(r, n.n, 0)
		p := k.pod(ref, podOpts{image: beforeImage, cpu: n.cpu, mem: n.mem})
		k.bind(p, n.host, ref.created.Add(350*ms))
		started, finished := processTimes(n.n.task(0))
		terminated(p, ref.created.Add(350*ms), started, finished, 0, "Completed", "")
		k.ran(p, started)
	}
}

// versioned registers the run's launch plan, workflow and tasks at version v (pyflyte
// register gives them all the same one).
func versioned(r *run, v string) {
	e := r.ef.Execution
	e.Spec.LaunchPlan.Version = v
	e.Closure.WorkflowId.Version = v
	for _, nf := range r.ef.Nodes {
		for _, te := range nf.Tasks {
			te.Id.TaskId.Version = v
		}
	}
}

// taskDefs are the definitions of the tasks a scenario's attempts ran, as they were
// registered: the image and resources of the pod an attempt ran in, else the defaults.
func taskDefs(b Built) []*admin.Task {
	pods := map[string]*corev1.Pod{}
	for _, o := range b.Kube {
		if p, ok := o.(*corev1.Pod); ok {
			pods[p.Name] = p
		}
	}
	var out []*admin.Task
	seen := map[string]bool{}
	for _, ef := range b.Admin.Executions {
		for _, nf := range ef.Nodes {
			for _, te := range nf.Tasks {
				id := te.GetId().GetTaskId()
				k := id.GetName() + "@" + id.GetVersion()
				if id.GetName() == "" || seen[k] {
					continue
				}
				seen[k] = true
				img, cpu, mem := image, "1", "2Gi"
				if p := pods[te.GetClosure().GetMetadata().GetGeneratedName()]; p != nil && len(p.Spec.Containers) > 0 {
					c := p.Spec.Containers[0]
					img = c.Image
					if q, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
						cpu = q.String()
					}
					if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
						mem = q.String()
					}
				}
				out = append(out, taskDef(id.GetName(), id.GetVersion(), img, cpu, mem))
			}
		}
	}
	slices.SortFunc(out, func(a, b *admin.Task) int {
		return strings.Compare(a.GetId().GetName()+"@"+a.GetId().GetVersion(), b.GetId().GetName()+"@"+b.GetId().GetVersion())
	})
	return out
}

// taskDef is a python task's definition as GetTask returns it: its container's image and
// resources (requests = limits).
func taskDef(name, version, img, cpu, mem string) *admin.Task {
	id := &core.Identifier{ResourceType: core.ResourceType_TASK, Project: project, Domain: domain, Name: name, Version: version}
	res := []*core.Resources_ResourceEntry{{Name: core.Resources_CPU, Value: cpu}, {Name: core.Resources_MEMORY, Value: mem}}
	module, fn := name[:strings.LastIndex(name, ".")], name[strings.LastIndex(name, ".")+1:]
	return &admin.Task{Id: id, Closure: &admin.TaskClosure{CreatedAt: ts(at("2026-08-10T00:00:00Z")), CompiledTask: &core.CompiledTask{Template: &core.TaskTemplate{
		Id: id, Type: "python-task",
		Metadata: &core.TaskMetadata{Retries: &core.RetryStrategy{}, Runtime: &core.RuntimeMetadata{Type: core.RuntimeMetadata_FLYTE_SDK, Version: "1.16.24", Flavor: "python"}},
		Target: &core.TaskTemplate_Container{Container: &core.Container{Image: img,
			Args: []string{"pyflyte-fast-execute", "--", "pyflyte-execute", "--inputs", "{{.input}}", "--output-prefix", "{{.outputPrefix}}",
				"--raw-output-data-prefix", "{{.rawOutputDataPrefix}}", "--resolver", "flytekit.core.python_auto_container.default_task_resolver",
				"--", "task-module", module, "task-name", fn},
			Resources: &core.Resources{Requests: res, Limits: res}}},
	}}}}
}

package gen

import (
	"fmt"
	"strings"
	"time"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo/s3stub"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
)

// The metadata bucket encrypts with an SSE-KMS key the task role may use; the three inputs of
// fanout-denied carry another key, which it may not.
const (
	bucketKMSKey = "arn:aws:kms:us-east-1:123456789012:key/3f1c9a52-7d4e-4b8a-9c61-2e5f0a8d7b34"
	otherKMSKey  = "arn:aws:kms:us-east-1:123456789012:key/8b2e47d0-1a9c-4f3e-b5d7-6c0e9f2a4b18"
)

// fanoutDenied: a dynamic task fans out to 1,000 shards and three of them (dn17, dn512, dn873)
// cannot read their inputs. The task role read the inputs of the 997 others in the same run,
// so its policy is not the problem: those three objects were written with another SSE-KMS key
// than the bucket's default, one the role has no kms:Decrypt on. flytekit's download fails,
// it retries anonymously (data_persistence.get), and the anonymous HEAD's bare 403 is the
// error it reports: SYSTEM:DownloadDataError, recoverable, three attempts each. flytedoctor's
// own identity may HEAD the objects (HEAD needs no kms:Decrypt) and sees the key.
func fanoutDenied() Built {
	const name = "h3wq8zt5mk2vr9xn4bcd"
	const shards = 1000
	const shardTask = "workflows.fanout.process_shard"
	f := &fakeadmin.Fixture{}
	t0 := at("2026-08-15T02:10:00.418Z")
	dyn := &node{uniqueID: "n0", dataDir: metaDir(name) + "/n0/data"}
	n0c := t0.Add(793 * ms)
	shardTimes := func(i int) (created time.Time, dur time.Duration) {
		return n0c.Add(34*sec + time.Duration(i/50)*26*sec + time.Duration(i%50)*41*ms), 20*sec + time.Duration((i*6151)%38000)*ms
	}
	denied := []int{17, 512, 873}
	errs := map[int][]*core.ExecutionError{}
	for j, i := range denied {
		id := uniqueID("n0", fmt.Sprintf("dn%d", i))
		created, _ := shardTimes(i)
		for retry := range uint32(3) {
			tmp := fmt.Sprintf("flyte-%02dq%dk7w%d", i%97, retry, j)
			errs[i] = append(errs[i], downloadError(fmt.Sprintf("%s/0/dn%d", dyn.dataDir, i), retry,
				created.Add(time.Duration(retry)*40*sec+27*sec), podName(name, id, retry), tmp))
		}
	}
	// The dynamic workflow runs every shard it can and fails with the first failure it met.
	firstErr := retriesExhausted(3, 3, errs[17][2])
	r := newRun(f, execParams{
		name: name, workflow: "workflows.fanout.process_all", phase: core.WorkflowExecution_FAILED,
		created: t0, started: 520 * ms, err: firstErr,
		inputs: map[string]*core.Literal{"date": strLit("2026-08-14"), "shards": intLit(shards)},
	})
	r.startNode(t0.Add(603*ms), nil)
	n0 := r.node(nodeParams{specID: "n0", phase: core.NodeExecution_FAILED, created: n0c, queued: 128 * ms,
		err: firstErr, task: true, dynamic: true}, nil)
	fanOut := r.attempt(n0, attemptParams{task: "workflows.fanout.fan_out", phase: core.TaskExecution_SUCCEEDED,
		created: n0c.Add(187 * ms), queued: 2300 * ms, dur: 31*sec + 412*ms, running: true,
		reasons: []reason{{0, "task submitted to K8s"}, {270 * ms, "Scheduling"}}})
	fanOut.IsParent = true
	r.startNode(n0c.Add(34*sec), n0)

	failed := map[int]*node{}
	var last time.Time
	for i := range shards {
		spec := fmt.Sprintf("dn%d", i)
		created, dur := shardTimes(i)
		e, bad := errs[i]
		if !bad {
			r.node(nodeParams{specID: spec, phase: core.NodeExecution_SUCCEEDED, created: created, queued: 120 * ms,
				dur: dur, task: true}, n0)
			last = maxTime(last, created.Add(120*ms).Add(dur))
			continue
		}
		n := r.node(nodeParams{specID: spec, phase: core.NodeExecution_FAILED, created: created, queued: 120 * ms,
			dur: 2*time.Minute + 3*sec, err: retriesExhausted(3, 3, e[2]), task: true}, n0)
		for retry, ae := range e {
			r.attempt(n, attemptParams{task: shardTask, retry: uint32(retry), phase: core.TaskExecution_FAILED,
				created: created.Add(time.Duration(retry) * 40 * sec), queued: 2 * sec, dur: 27 * sec, err: ae, running: true,
				reasons: []reason{{0, "task submitted to K8s"}, {250 * ms, "Scheduling"}}})
		}
		failed[i] = n
		last = maxTime(last, created.Add(120*ms+2*time.Minute+3*sec))
	}
	n0End := last.Add(1200 * ms)
	endAt(n0.fx.NodeExecution.GetClosure(), n0End)
	endAt(r.ef.Execution.GetClosure(), n0End.Add(1000*ms))

	// The three failed shards' last pods are left, Succeeded: flytekit caught the error and
	// wrote error.pb. They ran on both CPU nodes, so no one node is to blame.
	now := n0End.Add(6*time.Minute + 12*sec)
	k := newCluster(now)
	for j, i := range denied {
		ref := attemptRef(r, failed[i], 2)
		p := k.pod(ref, podOpts{cpu: "1", mem: "3Gi"})
		nodeName := []string{cpuNodeA, cpuNodeB, cpuNodeA}[j]
		k.bind(p, nodeName, ref.created.Add(250*ms))
		started, finished := processTimes(failed[i].task(2))
		terminated(p, ref.created.Add(250*ms), started, finished, 0, "Completed", "")
		k.ran(p, started)
	}
	k.foreignPod(foreignExec, foreignWF, "n2", foreignTask, cpuNodeB, now.Add(-5*time.Minute-8*sec), podOpts{}, true)
	k.quota()

	st := newStore()
	st.fixture(f)
	meta := strings.TrimPrefix(metaBucket, "s3://")
	st.encrypt(meta, "", s3stub.Encryption{SSE: "aws:kms", KMSKeyID: bucketKMSKey, BucketKeyEnabled: true})
	for _, i := range denied {
		st.encrypt(meta, strings.TrimPrefix(failed[i].dataDir, metaBucket+"/")+"/inputs.pb", s3stub.Encryption{SSE: "aws:kms", KMSKeyID: otherKMSKey})
	}
	return Built{Admin: f, Kube: k.objs, Storage: st.spec()}
}

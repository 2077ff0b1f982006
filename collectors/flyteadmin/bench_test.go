package flyteadmin_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/idl/gen/core"
)

// benchLatency is the per-call latency the fake Admin adds, a typical in-region round trip.
const benchLatency = 10 * time.Millisecond

// benchExecution builds an execution of about n nodes, 1 % failed (at least one per group):
// half at the top level, a quarter under a subworkflow and a quarter under a dynamic node whose
// first failed child is itself a subworkflow with a failed grandchild. Failed nodes have two
// attempts and a message longer than Admin's 100-byte list trim.
func benchExecution(name string, n int) *fakeadmin.Fixture {
	f := &fakeadmin.Fixture{}
	long := func(id string) string {
		return "[2/2] currentAttempt done. Last Error: USER::Pod failed. No message received from kubernetes.\r\n[" +
			name + "-" + id + "-1] terminated with exit code (137). Reason [OOMKilled]. Message: \n."
	}
	e := f.AddExecution(newExecution(name, core.WorkflowExecution_FAILED, userError("RetriesExhausted|OOMKilled", long("n0"))))
	e.AddNode("", newNode("start-node", core.NodeExecution_SUCCEEDED))
	group := func(parentID, prefix string, count int, nestFirstFailure bool) {
		failures := 0
		for i := range count {
			id := fmt.Sprintf("%s%d", prefix, i)
			fail := i%100 == 99 || (count < 100 && i == count-1)
			if !fail {
				e.AddNode(parentID, newNode(id, core.NodeExecution_SUCCEEDED),
					newTask(0, core.TaskExecution_SUCCEEDED, name+"-"+id+"-0", nil))
				continue
			}
			failures++
			if nestFirstFailure && failures == 1 {
				e.AddNode(parentID, newNode(id, core.NodeExecution_FAILED, parent(false), withError("RetriesExhausted|OOMKilled", long(id))))
				for j := range 3 {
					cid := fmt.Sprintf("%s-0-n%d", id, j)
					if j < 2 {
						e.AddNode(id, newNode(cid, core.NodeExecution_SUCCEEDED))
						continue
					}
					e.AddNode(id, newNode(cid, core.NodeExecution_FAILED, withError("RetriesExhausted|OOMKilled", long(cid))),
						newTask(0, core.TaskExecution_FAILED, name+"-"+cid+"-0", userError("OOMKilled", "exit 137")),
						newTask(1, core.TaskExecution_FAILED, name+"-"+cid+"-1", userError("OOMKilled", "exit 137")))
				}
				continue
			}
			e.AddNode(parentID, newNode(id, core.NodeExecution_FAILED, withError("RetriesExhausted|OOMKilled", long(id))),
				newTask(0, core.TaskExecution_FAILED, name+"-"+id+"-0", userError("OOMKilled", "exit 137")),
				newTask(1, core.TaskExecution_FAILED, name+"-"+id+"-1", userError("OOMKilled", "exit 137")))
		}
	}
	group("", "n", n/2, false)
	e.AddNode("", newNode("sub", core.NodeExecution_FAILED, parent(false), withError("RetriesExhausted|OOMKilled", long("sub"))))
	group("sub", "sub-0-n", n/4, false)
	e.AddNode("", newNode("dyn", core.NodeExecution_FAILED, parent(true), withError("RetriesExhausted|OOMKilled", long("dyn"))),
		newTask(0, core.TaskExecution_SUCCEEDED, name+"-dyn-0", nil))
	group("dyn", "dyn-0-dn", n-n/2-n/4, true)
	return f
}

// BenchmarkCollect drives the collector against the fake Admin with 10 ms per call and reports
// calls, peak in flight, the critical path and the ratio of wall time to the ideal: 10 ms times
// the round trips no schedule can avoid, max(critical path, calls / max-concurrency).
func BenchmarkCollect(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			name := fmt.Sprintf("bench%d", n)
			srv, api := serve(b, benchExecution(name, n), fakeadmin.Options{Latency: benchLatency})
			var res *flyteadmin.Result
			b.ResetTimer()
			for range b.N {
				srv.ResetStats()
				res = collect(b, api, name)
			}
			b.StopTimer()
			if got := len(res.Execution.FailurePaths()); got < 3 {
				b.Fatalf("found %d failures", got)
			}
			calls := res.Record.TotalCalls()
			conc := flyteadmin.DefaultMaxConcurrency
			ideal := max(res.Record.CriticalPath, (calls+conc-1)/conc)
			wall := res.Record.Duration.Std()
			ratio := float64(wall) / float64(time.Duration(ideal)*benchLatency)
			b.ReportMetric(float64(calls), "calls")
			b.ReportMetric(float64(srv.Stats().PeakInFlight), "peak-in-flight")
			b.ReportMetric(float64(res.Record.CriticalPath), "critical-path")
			b.ReportMetric(ratio, "wall/ideal")
			b.ReportMetric(float64(wall.Milliseconds()), "wall-ms")
			b.Logf("nodes=%d failures=%d wall=%s calls=%d (%s) peak=%d critical=%d ideal=%d ratio=%.2f",
				n, len(res.Execution.FailurePaths()), wall.Round(time.Millisecond), calls, callsByMethod(res.Record.Calls),
				srv.Stats().PeakInFlight, res.Record.CriticalPath, ideal, ratio)
		})
	}
}

func callsByMethod(m map[string]int) string {
	var parts []string
	for _, k := range []string{"GetExecution", "GetExecutionData", "GetVersion", "ListNodeExecutions", "GetNodeExecution", "ListTaskExecutions", "GetTaskExecution"} {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

package flyteadmin_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
)

// benchLatency is the per-call latency the fake Admin adds, a typical in-region round trip.
const benchLatency = 10 * time.Millisecond

// BenchmarkCollect (run with -benchtime 5x or more) drives the collector against the fake Admin with 10 ms per call and reports
// calls, peak in flight, the critical path and the ratio of wall time to the ideal: 10 ms times
// the round trips no schedule can avoid, max(critical path, calls / max-concurrency).
func BenchmarkCollect(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			name := fmt.Sprintf("bench%d", n)
			srv, api := serve(b, fakeadmin.Synthetic(name, n), fakeadmin.Options{Latency: benchLatency})
			// One untimed run opens the HTTP/2 connection and warms the process; a diagnosis
			// pays that once, not per call. Metrics are from the median of the timed runs.
			collect(b, api, name)
			var runs []*flyteadmin.Result
			var peaks []int
			b.ResetTimer()
			for range b.N {
				srv.ResetStats()
				runs = append(runs, collect(b, api, name))
				peaks = append(peaks, srv.Stats().PeakInFlight)
			}
			b.StopTimer()
			order := make([]int, len(runs))
			for i := range order {
				order[i] = i
			}
			sort.Slice(order, func(i, j int) bool { return runs[order[i]].Record.Duration < runs[order[j]].Record.Duration })
			res, peak := runs[order[len(order)/2]], peaks[order[len(order)/2]]
			if got := len(res.Execution.FailurePaths()); got < 3 {
				b.Fatalf("found %d failures", got)
			}
			calls := res.Record.TotalCalls()
			conc := flyteadmin.DefaultMaxConcurrency
			ideal := max(res.Record.CriticalPath, (calls+conc-1)/conc)
			wall := res.Record.Duration.Std()
			ratio := float64(wall) / float64(time.Duration(ideal)*benchLatency)
			b.ReportMetric(float64(calls), "calls")
			b.ReportMetric(float64(peak), "peak-in-flight")
			b.ReportMetric(float64(res.Record.CriticalPath), "critical-path")
			b.ReportMetric(ratio, "wall/ideal")
			b.ReportMetric(float64(wall.Milliseconds()), "wall-ms")
			b.Logf("nodes=%d failures=%d wall=%s calls=%d (%s) peak=%d critical=%d ideal=%d ratio=%.2f",
				n, len(res.Execution.FailurePaths()), wall.Round(time.Millisecond), calls, callsByMethod(res.Record.Calls),
				peak, res.Record.CriticalPath, ideal, ratio)
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

// BenchmarkFlytectlComparison is the case flytectl `get execution --details` handles worst: a
// dynamic node with 1,000 children of which 3 failed, at 20 ms per call. flytectl makes about
// 205 sequential calls (~4.5 s) and shows only the first 100 children.
func BenchmarkFlytectlComparison(b *testing.B) {
	srv, api := serve(b, fanout("cmp", 2, 1000, 333), fakeadmin.Options{Latency: 20 * time.Millisecond})
	collect(b, api, "cmp")
	var res *flyteadmin.Result
	b.ResetTimer()
	for range b.N {
		srv.ResetStats()
		res = collect(b, api, "cmp")
	}
	b.StopTimer()
	if got := len(res.Execution.FailurePaths()); got != 3 {
		b.Fatalf("found %d of the 3 failed children", got)
	}
	b.ReportMetric(float64(res.Record.TotalCalls()), "calls")
	b.Logf("1,000 children, 3 failed, 20 ms per call: found 3 in %s with %d calls (%s)",
		res.Record.Duration.Std().Round(time.Millisecond), res.Record.TotalCalls(), callsByMethod(res.Record.Calls))
}

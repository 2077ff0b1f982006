package flyteadmin_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
)

// benchLatency is the per-call latency the fake Admin adds, a typical in-region round trip.
const benchLatency = 10 * time.Millisecond

// BenchmarkCollect drives the collector against the fake Admin with 10 ms per call and reports
// calls, peak in flight, the critical path and the ratio of wall time to the ideal: 10 ms times
// the round trips no schedule can avoid, max(critical path, calls / max-concurrency).
func BenchmarkCollect(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			name := fmt.Sprintf("bench%d", n)
			srv, api := serve(b, fakeadmin.Synthetic(name, n), fakeadmin.Options{Latency: benchLatency})
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

// Package gcpolicy sets flytedoctor's garbage collection. It imports only the runtime, so
// its init runs early, before client-go's schemes and the protobuf registries, whose
// allocations used to bring two collections before main.
//
// A run is short and its heap small: at 1,000 nodes the default GOGC=100 collected 8 times
// from 4 MB up, about a fifth of the run's CPU. So flytedoctor does not collect until the
// runtime holds memLimit. After that, once a collection finds more than half of the next
// goal live, it goes back to the defaults: from there GOGC=100 collects less often than the
// limit would (its goal, twice the live heap, is above the limit's), so the collector never
// runs more often than by default, however big the heap. GOGC or GOMEMLIMIT in the
// environment leave all of it to the runtime.
package gcpolicy

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// memLimit is what the runtime may hold before it collects: the 1,000-node run collects once.
const memLimit = 32 << 20

func init() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		set()
	}
}

func set() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(memLimit)
	runtime.SetFinalizer(&sentinel{}, afterGC)
}

// sentinel is garbage whose finalizer runs after each collection; it holds a pointer, so it
// is not a tiny allocation (those share blocks, and their finalizers may never run).
type sentinel struct {
	_ *sentinel
	_ [2]uint64
}

// afterGC goes back to the defaults once the live heap is more than half the next goal, else
// waits for the next collection.
func afterGC(s *sentinel) {
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(m)
	if live, goal := m[0].Value, m[1].Value; live.Kind() == metrics.KindUint64 && goal.Kind() == metrics.KindUint64 &&
		live.Uint64() > goal.Uint64()/2 {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		return
	}
	runtime.SetFinalizer(s, afterGC)
}

// Package gcpolicy sets flytedoctor's garbage collection. It imports only the runtime, so
// its init runs early, before client-go's schemes and the protobuf registries, whose
// allocations used to bring two collections before main.
//
// A run is short and its heap small: at 1,000 nodes the default GOGC=100 collected 8 times
// from 4 MB up, about a fifth of the run's CPU. So flytedoctor does not collect until the
// runtime holds memLimit, and once a collection finds more than switchLive live (tens of
// thousands of nodes) it goes back to the defaults, so a heap too big for the limit grows as
// it always did instead of being collected over and over. GOGC or GOMEMLIMIT in the
// environment leave all of it to the runtime.
package gcpolicy

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// memLimit is what the runtime may hold before it collects. The 1,000-node run collects once
// or twice; at 10,000 nodes (about 15 MiB live) the runtime's peak is 28 MiB where the default
// collector's went from 28 to 40 MiB, at less CPU than the default's.
const memLimit = 32 << 20

// switchLive is the live heap past which the defaults come back: with this much live, a
// collection would find too little to free under the limit.
const switchLive = memLimit * 3 / 4

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

// afterGC goes back to the defaults once more than switchLive is live, else waits for the
// next collection.
func afterGC(s *sentinel) {
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	if live[0].Value.Kind() == metrics.KindUint64 && live[0].Value.Uint64() > switchLive {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		return
	}
	runtime.SetFinalizer(s, afterGC)
}

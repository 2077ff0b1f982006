package gcpolicy

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// Both tests read the policy through SetGCPercent/SetMemoryLimit, which return the old value;
// each puts the value it read back.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

func TestPolicy(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: the policy leaves the runtime alone")
	}
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != -1 || l != memLimit {
		t.Fatalf("at start GC percent %d, memory limit %d; want off under %d", p, l, memLimit)
	}
	t.Cleanup(set) // as init left it, for -count
	// A collection that finds little live keeps the policy...
	runtime.GC()
	runtime.GC() // the first one queued the finalizer; this one has seen it run or re-armed
	if p := gcPercent(); p != -1 {
		t.Fatalf("after a collection of a small heap GC percent %d, want -1", p)
	}
	// ...and one that finds more goes back to the defaults.
	live := make([]byte, memLimit/2)
	deadline := time.Now().Add(10 * time.Second)
	for gcPercent() != 100 {
		if time.Now().After(deadline) {
			t.Fatalf("with %d bytes live, GC percent still %d", len(live), gcPercent())
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	runtime.KeepAlive(live)
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("memory limit %d after the switch, want none", l)
	}
}

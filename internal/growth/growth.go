// Package growth lets tests check that a parser's running time grows linearly with its input:
// the benchmark-free guard of the fuzz targets against super-linear (quadratic) parsing.
package growth

import (
	"strings"
	"testing"
	"time"
)

// Big is the input size every reader of outside text must handle quickly: Flyte truncates an
// event's error message at 100 KiB, so one message from Admin can be that long.
const Big = 100 << 10

// Repeat repeats unit until the result is at least n bytes long.
func Repeat(unit string, n int) string {
	if unit == "" {
		return ""
	}
	return strings.Repeat(unit, n/len(unit)+1)
}

// AssertLinear runs parse on unit repeated to Big/4 and to Big bytes. A linear parser takes
// about four times as long on the larger input, a quadratic one sixteen times: more than ten
// fails. Runs shorter than 30 ms are not compared (timer noise), none may take ten seconds (a
// generous cap: the race detector and a busy CI machine slow a linear parser several times), and
// a failed comparison is measured twice more before it counts, since other work on a shared
// machine can slow one measurement but not a quadratic parser's every one.
func AssertLinear(t testing.TB, name, unit string, parse func(string)) {
	t.Helper()
	if unit == "" {
		return
	}
	small, big := Repeat(unit, Big/4), Repeat(unit, Big)
	var ts, tb time.Duration
	for range 3 {
		ts, tb = fastest(small, parse), fastest(big, parse)
		if tb > 10*time.Second {
			t.Errorf("%s: %d bytes of %.40q... took %v", name, len(big), unit, tb)
			return
		}
		if tb <= 30*time.Millisecond || tb <= 10*ts {
			return
		}
	}
	t.Errorf("%s: super-linear on %.40q...: %v for %d bytes, %v for %d bytes", name, unit, ts, len(small), tb, len(big))
}

// fastest is the best of three runs, which discounts time the machine spent elsewhere.
func fastest(s string, parse func(string)) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		parse(s)
		best = min(best, time.Since(start))
		if best > time.Second {
			break
		}
	}
	return best
}

package evidence

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestRecorderCountsCallsAndAttempts(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	r := NewRecorder("x", t0)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			ctx, c := r.Start(context.Background(), "List", 1)
			defer c.End()
			for range i + 1 { // the transport's retries
				CountAttempt(ctx)
			}
		})
	}
	wg.Wait()
	_, c := r.Start(context.Background(), "Get", 2)
	c.End() // never reached the wire
	c.End() // a second End changes nothing
	CountAttempt(context.Background())
	rec := r.Record(StatusOK, t0.Add(time.Second))
	if !reflect.DeepEqual(rec.Calls, map[string]int{"List": 3, "Get": 1}) || !reflect.DeepEqual(rec.Attempts, map[string]int{"List": 6, "Get": 0}) ||
		rec.TotalCalls() != 4 || rec.TotalAttempts() != 6 || rec.CriticalPath != 2 || rec.PeakInFlight < 1 {
		t.Errorf("record = %+v", rec)
	}

	// Without a counting transport the attempts are unknown, not zero.
	r = NewRecorder("y", t0)
	_, c = r.Start(context.Background(), "List", 1)
	c.End()
	if rec := r.Record(StatusOK, t0); rec.Attempts != nil || rec.TotalCalls() != 1 {
		t.Errorf("record = %+v", rec)
	}
}

func TestCountText(t *testing.T) {
	for _, c := range []struct {
		calls, attempts int
		counted         bool
		want            string
	}{
		{1, 5, true, "1 call, 5 attempts"}, {1, 1, true, "1 call"}, {3, 0, false, "3 calls"},
		{2, 1, true, "2 calls, 1 attempt"}, {0, 0, true, "0 calls"},
	} {
		if got := CountText(c.calls, c.attempts, c.counted); got != c.want {
			t.Errorf("CountText(%d, %d, %v) = %q, want %q", c.calls, c.attempts, c.counted, got, c.want)
		}
	}
}

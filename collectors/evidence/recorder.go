package evidence

import (
	"context"
	"maps"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Calls and attempts are counted one way by every collector. A call is one logical request
// the collector made (one ListNodeExecutions, one HeadObject); its attempts are the requests
// that went on the wire for it, retries by the client (gRPC retry interceptor, the AWS SDK's
// retryer, client-go) included. Calls are counted by the collector; attempts by the transport,
// which finds the call in the request's context (CountAttempt).

// Recorder accounts for a collector's remote calls while it runs — counts by method, attempts,
// calls in flight, the longest chain of dependent calls, failed calls — and turns into its
// CollectorRecord. It is safe for concurrent use.
type Recorder struct {
	collector string
	start     time.Time

	mu       sync.Mutex
	calls    map[string]int
	attempts map[string]int
	counted  bool // some transport counted an attempt: Attempts are known
	inFlight int
	peak     int
	critical int
	errs     []CollectionError
}

// NewRecorder starts the record of one collector run.
func NewRecorder(collector string, start time.Time) *Recorder {
	return &Recorder{collector: collector, start: start, calls: map[string]int{}, attempts: map[string]int{}}
}

// Call is one logical request in progress.
type Call struct {
	rec      *Recorder
	method   string
	attempts atomic.Int64
	ended    atomic.Bool
}

type callKey struct{}

// Start counts a call to method; depth is the number of calls it had to wait for, plus one.
// The returned context carries the call, so that the transport can count its attempts; send
// the request with it and End the call when it is over.
func (r *Recorder) Start(ctx context.Context, method string, depth int) (context.Context, *Call) {
	r.mu.Lock()
	r.calls[method]++
	r.inFlight++
	r.peak = max(r.peak, r.inFlight)
	r.critical = max(r.critical, depth)
	r.mu.Unlock()
	c := &Call{rec: r, method: method}
	return context.WithValue(ctx, callKey{}, c), c
}

// CountAttempt tells the call that ctx carries, if any, that one request went on the wire for
// it. Transports call it once per attempt; it is cheap and safe for concurrent use.
func CountAttempt(ctx context.Context) {
	if c, ok := ctx.Value(callKey{}).(*Call); ok {
		c.attempts.Add(1)
	}
}

// Attempts is the number of requests sent for the call so far.
func (c *Call) Attempts() int { return int(c.attempts.Load()) }

// End ends the call and adds its attempts to the record. Later calls of End do nothing.
func (c *Call) End() {
	if c.ended.Swap(true) {
		return
	}
	r, n := c.rec, c.Attempts()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight--
	r.attempts[c.method] += n
	r.counted = r.counted || n > 0
}

// AddCalls counts the calls (and attempts) of o, a run whose results were dropped, as this
// record's: they were sent all the same. Call it once o's calls are over.
func (r *Recorder) AddCalls(o *Recorder) {
	o.mu.Lock()
	calls, attempts, counted := maps.Clone(o.calls), maps.Clone(o.attempts), o.counted
	o.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for m, n := range calls {
		r.calls[m] += n
	}
	for m, n := range attempts {
		r.attempts[m] += n
	}
	r.counted = r.counted || counted
}

// Fail records a call that failed while collection went on.
func (r *Recorder) Fail(e CollectionError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, e)
}

// Failures is the number of failed calls so far.
func (r *Recorder) Failures() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errs)
}

// Record returns the collector's record at now, errors sorted by target then method.
// Attempts are there only when a transport counted them.
func (r *Recorder) Record(status Status, now time.Time) CollectorRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	errs := append([]CollectionError(nil), r.errs...)
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Target != errs[j].Target {
			return errs[i].Target < errs[j].Target
		}
		return errs[i].Method < errs[j].Method
	})
	rec := CollectorRecord{
		Collector: r.collector, Status: status, StartedAt: r.start, Duration: Duration(now.Sub(r.start)),
		Calls: maps.Clone(r.calls), PeakInFlight: r.peak, CriticalPath: r.critical, Errors: errs,
	}
	if r.counted {
		rec.Attempts = map[string]int{}
		for m := range r.calls {
			rec.Attempts[m] = r.attempts[m]
		}
	}
	return rec
}

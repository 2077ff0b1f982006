package evidence

import (
	"maps"
	"sort"
	"sync"
	"time"
)

// Recorder accounts for a collector's remote calls while it runs — counts by method, calls in
// flight, the longest chain of dependent calls, failed calls — and turns into its
// CollectorRecord. It is safe for concurrent use.
type Recorder struct {
	collector string
	start     time.Time

	mu       sync.Mutex
	calls    map[string]int
	inFlight int
	peak     int
	critical int
	errs     []CollectionError
}

// NewRecorder starts the record of one collector run.
func NewRecorder(collector string, start time.Time) *Recorder {
	return &Recorder{collector: collector, start: start, calls: map[string]int{}}
}

// Begin counts a call to method; depth is the number of calls it had to wait for, plus one.
// Call the returned func when the call is over.
func (r *Recorder) Begin(method string, depth int) (end func()) {
	r.mu.Lock()
	r.calls[method]++
	r.inFlight++
	r.peak = max(r.peak, r.inFlight)
	r.critical = max(r.critical, depth)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.inFlight--
		r.mu.Unlock()
	}
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
func (r *Recorder) Record(status string, now time.Time) CollectorRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	errs := append([]CollectionError(nil), r.errs...)
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Target != errs[j].Target {
			return errs[i].Target < errs[j].Target
		}
		return errs[i].Method < errs[j].Method
	})
	return CollectorRecord{
		Collector: r.collector, Status: status, StartedAt: r.start, Duration: Duration(now.Sub(r.start)),
		Calls: maps.Clone(r.calls), PeakInFlight: r.peak, CriticalPath: r.critical, Errors: errs,
	}
}

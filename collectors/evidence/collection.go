package evidence

import "time"

// Collector statuses.
const (
	StatusOK      = "ok"      // everything was read
	StatusPartial = "partial" // some calls failed; see Errors
	StatusFailed  = "failed"  // nothing usable was read
	StatusSkipped = "skipped" // not run; see SkipReason
)

// CollectorRecord is what one collector did.
type CollectorRecord struct {
	Collector  string    `json:"collector"`
	Status     string    `json:"status"`
	SkipReason string    `json:"skip_reason,omitempty"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	Duration   Duration  `json:"duration"`
	// Calls counts remote calls by method (e.g. "ListNodeExecutions").
	Calls map[string]int `json:"calls,omitempty"`
	// PeakInFlight is the largest number of calls that were in flight at once.
	PeakInFlight int `json:"peak_in_flight,omitempty"`
	// CriticalPath is the longest chain of calls that had to wait for each other.
	CriticalPath int               `json:"critical_path,omitempty"`
	Errors       []CollectionError `json:"errors,omitempty"`
}

// TotalCalls sums Calls.
func (r CollectorRecord) TotalCalls() int {
	n := 0
	for _, c := range r.Calls {
		n += c
	}
	return n
}

// CollectionError is a call that failed while collection went on.
type CollectionError struct {
	Method string `json:"method"`
	// Target names what the call was about, e.g. "flytesnacks/development/abc node n1".
	Target string `json:"target"`
	// Code is the gRPC status code name (e.g. "Unavailable") or another short classification.
	Code    string `json:"code"`
	Message string `json:"message"`
}

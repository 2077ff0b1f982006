package evidence

import (
	"strconv"
	"time"
)

// Status is what became of one collector's run.
type Status string

// Collector statuses.
const (
	StatusOK      Status = "ok"      // everything was read
	StatusPartial Status = "partial" // some calls failed; see Errors
	StatusFailed  Status = "failed"  // nothing usable was read
	StatusSkipped Status = "skipped" // not run; see SkipReason
)

// Collector names, as CollectorRecord.Collector spells them (each collector's Name).
const (
	CollectorAdmin   = "flyteadmin"
	CollectorKube    = "kube"
	CollectorStorage = "s3"
)

// CollectorRecord is what one collector did.
type CollectorRecord struct {
	Collector  string    `json:"collector"`
	Status     Status    `json:"status"`
	SkipReason string    `json:"skip_reason,omitempty"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	Duration   Duration  `json:"duration"`
	// Calls counts remote calls by method (e.g. "ListNodeExecutions"): the logical requests the
	// collector made, each once however often it was retried.
	Calls map[string]int `json:"calls,omitempty"`
	// Attempts counts, by method, the requests that went on the wire for those calls, client
	// retries included; absent when the transport did not count them. A call that never reached
	// the wire (its credentials failed first, say) has none.
	Attempts map[string]int `json:"attempts,omitempty"`
	// PeakInFlight is the largest number of calls that were in flight at once.
	PeakInFlight int `json:"peak_in_flight,omitempty"`
	// CriticalPath is the longest chain of calls that had to wait for each other.
	CriticalPath int               `json:"critical_path,omitempty"`
	Errors       []CollectionError `json:"errors,omitempty"`
}

// TotalCalls sums Calls.
func (r CollectorRecord) TotalCalls() int { return sum(r.Calls) }

// TotalAttempts sums Attempts; 0 when they were not counted.
func (r CollectorRecord) TotalAttempts() int { return sum(r.Attempts) }

func sum(m map[string]int) int {
	n := 0
	for _, c := range m {
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
	// Attempts is how many requests the failed call sent, retries included; 0 when they were
	// not counted.
	Attempts int `json:"attempts,omitempty"`
	// NotSent is true for a call the collector never made because the run ended first
	// (--timeout, Ctrl-C) while it waited its turn; it is not one of Calls.
	NotSent bool `json:"not_sent,omitempty"`
}

// CountText says how many calls and attempts, the one way reports and findings say it:
// "1 call", "3 calls", and "1 call, 5 attempts" when the attempts were counted and differ.
func CountText(calls, attempts int, counted bool) string {
	s := plural(calls, "call")
	if counted && attempts != calls {
		s += ", " + plural(attempts, "attempt")
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// Codes of calls that the run itself cut short, rather than the service: its --timeout
// expired, or the user interrupted it (Ctrl-C, SIGTERM), while they were in flight.
const (
	CodeRunTimeout  = "RunTimeout"
	CodeInterrupted = "Interrupted"
)

package plan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// StopGrace is how long collectors get, once the run's deadline has passed or it was
// interrupted, to return what they have; one still busy then is abandoned.
const StopGrace = 500 * time.Millisecond

// Stop says why a run ended before its collectors did. The run's context is cancelled with
// it: at the --timeout deadline (TimedOut) or at a signal (Interrupted).
type Stop struct {
	Code   string // evidence.CodeRunTimeout or evidence.CodeInterrupted
	Reason string // "timed out after --timeout 5s", "interrupted by SIGINT"
}

func (s *Stop) Error() string { return s.Reason }

// Is makes the cause read as the context error it stands for, so code below that meets it
// in place of context.DeadlineExceeded (net/http reports the context's cause) still knows
// the call timed out or was cancelled.
func (s *Stop) Is(target error) bool {
	if s.Code == evidence.CodeRunTimeout {
		return target == context.DeadlineExceeded
	}
	return target == context.Canceled
}

// NothingWhile is the one-line error of a run interrupted before it had anything to report.
func (s *Stop) NothingWhile(doing string) error {
	return fmt.Errorf("%s while %s; nothing was collected", s.Reason, doing)
}

// Interrupted is the cause to cancel the run's context with at the first SIGINT or SIGTERM.
func Interrupted(sig os.Signal) error {
	name := sig.String()
	switch sig {
	case os.Interrupt:
		name = "SIGINT"
	case syscall.SIGTERM:
		name = "SIGTERM"
	}
	return &Stop{Code: evidence.CodeInterrupted, Reason: "interrupted by " + name}
}

// TimedOut is the cause to give the run's --timeout deadline.
func TimedOut(d time.Duration) error {
	return &Stop{Code: evidence.CodeRunTimeout, Reason: "timed out after --timeout " + d.String()}
}

// StopOf says why ctx ended, or nil while it has not.
func StopOf(ctx context.Context) *Stop {
	if ctx.Err() == nil {
		return nil
	}
	var s *Stop
	if errors.As(context.Cause(ctx), &s) {
		return s
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Stop{Code: evidence.CodeRunTimeout, Reason: "timed out"}
	}
	return &Stop{Code: evidence.CodeInterrupted, Reason: "interrupted"}
}

// markStopped files under the stop's code the context errors, in a collector still running
// when the run stopped, of calls that never reached the service: they were waiting for a
// credential (a kubeconfig exec plugin, credential_process, admin.command), so the report
// says the run's deadline or the interrupt ended them, not the service. Calls that went on the
// wire and got no answer stay the service's (FD9002), and so do calls never sent.
func markStopped(rec *evidence.CollectorRecord, stop *Stop) {
	for i := range rec.Errors {
		e := &rec.Errors[i]
		if e.NotSent || e.Attempts > 0 {
			continue
		}
		switch e.Code {
		case "DeadlineExceeded", "Canceled", "Timeout":
			e.Code, e.Message = stop.Code, stop.Reason+": "+e.Message
		}
	}
}

// stopped is the record of a collector that the run's stop kept from running or that was
// abandoned at it.
func stopped(collector, what string, stop *Stop, start, now time.Time) evidence.CollectorRecord {
	rec := evidence.CollectorRecord{Collector: collector, Status: evidence.StatusFailed,
		Errors: []evidence.CollectionError{{Method: "collect", Target: collector, Code: stop.Code, Message: stop.Reason + ": " + what}}}
	if !start.IsZero() {
		rec.StartedAt, rec.Duration = start, evidence.Duration(now.Sub(start))
	}
	return rec
}

// outcome is what a collector returned and whether the run had stopped by then.
type outcome[T any] struct {
	val     T
	rec     evidence.CollectorRecord
	stopped bool
}

// goCollect runs fn in the background; its outcome arrives on the channel.
func goCollect[T any](ctx context.Context, fn func() (T, evidence.CollectorRecord)) <-chan outcome[T] {
	ch := make(chan outcome[T], 1)
	go func() {
		v, rec := fn()
		ch <- outcome[T]{val: v, rec: rec, stopped: ctx.Err() != nil}
	}()
	return ch
}

// abandonAfterStop returns a channel closed StopGrace after ctx ends, and a func to release it.
func abandonAfterStop(ctx context.Context) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	release := context.AfterFunc(ctx, func() { time.AfterFunc(StopGrace, func() { close(ch) }) })
	return ch, func() { release() }
}

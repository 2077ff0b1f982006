// Package deadline tells whether a run's deadline has come by the clock, not only by the
// context's timer: gRPC's own deadline timer, and a server enforcing the propagated
// grpc-timeout, can end a call a moment before the context reports DeadlineExceeded.
package deadline

import (
	"context"
	"time"
)

// Slack covers a server enforcing the propagated deadline a moment before the caller's timer
// fires (grpc-timeout is rounded down to its unit, a millisecond below 27 h).
const Slack = 100 * time.Millisecond

// Ended is the context's error, or DeadlineExceeded once its deadline has passed.
func Ended(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// Near reports a context whose deadline has passed or is less than Slack away.
func Near(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < Slack
}

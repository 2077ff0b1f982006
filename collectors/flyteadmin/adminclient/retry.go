package adminclient

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flytedoctor/flytedoctor/internal/deadline"
)

// DefaultBaseBackoff is the first wait between attempts; it doubles up to the cap.
const DefaultBaseBackoff = 100 * time.Millisecond

// RetryPolicy says how a unary call is retried.
type RetryPolicy struct {
	PerRetryTimeout time.Duration // deadline of each attempt; 0 means only the caller's
	MaxRetries      int           // retries after the first attempt
	BaseBackoff     time.Duration // first wait; 0 means DefaultBaseBackoff
	MaxBackoff      time.Duration // cap on a wait; 0 means no cap
	// Sleep waits d or until ctx is done; nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, if set, is told about each retry before its wait (logging, counters).
	OnRetry func(method string, retry int, wait time.Duration, err error)
	// Permanent, if set, marks retryable-looking failures that will repeat all the same
	// (the server is not a gRPC server of the kind configured).
	Permanent func(err error) bool
}

// Backoff is the wait before retry number retry (1-based): base doubling, capped.
func (p RetryPolicy) Backoff(retry int) time.Duration {
	d := p.BaseBackoff
	if d <= 0 {
		d = DefaultBaseBackoff
	}
	for i := 1; i < retry; i++ {
		d *= 2
		if p.MaxBackoff > 0 && d >= p.MaxBackoff {
			break
		}
	}
	if p.MaxBackoff > 0 && d > p.MaxBackoff {
		d = p.MaxBackoff
	}
	return d
}

// Retryable reports whether a failed attempt may succeed if repeated: Unavailable,
// ResourceExhausted and DeadlineExceeded, except certificate problems and responses larger
// than the receive limit, which fail the same way every time.
func Retryable(err error) bool {
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	msg := st.Message()
	switch st.Code() {
	case codes.Unavailable:
		return !isTLSError(msg)
	case codes.ResourceExhausted:
		return !strings.Contains(msg, "larger than max")
	case codes.DeadlineExceeded:
		return true
	}
	return false
}

func isTLSError(msg string) bool {
	for _, s := range []string{"x509:", "tls:", "certificate", "authentication handshake failed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// RetryInterceptor gives every attempt its own deadline (never past the caller's) and retries
// retryable failures with capped exponential backoff. It stops as soon as the caller's ctx is
// done, so a DeadlineExceeded is retried only when it came from the per-attempt deadline.
func RetryInterceptor(p RetryPolicy) grpc.UnaryClientInterceptor {
	sleep := p.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		for retry := 0; ; retry++ {
			actx, cancel := ctx, context.CancelFunc(func() {})
			if p.PerRetryTimeout > 0 {
				actx, cancel = context.WithTimeout(ctx, p.PerRetryTimeout)
			}
			err := invoker(actx, method, req, reply, cc, opts...)
			own := ownDeadline(err, ctx, actx)
			cancel()
			if err == nil || ctx.Err() != nil || retry >= p.MaxRetries || !Retryable(err) || (p.Permanent != nil && p.Permanent(err)) {
				if own {
					return &AttemptDeadlineError{Timeout: p.PerRetryTimeout, Err: err}
				}
				return err
			}
			// The server's DeadlineExceeded can arrive before our ctx timer fires, so also ask
			// whose deadline bounded the attempt.
			if status.Code(err) == codes.DeadlineExceeded && callerBound(ctx, actx) {
				return err
			}
			wait := p.Backoff(retry + 1)
			if p.OnRetry != nil {
				p.OnRetry(method, retry+1, wait, err)
			}
			if sleep(ctx, wait) != nil {
				return err
			}
		}
	}
}

// AttemptDeadlineError is a call whose last attempt ran out of admin.perRetryTimeout, our own
// per-attempt deadline, while the caller still had time: not a server's DeadlineExceeded and not
// the run's --timeout. It carries the call's gRPC status unchanged.
type AttemptDeadlineError struct {
	Timeout time.Duration
	Err     error
}

func (e *AttemptDeadlineError) Error() string              { return e.Err.Error() }
func (e *AttemptDeadlineError) Unwrap() error              { return e.Err }
func (e *AttemptDeadlineError) GRPCStatus() *status.Status { return status.Convert(e.Err) }

// ownDeadline reports a DeadlineExceeded that came from the attempt's own deadline: the
// attempt's context has expired and the caller's has not (gRPC words it variously, "context
// deadline exceeded" or a cancelled stream).
func ownDeadline(err error, ctx, attempt context.Context) bool {
	return status.Code(err) == codes.DeadlineExceeded && ctx.Err() == nil && !deadline.Near(ctx) &&
		deadline.Ended(attempt) != nil
}

// callerBound reports a DeadlineExceeded that is the caller's own: the attempt ran under the
// caller's deadline and that deadline is (all but) reached. A server that answers
// DeadlineExceeded long before it, from a deadline of its own, is retried like any other.
func callerBound(ctx, attempt context.Context) bool {
	cd, ok := ctx.Deadline()
	if !ok {
		return false
	}
	ad, _ := attempt.Deadline()
	return !cd.After(ad) && deadline.Near(ctx)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

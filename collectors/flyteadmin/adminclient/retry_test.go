package adminclient_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

const ms = time.Millisecond

func TestBackoff(t *testing.T) {
	p := adminclient.RetryPolicy{MaxBackoff: 250 * ms}
	var got []time.Duration
	for i := 1; i <= 5; i++ {
		got = append(got, p.Backoff(i))
	}
	if want := []time.Duration{100 * ms, 200 * ms, 250 * ms, 250 * ms, 250 * ms}; !reflect.DeepEqual(got, want) {
		t.Errorf("capped: %v, want %v", got, want)
	}
	p = adminclient.RetryPolicy{BaseBackoff: time.Second, MaxBackoff: 8 * time.Second}
	if got := p.Backoff(60); got != 8*time.Second {
		t.Errorf("Backoff(60) = %v, want the cap (no overflow)", got)
	}
	if got := (adminclient.RetryPolicy{}).Backoff(3); got != 400*ms {
		t.Errorf("uncapped Backoff(3) = %v", got)
	}
}

// failing is an Admin whose first fails calls return code; later calls succeed.
func failing(t *testing.T, code codes.Code, fails int) (string, *adminServer) {
	as := &adminServer{handler: func(_ context.Context, n int) (*admin.GetVersionResponse, error) {
		if n <= fails {
			return nil, status.Errorf(code, "attempt %d fails", n)
		}
		return &admin.GetVersionResponse{}, nil
	}}
	return serve(t, func(s *grpc.Server) { service.RegisterAdminServiceServer(s, as) }), as
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		code       codes.Code
		fails      int
		maxRetries int
		wantCalls  int
		wantSleeps []time.Duration
		wantCode   codes.Code
	}{
		{"Unavailable then success", codes.Unavailable, 3, 4, 4, []time.Duration{100 * ms, 200 * ms, 250 * ms}, codes.OK},
		{"ResourceExhausted then success", codes.ResourceExhausted, 1, 4, 2, []time.Duration{100 * ms}, codes.OK},
		{"retries exhausted", codes.Unavailable, 100, 2, 3, []time.Duration{100 * ms, 200 * ms}, codes.Unavailable},
		{"no retries configured", codes.Unavailable, 100, 0, 1, nil, codes.Unavailable},
		{"NotFound is not retried", codes.NotFound, 100, 4, 1, nil, codes.NotFound},
		{"InvalidArgument is not retried", codes.InvalidArgument, 100, 4, 1, nil, codes.InvalidArgument},
		{"Internal is not retried", codes.Internal, 100, 4, 1, nil, codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, as := failing(t, tt.code, tt.fails)
			a := cfg(addr)
			a.MaxRetries = tt.maxRetries
			a.MaxBackoffDelay = 250 * ms
			s := &sleeps{}
			var retried []int
			c := dial(t, adminclient.Options{Config: a, Sleep: s.sleep,
				OnRetry: func(_ string, n int, _ time.Duration, _ error) { retried = append(retried, n) }})
			err := getVersion(c)
			if status.Code(err) != tt.wantCode {
				t.Fatalf("got %v, want %v", err, tt.wantCode)
			}
			if n := as.callCount(); n != tt.wantCalls {
				t.Errorf("server calls = %d, want %d", n, tt.wantCalls)
			}
			if got := s.got(); !reflect.DeepEqual(got, tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantSleeps)
			}
			if st := c.Stats(); st.Retries != int64(len(tt.wantSleeps)) || len(retried) != len(tt.wantSleeps) {
				t.Errorf("stats = %+v, OnRetry calls %v", st, retried)
			}
		})
	}
}

func TestPerAttemptDeadlineIsRetried(t *testing.T) {
	as := &adminServer{handler: func(ctx context.Context, n int) (*admin.GetVersionResponse, error) {
		if n == 1 {
			<-ctx.Done() // hang until the client's per-attempt deadline
			return nil, ctx.Err()
		}
		return &admin.GetVersionResponse{}, nil
	}}
	addr := serve(t, func(s *grpc.Server) { service.RegisterAdminServiceServer(s, as) })
	a := cfg(addr)
	a.PerRetryTimeout = 300 * ms // the first attempt hangs to it; the second must not, even on a busy machine
	s := &sleeps{}
	c := dial(t, adminclient.Options{Config: a, Sleep: s.sleep})
	if err := getVersion(c); err != nil {
		t.Fatal(err)
	}
	if n := as.callCount(); n != 2 {
		t.Errorf("server calls = %d, want 2", n)
	}
	if got := s.got(); !reflect.DeepEqual(got, []time.Duration{100 * ms}) {
		t.Errorf("sleeps = %v", got)
	}
}

func TestCallerContextEndsRetries(t *testing.T) {
	started := make(chan struct{}, 1)
	as := &adminServer{handler: func(ctx context.Context, n int) (*admin.GetVersionResponse, error) {
		started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	addr := serve(t, func(s *grpc.Server) { service.RegisterAdminServiceServer(s, as) })

	t.Run("canceled", func(t *testing.T) {
		s := &sleeps{}
		c := dial(t, adminclient.Options{Config: cfg(addr), Sleep: s.sleep})
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-started; cancel() }()
		err := getVersionCtx(ctx, c)
		if status.Code(err) != codes.Canceled {
			t.Fatalf("got %v, want Canceled", err)
		}
		if len(s.got()) != 0 {
			t.Errorf("retried after the caller gave up: %v", s.got())
		}
	})
	t.Run("caller deadline shorter than perRetryTimeout", func(t *testing.T) {
		s := &sleeps{}
		c := dial(t, adminclient.Options{Config: cfg(addr), Sleep: s.sleep, OnRetry: func(m string, n int, _ time.Duration, err error) { t.Logf("retry %s %d: %v", m, n, err) }}) // perRetryTimeout 15s
		before := as.callCount()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		dctx, dcancel := context.WithTimeout(ctx, 50*ms)
		defer dcancel()
		err := getVersionCtx(dctx, c)
		<-started
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("got %v, want DeadlineExceeded", err)
		}
		if n := as.callCount() - before; n != 1 || len(s.got()) != 0 {
			t.Errorf("calls = %d, sleeps = %v; want 1 call and no retry", n, s.got())
		}
	})
}

func TestResponseTooLargeIsNotRetried(t *testing.T) {
	as := &adminServer{handler: func(context.Context, int) (*admin.GetVersionResponse, error) {
		return &admin.GetVersionResponse{ControlPlaneVersion: &admin.Version{Build: strings.Repeat("x", 1000)}}, nil
	}}
	addr := serve(t, func(s *grpc.Server) { service.RegisterAdminServiceServer(s, as) })
	a := cfg(addr)
	a.MaxMessageSizeBytes = 64
	s := &sleeps{}
	err := getVersion(dial(t, adminclient.Options{Config: a, Sleep: s.sleep}))
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "larger than max") {
		t.Fatalf("got %v, want ResourceExhausted larger than max", err)
	}
	if n := as.callCount(); n != 1 || len(s.got()) != 0 {
		t.Errorf("calls = %d, sleeps = %v; want 1 call, no retry", n, s.got())
	}
}

// A server's own DeadlineExceeded (a database timeout, say) is retried even when the caller's
// deadline is shorter than perRetryTimeout: only the caller's expiry ends the retries.
func TestServerDeadlineExceededIsRetriedUnderCallerDeadline(t *testing.T) {
	addr, as := failing(t, codes.DeadlineExceeded, 2)
	s := &sleeps{}
	c := dial(t, adminclient.Options{Config: cfg(addr), Sleep: s.sleep}) // perRetryTimeout 15s
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := getVersionCtx(ctx, c); err != nil {
		t.Fatalf("got %v, want success after two retries", err)
	}
	if n := as.callCount(); n != 3 {
		t.Errorf("server calls = %d, want 3", n)
	}
	if got := s.got(); !reflect.DeepEqual(got, []time.Duration{100 * ms, 200 * ms}) {
		t.Errorf("sleeps = %v", got)
	}
}

package fakeadmin

import (
	"context"
	"maps"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Stats is a snapshot of the Server's call counters. Method names are the RPC names, e.g.
// "ListNodeExecutions".
type Stats struct {
	// Calls counts calls per method, including ones that failed or were faulted.
	Calls map[string]int
	// Total is the sum of Calls.
	Total int
	// InFlight is the number of calls running now.
	InFlight int
	// PeakInFlight is the largest number of calls that ran at the same time, latency included.
	PeakInFlight int
}

type instruments struct {
	mu       sync.Mutex
	calls    map[string]int
	total    int
	inFlight int
	peak     int
	queued   map[string][]codes.Code
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.inst.mu.Lock()
	defer s.inst.mu.Unlock()
	return Stats{
		Calls:        maps.Clone(s.inst.calls),
		Total:        s.inst.total,
		InFlight:     s.inst.inFlight,
		PeakInFlight: s.inst.peak,
	}
}

// ResetStats zeroes the counters (calls running now stay counted in InFlight).
func (s *Server) ResetStats() {
	s.inst.mu.Lock()
	defer s.inst.mu.Unlock()
	s.inst.calls = map[string]int{}
	s.inst.total = 0
	s.inst.peak = s.inst.inFlight
}

// FailNext makes the next n calls to method fail with code, before Options.Fault is consulted.
func (s *Server) FailNext(method string, code codes.Code, n int) {
	s.inst.mu.Lock()
	defer s.inst.mu.Unlock()
	for range n {
		s.inst.queued[method] = append(s.inst.queued[method], code)
	}
}

// begin accounts for a call, waits the injected latency and returns an injected fault if any.
// The caller must call the returned end func.
func (s *Server) begin(ctx context.Context, method string, req proto.Message) (end func(), err error) {
	in := &s.inst
	in.mu.Lock()
	if in.calls == nil {
		in.calls = map[string]int{}
	}
	in.calls[method]++
	in.total++
	in.inFlight++
	in.peak = max(in.peak, in.inFlight)
	var fault codes.Code
	queued := len(in.queued[method]) > 0
	if queued {
		fault = in.queued[method][0]
		in.queued[method] = in.queued[method][1:]
	}
	in.mu.Unlock()
	end = func() {
		in.mu.Lock()
		in.inFlight--
		in.mu.Unlock()
	}

	if d := s.latency(method); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return end, status.FromContextError(ctx.Err()).Err()
		case <-t.C:
		}
	}
	if queued {
		return end, status.Errorf(fault, "fakeadmin: injected %s fault for %s", fault, method)
	}
	if _, err := s.authenticate(ctx); err != nil {
		return end, err
	}
	if s.opts.Fault != nil {
		if err := s.opts.Fault(method, req); err != nil {
			return end, err
		}
	}
	return end, nil
}

func (s *Server) latency(method string) time.Duration {
	if s.opts.LatencyFunc != nil {
		return s.opts.LatencyFunc(method)
	}
	return s.opts.Latency
}

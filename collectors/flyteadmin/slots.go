package flyteadmin

import (
	"context"
	"sync"
)

// slots bounds the calls in flight and hands a freed slot to calls that unlock more work
// (listing nodes, reading an execution) before leaf calls. Without that, a long page chain
// queues behind every leaf call its own earlier pages started, and the critical path stretches.
type slots struct {
	mu      sync.Mutex
	free    int
	waiting [2][]chan struct{} // by priority: [0] leaf calls, [1] calls that fan out
}

const (
	prioLeaf   = 0
	prioFanout = 1
)

func newSlots(n int) *slots { return &slots{free: n} }

func (s *slots) acquire(ctx context.Context, prio int) error {
	s.mu.Lock()
	if s.free > 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	s.waiting[prio] = append(s.waiting[prio], ch)
	s.mu.Unlock()

	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		select {
		case <-ch: // granted while giving up: pass it on
			s.releaseLocked()
		default:
			q := s.waiting[prio]
			for i, c := range q {
				if c == ch {
					s.waiting[prio] = append(q[:i:i], q[i+1:]...)
					break
				}
			}
		}
		return ctx.Err()
	}
}

func (s *slots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked()
}

func (s *slots) releaseLocked() {
	for p := prioFanout; p >= prioLeaf; p-- {
		if q := s.waiting[p]; len(q) > 0 {
			s.waiting[p] = q[1:]
			close(q[0])
			return
		}
	}
	s.free++
}

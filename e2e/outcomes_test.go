package e2e

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/impls/pool"
)

// An until decides, request by request, when a point has seen the event a
// test is about: it is called with each request's outcome in the order
// they end (under a lock) and returns true once the window may end. A new
// one is made for every point.
type until func(ok bool) bool

// endOnEvent makes sweep s end each point's window once the until made by
// next (one per point) returns true (Sweep.EndWhen), instead of after a
// fixed time that a loaded machine may not keep to; s.Duration bounds the
// window still. It wraps s.Pools, which must be set.
func endOnEvent(s *harness.Sweep, next func() until) {
	pools := make([]harness.Pool, len(s.Pools))
	for i, pd := range s.Pools {
		pools[i] = harness.Pool{Name: pd.Name, New: func(cfg pool.Config) (pool.Pool, error) {
			p, err := pd.New(cfg)
			if err != nil {
				return nil, err
			}
			return &watchedPool{Pool: p, until: next(), done: make(chan struct{})}, nil
		}}
	}
	s.Pools = pools
	s.EndWhen = func(p pool.Pool) <-chan struct{} { return p.(*watchedPool).done }
}

// watchedPool reports the outcome of every request made through it, as the
// harness's workers make them: a Put is a request that succeeded, a
// Discard or a failed Get one that failed.
type watchedPool struct {
	pool.Pool
	mu    sync.Mutex
	until until // guarded by mu
	done  chan struct{}
	ended bool // done is closed; guarded by mu
}

func (p *watchedPool) record(ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ended && p.until(ok) {
		p.ended = true
		close(p.done)
	}
}

func (p *watchedPool) Get(ctx context.Context) (net.Conn, error) {
	c, err := p.Pool.Get(ctx)
	if err != nil && ctx.Err() == nil {
		p.record(false)
	}
	return c, err
}

func (p *watchedPool) Put(c net.Conn) error {
	err := p.Pool.Put(c)
	p.record(err == nil)
	return err
}

func (p *watchedPool) Discard(c net.Conn) error {
	p.record(false)
	return p.Pool.Discard(c)
}

// afterFailures is an until that ends the window once n requests failed
// at or after the moment ready (nil: at once) returns is closed.
func afterFailures(n int, ready func() <-chan struct{}) func() until {
	return func() until {
		r := readyChan(ready)
		failed := 0
		return func(ok bool) bool {
			if !closed(r) {
				return false // the event has not happened: nothing counts yet
			}
			if !ok {
				failed++
			}
			return failed >= n
		}
	}
}

// afterSuccesses is an until that ends the window once n requests in a row
// succeeded, at or after the moment ready (nil: at once) is closed.
func afterSuccesses(n int, ready func() <-chan struct{}) func() until {
	return func() until {
		r := readyChan(ready)
		streak := 0
		return func(ok bool) bool {
			if !closed(r) {
				return false // the event has not happened: nothing counts yet
			}
			if streak++; !ok {
				streak = 0
			}
			return streak >= n
		}
	}
}

// afterRequests is an until that ends the window once n requests ended
// after the warm-up, whatever their outcome. The harness starts its
// warm-up when the load starts, before the first request ends, so a
// request that ends warmup or more after the first one ended is past the
// warm-up; counting from the load's start instead let a fast point end its
// n requests inside the warm-up, and the window then closed as it opened,
// with no request in it.
func afterRequests(n int, warmup time.Duration) func() until {
	return func() until {
		var first time.Time
		ended := 0
		return func(bool) bool {
			now := time.Now()
			if first.IsZero() {
				first = now
			}
			if now.Sub(first) < warmup {
				return false
			}
			ended++
			return ended >= n
		}
	}
}

// readyChan is ready's channel, or nil for none.
func readyChan(ready func() <-chan struct{}) <-chan struct{} {
	if ready == nil {
		return nil
	}
	return ready()
}

// closed reports whether c is nil or closed.
func closed(c <-chan struct{}) bool {
	if c == nil {
		return true
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// waitClosed waits for c to close, for at most limit; false when it did not.
func waitClosed(c <-chan struct{}, limit time.Duration) bool {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-c:
		return true
	case <-t.C:
		return false
	}
}

// runSweep runs s, one point per pool, failing the test as a hang when it
// overruns runDeadline.
func runSweep(t *testing.T, s *harness.Sweep) *harness.Results {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), runDeadline)
	defer cancel()
	res, err := s.Run(ctx)
	if errors.Is(err, harness.ErrInterrupted) {
		t.Fatalf("sweep hung: still running after %v", runDeadline)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != len(s.Pools) {
		t.Fatalf("%d points for %d pools", len(res.Points), len(s.Pools))
	}
	return res
}

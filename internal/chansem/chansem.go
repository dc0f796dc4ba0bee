// Package chansem owns the capacity of the designs built on channels
// (chanpool, dial): a buffered channel holding one token per conn open or
// being dialed, the Close that wakes the Gets parked on it, and the dial
// into a token a Get holds. The runtime serves goroutines parked on a
// channel in the order they parked, so a freed token goes to the oldest
// parked Get and never to a newcomer. It must not know whether or how a
// design keeps conns idle: a design that does passes its idle channel to
// Wait and takes back, through the keep hook, a conn whose Get left.
package chansem

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/dialer"
	"github.com/poolbench/poolbench/internal/lease"
)

// Sem is the token channel of one pool. Build it with New.
type Sem struct {
	// tokens holds one token per conn open or being dialed: sending takes
	// one and blocks at the cap, receiving frees one.
	tokens  chan struct{}
	dialing atomic.Int64 // tokens held by dials in flight
	stats   *counters.Counters
	slot    dialer.Slot

	closed atomic.Bool
	done   chan struct{} // closed by Close, wakes parked Gets
}

// New returns a semaphore of maxConns tokens for owner. Its dials call dial
// and count into stats; keep takes an entry, with its token, whose Get left
// while it was being dialed (nil: the conn is closed, as Drop does).
func New(maxConns int, owner lease.Owner, dial func(context.Context) (net.Conn, error),
	stats *counters.Counters, keep func(*lease.Entry)) *Sem {
	s := &Sem{tokens: make(chan struct{}, maxConns), stats: stats, done: make(chan struct{})}
	if keep == nil {
		keep = s.Drop
	}
	s.slot = dialer.Slot{
		Owner: owner, Dial: dial, Stats: stats, Dialing: &s.dialing,
		Closed: s.Closed, Free: s.Free, Drop: s.Drop, Keep: keep,
	}
	return s
}

// TryTake takes a token if one is free, without waiting.
func (s *Sem) TryTake() bool {
	select {
	case s.tokens <- struct{}{}:
		return true
	default:
		return false
	}
}

// Wait parks, counted as a wait, until a token frees, an entry arrives on
// idle (nil for a design that keeps none), ctx ends or the pool closes. It
// returns the entry, which carries its own token, or nil when it took a
// token, or the error to return from Get.
func (s *Sem) Wait(ctx context.Context, idle <-chan *lease.Entry) (*lease.Entry, error) {
	s.stats.Waits.Add(1)
	start := counters.WaitStart()
	defer s.stats.Waited(start)
	select {
	case e := <-idle:
		return e, nil
	case s.tokens <- struct{}{}:
		return nil, nil
	case <-ctx.Done():
		s.stats.Cancels.Add(1)
		return nil, fmt.Errorf("pool: waiting for a conn: %w", ctx.Err())
	case <-s.done:
		return nil, pool.ErrClosed
	}
}

// Dial dials a conn with the token the caller holds. The token is freed if
// the dial fails or the pool has closed; if ctx ends first the dial's
// outcome goes to keep or frees the token when it lands (see dialer.Slot).
func (s *Sem) Dial(ctx context.Context) (net.Conn, error) {
	if s.Closed() {
		s.Free()
		return nil, pool.ErrClosed
	}
	return s.slot.Get(ctx)
}

// Free gives up one token; the oldest Get parked in Wait takes it over.
func (s *Sem) Free() { <-s.tokens }

// Drop closes the conn of an entry the caller owns and frees its token. The
// close comes first, so the conn no longer counts as open when a parked Get
// dials with the token.
func (s *Sem) Drop(e *lease.Entry) {
	e.Raw().Close()
	s.Free()
}

// Close marks the pool closed and wakes every Get parked in Wait with
// pool.ErrClosed. It reports whether this call closed it: only the first
// does.
func (s *Sem) Close() bool {
	if !s.closed.CompareAndSwap(false, true) {
		return false
	}
	close(s.done)
	return true
}

// Closed reports whether Close has been called.
func (s *Sem) Closed() bool { return s.closed.Load() }

// Gauges returns the conns open (tokens held by conns, not by dials) and
// the dials in flight, for Stats. They are read without a lock, so they
// agree with each other only when the pool is quiet.
func (s *Sem) Gauges() (open, dialing int) {
	dialing = int(s.dialing.Load())
	return s.Taken() - dialing, dialing
}

// Taken is the number of tokens taken, by conns and dials alike.
func (s *Sem) Taken() int { return len(s.tokens) }

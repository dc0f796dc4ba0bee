package dialer

import (
	"context"
	"errors"
	"net"
	"sync/atomic"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/lease"
)

// Slot is the dial of a design that reserves capacity with an atomic
// count rather than under a lock (ring, shard): Dial runs Dial into a slot
// the caller has reserved, keeping Dialing for the design's Stats, and
// hands what it cannot return to the design's own hooks. Build it once, in
// the design's constructor.
type Slot struct {
	Owner   lease.Owner
	Dial    func(ctx context.Context) (net.Conn, error)
	Stats   *counters.Counters
	Dialing *atomic.Int64 // dials in flight
	Ledger  *lease.Ledger // if set, every conn dialed is added to it

	Closed func() bool        // whether the pool has been closed
	Free   func()             // gives back the reserved slot (and serves waiters)
	Drop   func(*lease.Entry) // closes an entry and frees its slot
	Keep   func(*lease.Entry) // takes a conn whose Get left: to a waiter, idle, or closed
}

// Get dials into the caller's reserved slot, outside every lock. The slot
// is freed if the dial fails, and the conn closed if the pool closed
// meanwhile. If ctx ends first, Get returns at once with an error wrapping
// ErrAbandoned, and the dial's outcome goes to Keep or Free when it lands.
func (s *Slot) Get(ctx context.Context) (net.Conn, error) {
	s.Dialing.Add(1)
	e, err := Dial(ctx, s.Owner, s.Dial, s.Stats, s.late)
	if errors.Is(err, ErrAbandoned) {
		return nil, err
	}
	s.Dialing.Add(-1)
	if err != nil {
		s.Free()
		return nil, err
	}
	if s.Closed() {
		s.Drop(e)
		return nil, pool.ErrClosed
	}
	if s.Ledger != nil {
		s.Ledger.Add(e, true)
	}
	return e.Acquire(), nil
}

// late receives the outcome of a dial whose Get left.
func (s *Slot) late(e *lease.Entry, err error) {
	s.Dialing.Add(-1)
	if err != nil {
		s.Free()
		return
	}
	if s.Ledger != nil {
		s.Ledger.Add(e, false)
	}
	s.Keep(e)
}

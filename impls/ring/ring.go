// Package ring is a connection pool built for the uncontended fast path:
// idle conns sit in one hot cell and behind it a lock-free bounded MPMC
// queue (queue.go), capacity is one atomic count of open and dialing conns
// reserved by CAS, and a Get or Put that finds a conn or room touches no
// lock, reads no clock (unless a timeout is set) and allocates nothing but
// its share of a block of hand-out handles. Goroutines park only when the
// pool is exhausted, on a mutex-guarded FIFO of waiters (wait.go); while
// anyone is parked, Put hands its conn straight to the oldest waiter and a
// new Get queues behind them instead of taking an idle conn.
//
// The hot cell holds the most recently returned conn: a Put fills it with
// one CAS when it is empty and a Get empties it with one swap, where the
// queue costs two locked instructions on each side (claiming a position and
// publishing the cell; Go's atomic stores are locked XCHGs on amd64). Only
// when the cell is taken do conns queue, first-in first-out. Under a light
// load one conn then serves every Get and the others age out under
// IdleTimeout, as database/sql's most-recently-used reuse lets them.
package ring

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/capacity"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/dialer"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/reaper"
)

// Pool is the ring connection pool. Create it with New.
//
// Lost wakeups are ruled out by pairs of atomics that each side writes and
// then reads in the opposite order (all Go atomics are sequentially
// consistent): a Put fills the hot cell or pushes to the ring and then
// reads waiters, a Get that
// is about to park increments waiters and then re-checks the ring and the
// capacity; a free slot decrements slots and then reads waiters; Close
// stores closed and then drains the cell and the ring, a Put fills or
// pushes and then reads closed; a spill adds to spilled and then reads the ring's length, a push
// reads spilled after it lands. In each pair at least one side sees the
// other.
type Pool struct {
	// Read-only after New.
	cfg     pool.Config
	policy  expiry.Policy
	idle    *queue[*lease.Entry]
	reaper  *reaper.Reaper // nil unless policy.Timed()
	waiterp sync.Pool      // of *waiter; per pool, since a synctest bubble owns its channels
	slot    dialer.Slot    // dials into reserved slots; hooks set in New

	// closed is set once, by Close, and read by every Get and Put.
	closed atomic.Bool
	_      [cacheLine]byte

	// hot is the most recently returned idle conn, or nil; see the package
	// doc. It counts toward MaxIdle, so the ring holds MaxIdle-1.
	hot atomic.Pointer[lease.Entry]
	_   [cacheLine - 8]byte

	// waiters is the number of parked Gets, len(wq), and spilled is
	// len(spill). Both are written under mu and read without it: nonzero
	// sends Get and Put to the slow path.
	waiters atomic.Int64
	spilled atomic.Int64
	_       [cacheLine - 16]byte

	// slots counts conns open or being dialed. A Get reserves one by CAS
	// before it dials, so slots never exceeds MaxConns.
	slots   capacity.Counter
	dialing atomic.Int64 // dials in flight, for Stats
	_       [cacheLine - 16]byte

	// counters leaves Reuses alone: the ledger counts hand-outs from the
	// conns' own generations, which keeps an atomic add off the fast path.
	counters counters.Counters
	ledger   lease.Ledger

	mu    sync.Mutex
	wq    waitQueue      // guarded by mu
	spill []*lease.Entry // guarded by mu; see spill.go
}

// New returns a ring pool (a *Pool) for cfg, or an error wrapping
// pool.ErrInvalidConfig. It returns the interface so that it can sit in the
// registry as it is.
func New(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, fmt.Errorf("ring: %w", err)
	}
	p := &Pool{
		cfg:    cfg,
		policy: expiry.New(cfg),
		idle:   newQueue[*lease.Entry](cfg.MaxIdle - 1), // the hot cell holds one
		spill:  make([]*lease.Entry, 0, cfg.MaxIdle),
	}
	p.slot = dialer.Slot{
		Owner: p, Dial: cfg.Dial, Stats: &p.counters, Dialing: &p.dialing, Ledger: &p.ledger,
		Closed: p.closed.Load, Free: p.freeSlot, Drop: p.drop, Keep: func(e *lease.Entry) { p.offer(e, time.Time{}) },
	}
	if p.policy.Timed() {
		p.reaper = reaper.New(p.sweep)
	}
	return p, nil
}

// Get returns an idle conn, dials one while fewer than MaxConns are open or
// dialing, or waits first-in first-out. See pool.Pool.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	for spins := 0; ; spins++ {
		if p.closed.Load() {
			return nil, pool.ErrClosed
		}
		// A parked Get is owed the next conn; taking from the ring or the
		// capacity ahead of it would be barging.
		if p.waiters.Load() != 0 {
			return p.wait(ctx)
		}
		e, ok := p.takeIdle()
		if !ok && p.spilled.Load() != 0 {
			e, ok = p.unspill()
		}
		if ok {
			cause := p.policy.OnGet(&e.Life)
			if cause == expiry.Fresh {
				return e.Acquire(), nil // counted by the ledger
			}
			p.retire(e, cause)
			p.freeSlot()
			continue
		}
		if p.slots.TryReserve(p.cfg.MaxConns) {
			return p.slot.Get(ctx)
		}
		// Exhausted, unless a Put is between claiming its cell and
		// publishing it: pop reports that as empty, and the push is a few
		// instructions from done, so look again before parking.
		if spins < maxSpins && p.idle.len() > 0 {
			continue
		}
		return p.wait(ctx)
	}
}

// maxSpins bounds Get's retries for a push in flight; past it (the pusher
// was preempted) Get parks, and the pusher's check of waiters after its
// push hands the conn over.
const maxSpins = 16

// Put returns c for reuse. See pool.Pool.
func (p *Pool) Put(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	if !p.policy.Timed() {
		p.keep(e) // offer without the clock and the reaper
		return nil
	}
	now := time.Now()
	if _, cause := p.policy.Returned(&e.Life, now); cause != expiry.Fresh {
		p.retire(e, cause)
		p.freeSlot()
		return nil
	}
	p.offer(e, now)
	return nil
}

// Discard closes c and frees its slot. See pool.Pool.
func (p *Pool) Discard(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	p.counters.Discards.Add(1)
	p.drop(e)
	return nil
}

// Close closes the idle conns, wakes every waiter with pool.ErrClosed and
// makes later Puts close their conns. It is idempotent.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed.Load() {
		p.mu.Unlock()
		return nil
	}
	p.closed.Store(true)
	for w := p.wq.popFront(); w != nil; w = p.wq.popFront() {
		p.grant(w, nil, false, pool.ErrClosed)
	}
	p.waiters.Store(0)
	p.mu.Unlock()
	if p.reaper != nil {
		p.reaper.Stop() // its sweep takes mu, so not under it
	}
	p.drain()
	return nil
}

// Stats returns a snapshot of the pool's gauges and counters.
func (p *Pool) Stats() pool.Stats {
	s := p.counters.Snapshot()
	s.Dialing = int(p.dialing.Load())
	s.Open = max(p.slots.InUse()-s.Dialing, 0)
	s.Idle = min(p.idleLen()+int(p.spilled.Load()), s.Open)
	s.InUse = s.Open - s.Idle
	s.Reuses = p.ledger.Reuses(s.InUse)
	return s
}

// freeSlot gives back one slot and, if anyone is parked, lets the oldest
// waiter use it.
func (p *Pool) freeSlot() {
	p.slots.Release()
	if p.waiters.Load() != 0 {
		p.serve()
	}
}

// retire closes an entry that the reuse policy refused for cause. The
// caller still owns its slot.
func (p *Pool) retire(e *lease.Entry, cause expiry.Cause) {
	p.close(e)
	p.counters.Expired(cause)
}

// drop closes an entry and frees its slot.
func (p *Pool) drop(e *lease.Entry) {
	p.close(e)
	p.freeSlot()
}

// close closes an entry the pool owns and strikes it from the ledger.
func (p *Pool) close(e *lease.Entry) {
	e.Raw().Close()
	p.ledger.Remove(e)
}

// offer gives an entry the pool owns to the oldest waiter, or keeps it idle
// (in the ring, or in the spill when a stalled Get blocks the ring) and arms
// the reaper for it, or closes it when MaxIdle are idle or the pool is
// closed. now is the current time if the caller has read it, else zero.
func (p *Pool) offer(e *lease.Entry, now time.Time) {
	// Read e's expiry while we own it: once pushed, a Get may take it and
	// its Put rewrite IdleSince.
	var expiresAt time.Time
	if p.policy.Timed() {
		if now.IsZero() {
			now = time.Now()
		}
		expiresAt = p.policy.ExpiresAt(&e.Life)
	}
	if p.keep(e) && p.policy.Timed() {
		p.reaper.ArmBy(expiresAt, now)
	}
}

// keep is offer less the reaper: it gives e to the oldest waiter, keeps it
// idle or closes it, and reports whether it kept it idle.
func (p *Pool) keep(e *lease.Entry) bool {
	if p.waiters.Load() != 0 && p.handOff(e) {
		return false
	}
	if (p.hot.Load() != nil || !p.hot.CompareAndSwap(nil, e)) && !p.idle.push(e) {
		return p.spillOrDrop(e)
	}
	if p.closed.Load() {
		p.drain() // Close may have drained before our push
		return false
	}
	if p.spilled.Load() != 0 {
		p.rebalance()
	}
	if p.waiters.Load() != 0 {
		p.serve() // a Get parked after our check above
	}
	return true
}

// drain closes every idle entry. Each pop hands one entry to one caller,
// so Close and a late Put can drain together and close each conn once.
func (p *Pool) drain() {
	for e, ok := p.takeIdle(); ok; e, ok = p.takeIdle() {
		p.drop(e)
	}
	for e, ok := p.unspill(); ok; e, ok = p.unspill() {
		p.drop(e)
	}
}

// takeIdle takes the hot conn, or else the ring's oldest. It looks before
// it swaps, so that Gets that find the cell empty leave its line shared.
func (p *Pool) takeIdle() (*lease.Entry, bool) {
	if e := p.hot.Load(); e != nil {
		if e = p.hot.Swap(nil); e != nil {
			return e, true
		}
	}
	return p.idle.pop()
}

// idleLen is how many conns the hot cell and the ring hold, with the
// ring's len's precision.
func (p *Pool) idleLen() int {
	n := p.idle.len()
	if p.hot.Load() != nil {
		n++
	}
	return n
}

// sweep is the reaper's pass: it takes the hot conn and then each idle
// entry off the ring once, closes the expired ones and puts the others
// back. Rotating one entry at a time keeps the others' order and leaves at
// most one missing at any moment, so concurrent Gets barely notice. An entry
// put back may land in the hot cell, which the pass does not look at again.
func (p *Pool) sweep() {
	now := time.Now()
	check := func(e *lease.Entry) {
		if cause := p.policy.Expired(&e.Life, now); cause != expiry.Fresh {
			p.retire(e, cause)
			p.freeSlot()
			return
		}
		p.offer(e, now) // which arms the reaper for e again
	}
	if e := p.hot.Swap(nil); e != nil {
		check(e)
	}
	for n := p.idle.len(); n > 0; n-- {
		e, ok := p.idle.pop()
		if !ok {
			break
		}
		check(e)
	}
	if next := p.sweepSpill(now); !next.IsZero() {
		p.reaper.ArmBy(next, now)
	}
}

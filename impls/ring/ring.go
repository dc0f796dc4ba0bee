// Package ring is a connection pool built for the uncontended fast path:
// idle conns sit in one hot cell and behind it a lock-free bounded MPMC
// queue (queue.go), capacity is one atomic count of open and dialing conns
// reserved by CAS, and a Get or Put that finds a conn or room touches no
// lock, reads no clock (unless a timeout is set) and allocates nothing but
// its share of a block of hand-out handles. Goroutines park only when the
// pool is exhausted, first in first out, on one channel (internal/parking);
// while anyone is parked, Put hands its conn straight to the oldest waiter
// and a new Get queues behind them instead of taking an idle conn.
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
	_ "unsafe" // for go:linkname

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/capacity"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/dialer"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/parking"
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
// reads spilled after it lands; a spill adds to spilled and then reads
// waiters, a Get about to park reads spilled after it increments waiters.
// In each pair at least one side sees the other.
type Pool struct {
	// Read-only after New.
	cfg    pool.Config
	policy expiry.Policy
	idle   *queue[*lease.Entry]
	reaper *reaper.Reaper // nil unless policy.Timed()
	slot   dialer.Slot    // dials into reserved slots; hooks set in New

	_ [cacheLine]byte

	// hot is the most recently returned idle conn, as its ledger index
	// plus one, or 0; see the package doc. It counts toward MaxIdle, so the
	// ring holds MaxIdle-1. Every conn the pool keeps has an index: p.slot
	// adds each conn it dials to the ledger, and closing one removes it only
	// once it is out of the cell. An integer rather than a pointer: Go's atomic
	// pointer swap and CAS are calls that check for the GC's write barrier,
	// the integer ones single instructions: with the pointer an
	// uncontended Get+Put took 27.2 cpu-ns, with the index 25.8 (benchstat,
	// 10 interleaved runs), the ledger lookup included.
	hot atomic.Uint64
	_   [cacheLine - 8]byte

	// spilled is len(spill), written under spillMu and read without it:
	// nonzero sends Get and Put to the slow path.
	spilled atomic.Int64
	_       [cacheLine - 8]byte

	// slots counts conns open or being dialed. A Get reserves one by CAS
	// before it dials, so slots never exceeds MaxConns.
	slots   capacity.Counter
	dialing atomic.Int64 // dials in flight, for Stats
	_       [cacheLine - 16]byte

	// counters leaves Reuses alone: the ledger counts hand-outs from the
	// conns' own generations, which keeps an atomic add off the fast path.
	counters counters.Counters
	ledger   lease.Ledger

	lot     parking.Lot    // the parked Gets; hooks set in New
	spillMu sync.Mutex     // guards spill
	spill   []*lease.Entry // see spill.go
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
		Closed: p.lot.Closed, Free: p.lot.FreeSlot, Drop: p.lot.Drop, Keep: func(e *lease.Entry) { p.offer(e, time.Time{}) },
	}
	p.lot.Take, p.lot.Offer = p.takeForWaiter, func(e *lease.Entry) { p.offer(e, time.Time{}) }
	p.lot.Stats, p.lot.Slots, p.lot.Dialing, p.lot.Ledger = &p.counters, &p.slots, &p.dialing, &p.ledger
	p.lot.Name = "ring"
	if p.policy.Timed() {
		p.reaper = reaper.New(p.sweep)
	}
	p.lot.Reaper, p.lot.Drain = p.reaper, p.drain
	p.lot.Init()
	return p, nil
}

// Get returns an idle conn, dials one while fewer than MaxConns are open or
// dialing, or waits first-in first-out. See pool.Pool.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	for spins := 0; ; spins++ {
		if p.lot.Closed() {
			return nil, pool.ErrClosed
		}
		// A parked Get is owed the next conn; taking from the ring or the
		// capacity ahead of it would be barging.
		if p.lot.Waiting() {
			return p.lot.Wait(ctx, p.policy, &p.slot)
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
			p.lot.Retire(e, cause)
			p.lot.FreeSlot()
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
		return p.lot.Wait(ctx, p.policy, &p.slot)
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
		p.lot.Retire(e, cause)
		p.lot.FreeSlot()
		return nil
	}
	p.offer(e, now)
	return nil
}

// Discard closes c and frees its slot. See pool.Pool.
func (p *Pool) Discard(c net.Conn) error { return parking.Discard(&p.lot, p, c) }

// Close closes the idle conns, wakes every waiter with pool.ErrClosed and
// makes later Puts close their conns. It is idempotent.
func (p *Pool) Close() error { return p.lot.Close() }

// Stats returns a snapshot of the pool's gauges and counters.
func (p *Pool) Stats() pool.Stats {
	return p.lot.PoolStats(p.idleLen() + int(p.spilled.Load()))
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
	if p.lot.Waiting() && p.lot.HandOff(e) {
		return false
	}
	if (p.hot.Load() != 0 || !p.fillHot(uint64(e.Index())+1)) && !p.idle.push(e) {
		if !p.spillOrDrop(e) {
			return false
		}
	} else if p.lot.Closed() {
		p.drain() // Close may have drained before our push
		return false
	} else if p.spilled.Load() != 0 {
		p.rebalance()
	}
	if p.lot.Waiting() {
		p.lot.Serve() // a Get parked after our check above
	}
	return true
}

// drain closes every idle entry. Each pop hands one entry to one caller,
// so Close and a late Put can drain together and close each conn once.
func (p *Pool) drain() {
	for e, ok := p.takeIdle(); ok; e, ok = p.takeIdle() {
		p.lot.Drop(e)
	}
	for e, ok := p.unspill(); ok; e, ok = p.unspill() {
		p.lot.Drop(e)
	}
}

// takeIdle takes the hot conn, or else the ring's oldest. It looks before
// it swaps, so that Gets that find the cell empty leave its line shared; a
// Get that saw the cell full and lost it to another P backs off first (see
// backoff).
func (p *Pool) takeIdle() (*lease.Entry, bool) {
	if p.hot.Load() != 0 {
		if i := p.hot.Swap(0); i != 0 {
			return p.ledger.At(int(i - 1)), true
		}
		backoff()
	}
	return p.idle.pop()
}

// fillHot puts hot word w in the hot cell, which the caller saw empty, and
// reports whether it did; a Put that lost the cell to another P backs off
// before it pushes to the ring (see backoff).
func (p *Pool) fillHot(w uint64) bool {
	if p.hot.CompareAndSwap(0, w) {
		return true
	}
	backoff()
	return false
}

// backoffPauses is how many PAUSE instructions (runtime.procyield) a Get
// or Put spins after it lost the hot cell to another P between its load
// and its swap or CAS. Without it two Ps cycling Get+Put (bench
// scenario=parallel at -cpu 2) take the hot cell's line, the ring's
// positions and cells, and each conn's lease lines from each other's
// caches on nearly every operation: ring's Get+Put took 90 ns there
// against mutexlist's 67, whose losing goroutine sleeps on the mutex while
// the winner cycles alone on lines in its own cache (its cpu-sec/op is far
// below twice its sec/op). Padding the Entry to whole lines, swapping
// without the load first, and a hot cell tagged with the P that filled it
// (so that conns stay on their P) did not help; see the commit message.
// Backing off after a lost race lets the winner cycle alone for a while
// too, without a lock: the spin is bounded and waits on no one, and the
// loser then takes the ring's conn or pushes its own, as it would have. A
// lost race needs two goroutines in the cell at once, so the uncontended
// path never spins. On the 2-core Intel Xeon VM, scenario=parallel-2 by
// pauses (3 runs each, ns/op): 0: 89-109, 10: 87-104, 30: 62-71, 60:
// 53-66, 120: 44-47, 250: 34-36. 120 pauses took 1.4 µs there (longer on
// CPUs whose PAUSE is slower, as Skylake's), about what a mutex's loser
// spends asleep; more makes the loser's Get wait longer for a conn the ring
// already has, only to win a benchmark that rewards serialising.
const backoffPauses = 120

// backoff spins backoffPauses PAUSEs, off the fast path (not inlined).
//
//go:noinline
func backoff() { procyield(backoffPauses) }

// procyield is the runtime's PAUSE loop, which its own mutexes spin with;
// the runtime keeps it reachable by linkname (see its "hall of shame" note).
//
//go:linkname procyield runtime.procyield
func procyield(cycles uint32)

// idleLen is how many conns the hot cell and the ring hold, with the
// ring's len's precision.
func (p *Pool) idleLen() int {
	n := p.idle.len()
	if p.hot.Load() != 0 {
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
			p.lot.Retire(e, cause)
			p.lot.FreeSlot()
			return
		}
		p.offer(e, now) // which arms the reaper for e again
	}
	if i := p.hot.Swap(0); i != 0 {
		check(p.ledger.At(int(i - 1)))
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

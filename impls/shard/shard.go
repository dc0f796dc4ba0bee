// Package shard is a connection pool that keeps idle conns per P, as
// sync.Pool keeps objects, under a global cap on open and dialing conns.
//
// Idle conns sit in cells, one conn per cell and one cell per cache line;
// the cells are split into one shard per P (at most MaxIdle shards). A Get
// looks in its own P's shard first, then steals from the others, before it
// dials or parks; a Put fills a free cell of its own shard first, then of
// the others, and closes the conn only when all MaxIdle cells are full. Each
// take is one atomic swap and each fill one CAS, on a line that mostly only
// the P's own goroutines touch, so in the steady state Gets and Puts on
// different Ps share no written cache line at all. Capacity is one atomic
// count of open and dialing conns, touched only by dials and closes, and
// reuses are counted by the hand-out ledger (internal/lease), not by a
// counter on the fast path.
//
// When the pool is exhausted, Gets park first in first out on one channel
// (internal/parking), and while anyone is parked a Put hands its conn to the oldest waiter and
// a new Get queues behind them: the slow path is first-in first-out. The
// fast path is not ordered: which idle conn a Get takes depends on its P.
//
// It must not know how other designs store conns; it shares the reuse
// policy (internal/expiry), the hand-out bookkeeping (internal/lease), the
// dial (internal/dialer), the counters and the reaper with them.
package shard

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/capacity"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/dialer"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/parking"
	"github.com/poolbench/poolbench/internal/reaper"
)

// cacheLine is the padding unit that keeps cells, and the counters that
// every Get or Put reads, off each other's cache lines.
const cacheLine = 64

// cell holds one idle conn, or nil, on a cache line of its own.
type cell struct {
	e atomic.Pointer[lease.Entry]
	_ [cacheLine - 8]byte
}

// Pool is the sharded pool. Create it with New.
//
// Lost wake-ups are ruled out as in ring: a Put fills a cell and then reads
// waiters; a Get about to park increments waiters and then scans the cells
// and the capacity; a freed slot decrements open and then reads waiters;
// Close stores closed and then drains, a Put fills a cell and then reads
// closed. Go's atomics are sequentially consistent, so in each pair at
// least one side sees the other.
type Pool struct {
	// Read-only after New.
	cfg    pool.Config
	policy expiry.Policy
	reaper *reaper.Reaper // nil unless policy.Timed()
	cells  []cell
	shards int         // one per P at New, at most MaxIdle
	bounds []int       // shard i holds cells[bounds[i]:bounds[i+1]]
	slot   dialer.Slot // dials into reserved slots; hooks set in New

	_ [cacheLine]byte
	// open counts conns open or being dialed; a Get reserves one by CAS
	// before it dials, so open never exceeds MaxConns.
	open    capacity.Counter
	dialing atomic.Int64 // dials in flight, for Stats
	_       [cacheLine - 16]byte

	counters counters.Counters // Reuses left alone: the ledger counts them
	ledger   lease.Ledger

	lot parking.Lot // the parked Gets (a Lot keeps its count on a line of its own); hooks set in New
}

// New returns a sharded pool for cfg, or an error wrapping
// pool.ErrInvalidConfig. It returns the interface so that it can sit in the
// registry as it is.
func New(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, fmt.Errorf("shard: %w", err)
	}
	// One shard per P at New; a later GOMAXPROCS change only makes some Ps
	// share a shard.
	n := min(runtime.GOMAXPROCS(0), cfg.MaxIdle)
	p := &Pool{cfg: cfg, policy: expiry.New(cfg), cells: make([]cell, cfg.MaxIdle), shards: n}
	for i := range n + 1 {
		p.bounds = append(p.bounds, i*cfg.MaxIdle/n)
	}
	p.slot = dialer.Slot{
		Owner: p, Dial: cfg.Dial, Stats: &p.counters, Dialing: &p.dialing, Ledger: &p.ledger,
		Closed: p.lot.Closed, Free: p.lot.FreeSlot, Drop: p.lot.Drop, Keep: p.offer,
	}
	p.lot.Take, p.lot.Offer = p.takeForWaiter, p.offer
	p.lot.Stats, p.lot.Slots, p.lot.Dialing, p.lot.Ledger = &p.counters, &p.open, &p.dialing, &p.ledger
	p.lot.Name = "shard"
	if p.policy.Timed() {
		p.reaper = reaper.New(p.sweep)
	}
	p.lot.Reaper, p.lot.Drain = p.reaper, p.drain
	p.lot.Init()
	return p, nil
}

// home returns the first cell of the calling goroutine's P's shard.
func (p *Pool) home() int {
	if p.shards == 1 {
		return 0
	}
	id := procID()
	if id >= p.shards {
		id %= p.shards // GOMAXPROCS grew since New
	}
	return p.bounds[id]
}

// take removes an idle entry, scanning the cells from home: its own shard's
// first, then the next shards' in turn (stealing). It returns nil when
// every cell is empty.
func (p *Pool) take(home int) *lease.Entry {
	n := len(p.cells)
	for k := range n {
		j := home + k
		if j >= n {
			j -= n
		}
		c := &p.cells[j]
		if c.e.Load() != nil {
			if e := c.e.Swap(nil); e != nil {
				return e
			}
		}
	}
	return nil
}

// fill puts e in a free cell, scanning from home as take does, and reports
// false when every cell is full (MaxIdle conns are idle).
func (p *Pool) fill(home int, e *lease.Entry) bool {
	n := len(p.cells)
	for k := range n {
		j := home + k
		if j >= n {
			j -= n
		}
		c := &p.cells[j]
		if c.e.Load() == nil && c.e.CompareAndSwap(nil, e) {
			return true
		}
	}
	return false
}

// Get returns an idle conn, dials one while fewer than MaxConns are open or
// dialing, or waits first-in first-out. See pool.Pool.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	home := p.home()
	for {
		if p.lot.Closed() {
			return nil, pool.ErrClosed
		}
		// A parked Get is owed the next conn; taking one ahead of it would
		// be barging.
		if p.lot.Waiting() {
			return p.lot.Wait(ctx, p.policy, &p.slot)
		}
		if e := p.take(home); e != nil {
			cause := p.policy.OnGet(&e.Life)
			if cause == expiry.Fresh {
				return e.Acquire(), nil // counted by the ledger
			}
			p.lot.Retire(e, cause)
			p.lot.FreeSlot()
			continue
		}
		if p.open.TryReserve(p.cfg.MaxConns) {
			return p.slot.Get(ctx)
		}
		return p.lot.Wait(ctx, p.policy, &p.slot)
	}
}

// Put returns c for reuse. See pool.Pool.
func (p *Pool) Put(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	if !p.policy.Timed() {
		p.keep(e) // nothing to check, no reaper to arm
		return nil
	}
	now := time.Now()
	expiresAt, cause := p.policy.Returned(&e.Life, now)
	if cause != expiry.Fresh {
		p.lot.Retire(e, cause)
		p.lot.FreeSlot()
		return nil
	}
	if p.keep(e) {
		p.reaper.ArmBy(expiresAt, now)
	}
	return nil
}

// keep gives e, which the pool owns, to the oldest waiter, or keeps it
// idle, or closes it when MaxIdle are idle or the pool is closed. It
// reports whether it kept e idle.
func (p *Pool) keep(e *lease.Entry) bool {
	if p.lot.Waiting() && p.lot.HandOff(e) {
		return false
	}
	if !p.fill(p.home(), e) {
		overflow := !p.lot.Closed()
		p.lot.Drop(e)
		if overflow {
			p.counters.MaxIdle.Add(1)
		}
		return false
	}
	if p.lot.Closed() {
		p.drain() // Close may have drained before our fill
		return false
	}
	if p.lot.Waiting() {
		p.lot.Serve() // a Get parked after our check above
	}
	return true
}

// Discard closes c and frees its slot. See pool.Pool.
func (p *Pool) Discard(c net.Conn) error { return parking.Discard(&p.lot, p, c) }

// Close closes the idle conns, wakes every waiter with pool.ErrClosed and
// makes later Puts close their conns. It is idempotent.
func (p *Pool) Close() error { return p.lot.Close() }

// Stats returns a snapshot of the pool's gauges and counters. Its gauges
// are read without a lock, so they agree with each other only when the
// pool is quiet.
func (p *Pool) Stats() pool.Stats {
	idle := 0
	for i := range p.cells {
		if p.cells[i].e.Load() != nil {
			idle++
		}
	}
	return p.lot.PoolStats(idle)
}

// drain closes every idle entry. Each swap hands one entry to one caller,
// so Close and a late Put can drain together and close each conn once.
func (p *Pool) drain() {
	for i := range p.cells {
		if e := p.cells[i].e.Swap(nil); e != nil {
			p.lot.Drop(e)
		}
	}
}

// sweep is the reaper's pass: it takes each idle entry out of its cell,
// closes the expired ones and offers the others again, which re-arms the
// reaper for them.
func (p *Pool) sweep() {
	now := time.Now()
	for i := range p.cells {
		e := p.cells[i].e.Swap(nil)
		if e == nil {
			continue
		}
		if cause := p.policy.Expired(&e.Life, now); cause != expiry.Fresh {
			p.lot.Retire(e, cause)
			p.lot.FreeSlot()
			continue
		}
		p.offer(e)
	}
}

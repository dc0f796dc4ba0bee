// Package mutexlist is the classic connection pool made correct: one mutex
// guards a list of idle conns, the count of conns open or being dialed, and a
// first-in first-out queue of parked Gets. Dials and closes happen outside the
// lock; a freed conn or slot goes straight to the oldest parked Get, so a
// newcomer never barges ahead of it.
package mutexlist

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/dialer"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/handoff"
	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/reuse"
)

// Pool is a mutex-and-list pool.Pool. Build it with New.
type Pool struct {
	cfg   pool.Config
	keep  reuse.Keeper // the reuse policy and the reaper
	stats counters.Counters
	spare sync.Pool // of *waiter, so parking does not allocate in steady state

	mu sync.Mutex
	// The fields below are guarded by mu. Invariant: while waiters is not
	// empty, idle is empty and numOpen == cfg.MaxConns, because every conn or
	// slot that comes free goes to the oldest waiter first.
	idle    idleList
	numOpen int // conns open or being dialed; a dial's slot is reserved before it starts
	dialing int // of numOpen, dials in flight or granted to a waiter
	waiters waitQueue
	closed  bool
}

// New returns a pool configured by cfg, or an error wrapping
// pool.ErrInvalidConfig.
func New(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg}
	p.keep = reuse.New(cfg, &p.stats, p.sweep)
	p.spare.New = func() any { return &waiter{ch: make(chan grant, 1)} }
	return p, nil
}

// Get returns the most recently returned idle conn that is still good,
// dials when under MaxConns, or else parks first-in first-out.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	p.mu.Lock()
	for {
		if p.closed {
			p.mu.Unlock()
			return nil, pool.ErrClosed
		}
		if p.idle.len() > 0 {
			e := p.idle.popFront()
			p.mu.Unlock()
			// OnGet and Acquire inline here, which a call into reuse
			// would prevent; reuse closes and counts a refused conn.
			cause := p.keep.Policy.OnGet(&e.Life)
			if cause == expiry.Fresh {
				p.stats.Reuses.Add(1)
				return e.Acquire(), nil
			}
			p.keep.Retire(e, cause)
			// Keep going with the slot it held: no waiter can be owed it,
			// since waiters park only behind an empty idle list.
			p.mu.Lock()
			p.numOpen--
			continue
		}
		if p.numOpen < p.cfg.MaxConns {
			p.numOpen++
			p.dialing++
			p.mu.Unlock()
			return p.dial(ctx)
		}
		if err := ctx.Err(); err != nil {
			p.mu.Unlock()
			p.stats.Cancels.Add(1)
			return nil, fmt.Errorf("pool: get: %w", err)
		}
		w := p.spare.Get().(*waiter)
		p.waiters.push(w)
		p.mu.Unlock()
		return p.wait(ctx, w)
	}
}

// wait parks on w until it is granted a conn, a slot or ErrClosed, or ctx ends.
func (p *Pool) wait(ctx context.Context, w *waiter) (net.Conn, error) {
	p.stats.Waits.Add(1)
	start := counters.WaitStart()
	var g grant
	if done := ctx.Done(); done == nil {
		// ctx cannot end: a plain receive costs a fraction of a select,
		// which under exhaustion every Get pays.
		g = <-w.ch
	} else {
		select {
		case g = <-w.ch:
		case <-done:
			p.cancel(w, start)
			return nil, fmt.Errorf("pool: waiting for a conn: %w", ctx.Err())
		}
	}
	p.spare.Put(w)
	p.stats.Waited(start)
	switch {
	case g.err != nil:
		return nil, g.err
	case g.e != nil:
		p.stats.Reuses.Add(1)
		return g.e.Acquire(), nil
	}
	p.mu.Lock()
	if p.closed {
		p.dialing--
		p.freeSlotLocked()
		p.mu.Unlock()
		return nil, pool.ErrClosed
	}
	p.mu.Unlock()
	return p.dial(ctx)
}

// cancel takes w, whose ctx ended while it waited since start, out of the
// queue.
func (p *Pool) cancel(w *waiter, start counters.Start) {
	p.mu.Lock()
	queued := w.queued
	if queued {
		p.waiters.remove(w)
	}
	p.mu.Unlock()
	if !queued {
		// A grant raced the cancel and took w off the queue first; it is
		// sent or about to be, and the caller is gone, so pass it on.
		p.refuse(<-w.ch)
	}
	p.spare.Put(w)
	p.stats.Waited(start)
	p.stats.Cancels.Add(1)
}

// refuse passes on a grant whose waiter has gone: a conn to the next waiter
// or the idle list, a slot to the next waiter or back to the pool.
func (p *Pool) refuse(g grant) {
	switch {
	case g.e != nil:
		p.putEntry(g.e)
	case g.err == nil:
		p.mu.Lock()
		p.dialing--
		p.freeSlotLocked()
		p.mu.Unlock()
	}
}

// dial dials into the slot its caller reserved in numOpen and dialing.
func (p *Pool) dial(ctx context.Context) (net.Conn, error) {
	e, err := dialer.Dial(ctx, p, p.cfg.Dial, &p.stats, p.dialedLate)
	if errors.Is(err, dialer.ErrAbandoned) {
		return nil, err // the slot stays reserved until dialedLate
	}
	p.mu.Lock()
	p.dialing--
	if err != nil {
		p.freeSlotLocked()
		p.mu.Unlock()
		return nil, err
	}
	if p.closed {
		p.numOpen--
		p.mu.Unlock()
		e.Raw().Close()
		return nil, pool.ErrClosed
	}
	p.mu.Unlock()
	return e.Acquire(), nil
}

// dialedLate takes the outcome of a dial whose Get left when its ctx ended:
// the conn goes to a waiter or the idle list, a failure frees the slot.
func (p *Pool) dialedLate(e *lease.Entry, err error) {
	p.mu.Lock()
	p.dialing--
	if err != nil {
		p.freeSlotLocked()
	}
	p.mu.Unlock()
	if e != nil {
		p.putEntry(e)
	}
}

// freeSlotLocked gives up one slot of numOpen: the oldest waiter gets it as
// leave to dial, or the count drops. Call with mu held.
func (p *Pool) freeSlotLocked() {
	if w := p.waiters.pop(); w != nil {
		p.dialing++
		w.ch <- grant{}
		return
	}
	p.numOpen--
}

// Put returns c: to the oldest waiter, else to the idle list, else (beyond
// MaxIdle, past MaxLifetime or after Close) it closes c.
func (p *Pool) Put(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	p.putEntry(e)
	return nil
}

// putEntry takes back an entry the pool owns again.
func (p *Pool) putEntry(e *lease.Entry) {
	expiresAt, now, ok := p.keep.Returned(e)
	if !ok {
		p.freeSlot()
		return
	}
	if p.waiters.len() > 0 {
		// Before the grant readies a Get, now and then: see handoff.Yield.
		handoff.Yield()
	}
	p.mu.Lock()
	if w := p.waiters.pop(); w != nil {
		// The grant goes after the unlock, not under mu. Both ready a
		// goroutine into the P's next-to-run slot, pushing the one there
		// to the back of the run queue: sent first, the granted Get was
		// the one pushed back by the Get or Put the unlock woke (at -cpu 2
		// under exhaustion, holder yielding: a ~4.1 ms max wait in 17 of
		// 20 processes, 2 of 20 after; see the commit message). w was
		// dequeued under mu, so grants keep the queue's order. The unlock
		// can yield the P (sync.Mutex does when starving), leaving w asleep
		// until the granter runs again; the echo sweep at 256 and 1024
		// workers on 4 conns showed no longer max wait for it.
		p.mu.Unlock()
		w.ch <- grant{e: e}
		return
	}
	if p.closed || p.idle.len() >= p.cfg.MaxIdle {
		overflow := !p.closed
		p.numOpen--
		p.mu.Unlock()
		e.Raw().Close()
		if overflow {
			p.stats.MaxIdle.Add(1)
		}
		return
	}
	p.idle.pushFront(e)
	p.mu.Unlock()
	p.keep.Arm(expiresAt, now)
}

// Discard closes c and gives its slot to the oldest waiter, who dials.
func (p *Pool) Discard(c net.Conn) error {
	return reuse.Discard(p, c, &p.stats, p.closeEntry)
}

// closeEntry closes an entry the pool owns and frees its slot.
func (p *Pool) closeEntry(e *lease.Entry) {
	e.Raw().Close()
	p.freeSlot()
}

// freeSlot is freeSlotLocked for a caller that does not hold mu.
func (p *Pool) freeSlot() {
	p.mu.Lock()
	p.freeSlotLocked()
	p.mu.Unlock()
}

// Close closes the idle conns, wakes every waiter with pool.ErrClosed and
// stops the reaper; conns still held are closed when they come back.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	idle := p.idle.drain(nil)
	p.numOpen -= len(idle)
	for w := p.waiters.pop(); w != nil; w = p.waiters.pop() {
		w.ch <- grant{err: pool.ErrClosed}
	}
	p.mu.Unlock()
	p.keep.Stop()
	closeAll(idle)
	return nil
}

// Stats returns a snapshot; its gauges are consistent with each other.
func (p *Pool) Stats() pool.Stats {
	s := p.stats.Snapshot()
	p.mu.Lock()
	s.Dialing = p.dialing
	s.Open = p.numOpen - p.dialing
	s.Idle = p.idle.len()
	p.mu.Unlock()
	s.InUse = s.Open - s.Idle
	return s
}

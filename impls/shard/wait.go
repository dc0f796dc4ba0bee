package shard

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
)

// waiter is one parked Get. A granter takes it out of Pool.wq under Pool.mu,
// fills in exactly one of the grant fields and then sends on ready; the
// waiter reads the grant after receiving, so the channel orders the two.
type waiter struct {
	ready  chan struct{} // capacity 1: the one send per wait never blocks
	queued bool          // in Pool.wq; guarded by Pool.mu

	e    *lease.Entry // granted an idle or returned conn
	dial bool         // granted a slot to dial with
	err  error        // woken by Close
}

// wait parks the caller at the back of the queue until a conn, a slot to
// dial with or Close reaches it, or ctx ends.
func (p *Pool) wait(ctx context.Context) (net.Conn, error) {
	w, _ := p.waiterp.Get().(*waiter)
	if w == nil {
		w = &waiter{ready: make(chan struct{}, 1)}
	}
	p.mu.Lock()
	if p.closed.Load() {
		p.mu.Unlock()
		p.waiterp.Put(w)
		return nil, pool.ErrClosed
	}
	p.wq = append(p.wq, w)
	w.queued = true
	p.waiters.Add(1)
	// Now that Puts and frees see us, take what they left before they
	// could: an idle conn or a free slot goes to the oldest waiter, which
	// may be us.
	p.serveLocked()
	served := !w.queued
	p.mu.Unlock()

	if !served {
		p.counters.Waits.Add(1)
		start := counters.WaitStart()
		if done := ctx.Done(); done == nil {
			<-w.ready // ctx cannot end: a plain receive is cheaper than a select
		} else {
			select {
			case <-w.ready:
			case <-done:
				p.counters.Waited(start)
				p.cancel(w)
				p.counters.Cancels.Add(1)
				return nil, fmt.Errorf("shard: waiting for a conn: %w", ctx.Err())
			}
		}
		p.counters.Waited(start)
	} else {
		<-w.ready // sent already
	}
	e, dial, err := w.e, w.dial, w.err
	p.recycle(w)
	switch {
	case err != nil:
		return nil, err
	case dial:
		return p.slot.Get(ctx)
	}
	if cause := p.policy.OnGet(&e.Life); cause != expiry.Fresh {
		p.retire(e, cause) // its slot is ours to dial with
		return p.slot.Get(ctx)
	}
	return e.Acquire(), nil // counted by the ledger
}

// cancel takes a waiter whose ctx ended out of the queue. A grant that beat
// the cancellation is passed on rather than lost: a conn to the next waiter
// or a cell, a slot to the next waiter or back to the pool.
func (p *Pool) cancel(w *waiter) {
	p.mu.Lock()
	queued := w.queued
	if queued {
		p.wq = slices.Delete(p.wq, slices.Index(p.wq, w), slices.Index(p.wq, w)+1)
		w.queued = false
		p.waiters.Add(-1)
	}
	p.mu.Unlock()
	if !queued {
		<-w.ready // the granter took us out and is about to send, or has
		switch {
		case w.e != nil:
			p.offer(w.e)
		case w.dial:
			p.freeSlot()
		}
	}
	p.recycle(w)
}

// recycle clears w's grant and keeps it for the next wait.
func (p *Pool) recycle(w *waiter) {
	w.e, w.dial, w.err = nil, false, nil
	p.waiterp.Put(w)
}

// handOff gives e to the oldest waiter, reporting false if there is none.
// It sends under mu, so that a granter descheduled between taking the
// waiter out and waking it holds everyone up, as a lock holder would,
// instead of leaving that one waiter asleep while younger ones are served.
func (p *Pool) handOff(e *lease.Entry) bool {
	p.mu.Lock()
	ok := len(p.wq) > 0
	if ok {
		p.grant(p.popWaiter(), e, false, nil)
	}
	p.mu.Unlock()
	return ok
}

// serve hands idle conns and free slots to the waiters, oldest first.
func (p *Pool) serve() {
	p.mu.Lock()
	p.serveLocked()
	p.mu.Unlock()
}

// serveLocked is serve with mu held.
func (p *Pool) serveLocked() {
	for len(p.wq) > 0 {
		if e := p.take(0); e != nil {
			p.grant(p.popWaiter(), e, false, nil)
		} else if p.open.TryReserve(p.cfg.MaxConns) {
			p.grant(p.popWaiter(), nil, true, nil)
		} else {
			return
		}
	}
}

// popWaiter takes the oldest waiter out of the queue; mu held, queue not
// empty.
func (p *Pool) popWaiter() *waiter {
	w := p.wq[0]
	p.wq[0] = nil
	p.wq = p.wq[1:]
	w.queued = false
	p.waiters.Add(-1)
	return w
}

// grant wakes w, already out of the queue, with one of e, a slot to dial
// with, or err. The send never blocks, so it may run under mu.
func (p *Pool) grant(w *waiter, e *lease.Entry, dial bool, err error) {
	w.e, w.dial, w.err = e, dial, err
	w.ready <- struct{}{}
}

// offer keeps an entry the pool owns (to a waiter, a cell, or closed as
// keep decides) and arms the reaper for it.
func (p *Pool) offer(e *lease.Entry) {
	at := p.policy.ExpiresAt(&e.Life) // read while we own e
	if p.keep(e) && !at.IsZero() {
		p.reaper.ArmBy(at, time.Now())
	}
}

package ring

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
)

// waiter is one parked Get. A granter removes it from Pool.wq under Pool.mu,
// fills in exactly one of the grant fields and then sends on ready; the
// waiter reads the grant after receiving, so the channel orders the two.
type waiter struct {
	ready chan struct{} // capacity 1: the one send per wait never blocks

	prev, next *waiter // links in Pool.wq, guarded by Pool.mu
	queued     bool    // in Pool.wq; guarded by Pool.mu

	e    *lease.Entry // granted an idle or returned conn
	dial bool         // granted a slot to dial with
	err  error        // woken by Close
}

// waitQueue is an intrusive FIFO of waiters, so queueing and cancelling
// never allocate. Guarded by Pool.mu.
type waitQueue struct{ head, tail *waiter }

func (q *waitQueue) pushBack(w *waiter) {
	w.prev, w.next, w.queued = q.tail, nil, true
	if q.tail == nil {
		q.head = w
	} else {
		q.tail.next = w
	}
	q.tail = w
}

func (q *waitQueue) remove(w *waiter) {
	if w.prev == nil {
		q.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
}

func (q *waitQueue) popFront() *waiter {
	w := q.head
	if w != nil {
		q.remove(w)
	}
	return w
}

// wait parks the caller at the back of the waiter queue until a conn, a
// slot to dial with or Close reaches it, or ctx ends.
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
	p.wq.pushBack(w)
	p.waiters.Add(1)
	// Now that Puts and frees see us, take what they left before they
	// could: an idle conn or a free slot goes to the oldest waiter, which
	// may be us.
	p.serveLocked()
	served := !w.queued
	p.mu.Unlock()

	switch done := ctx.Done(); {
	case served:
		<-w.ready // already sent
	case done == nil:
		// ctx cannot end, so a plain receive will do: cheaper than a select.
		p.counters.Waits.Add(1)
		start := counters.WaitStart()
		<-w.ready
		p.counters.Waited(start)
	default:
		p.counters.Waits.Add(1)
		start := counters.WaitStart()
		select {
		case <-w.ready:
			p.counters.Waited(start)
		case <-done:
			p.counters.Waited(start)
			p.cancel(w)
			p.counters.Cancels.Add(1)
			return nil, fmt.Errorf("ring: waiting for a conn: %w", ctx.Err())
		}
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
		// The conn expired while idle: its slot is ours to dial with.
		p.retire(e, cause)
		return p.slot.Get(ctx)
	}
	return e.Acquire(), nil // counted by the ledger
}

// cancel takes a waiter whose ctx ended out of the queue. If a grant beat
// the cancellation, the grant is passed on rather than lost: a conn goes to
// the next waiter or idle, a slot is freed for the next waiter.
func (p *Pool) cancel(w *waiter) {
	p.mu.Lock()
	queued := w.queued
	if queued {
		p.wq.remove(w)
		p.waiters.Add(-1)
	}
	p.mu.Unlock()
	if !queued {
		<-w.ready // the granter removed us and is about to send, or has
		switch {
		case w.e != nil:
			p.offer(w.e, time.Time{})
		case w.dial:
			p.freeSlot()
		}
	}
	p.recycle(w)
}

// recycle clears w's grant and returns it to the pool of waiters.
func (p *Pool) recycle(w *waiter) {
	w.e, w.dial, w.err = nil, false, nil
	p.waiterp.Put(w)
}

// handOff gives e to the oldest waiter, reporting false if there is none.
// It sends under p.mu, so that a granter descheduled between taking the
// waiter off the queue and waking it holds everyone up, as a lock holder
// would, rather than leaving that one waiter asleep while younger ones are
// served: done outside the lock, that gap gave single Gets waits of a
// second on a loaded machine.
func (p *Pool) handOff(e *lease.Entry) bool {
	p.mu.Lock()
	w := p.wq.popFront()
	if w != nil {
		p.waiters.Add(-1)
		p.grant(w, e, false, nil)
	}
	p.mu.Unlock()
	return w != nil
}

// serve hands idle conns and free slots to the waiters, oldest first.
func (p *Pool) serve() {
	p.mu.Lock()
	p.serveLocked()
	p.mu.Unlock()
}

// serveLocked is serve with p.mu held. Waiters take the ring's conns
// before the spill's.
func (p *Pool) serveLocked() {
	for p.wq.head != nil {
		if e, ok := p.takeIdle(); ok {
			p.grant(p.wq.popFront(), e, false, nil)
		} else if e, ok := p.unspillLocked(); ok {
			p.grant(p.wq.popFront(), e, false, nil)
		} else if p.slots.TryReserve(p.cfg.MaxConns) {
			p.grant(p.wq.popFront(), nil, true, nil)
		} else {
			return
		}
		p.waiters.Add(-1)
	}
}

// grant wakes w, already out of the queue, with one of e, a slot to dial
// with, or err. The send never blocks, so it may run under p.mu.
func (p *Pool) grant(w *waiter, e *lease.Entry, dial bool, err error) {
	w.e, w.dial, w.err = e, dial, err
	w.ready <- struct{}{}
}

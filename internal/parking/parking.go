// Package parking is the slow path of the designs whose fast path takes
// idle conns and capacity without a lock (ring, shard): a first-in
// first-out queue of parked Gets under one mutex, each woken by exactly one
// grant (an idle conn, a slot to dial with, or Close's error), and a grant
// that loses the race with its Get's cancellation passed on rather than
// lost. It also owns the glue the two designs share around it: freeing a
// slot serves the oldest waiter, closing a conn strikes it from the hand-out
// ledger and counts why, and Stats's gauges follow from the slot count. It
// must not know how a design keeps idle conns: the design's Serve hook
// grants them to the oldest waiters, and its Offer hook takes back a conn
// that a cancelled Get was granted.
package parking

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/capacity"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/dialer"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/reaper"
)

// cacheLine keeps the waiter count, which every fast-path Get and Put reads,
// off the lines of the mutex and the queue, which parking writes.
const cacheLine = 64

// Grant is what wakes a parked Get: exactly one of its fields is set.
type Grant struct {
	Entry *lease.Entry // an idle or returned conn, owned by the Get now
	Dial  bool         // a reserved slot to dial with
	Err   error        // woken by Close
}

// waiter is one parked Get. A granter takes it out of the queue under the
// Lot's mutex, fills in its grant and then sends on ready; the waiter reads
// the grant after receiving, so the channel orders the two.
type waiter struct {
	ready chan struct{} // capacity 1: the one send per wait never blocks

	prev, next *waiter // links in the queue, guarded by the mutex
	queued     bool    // in the queue; guarded by the mutex

	grant Grant
}

// Lot is one pool's parked Gets. Set its hooks before the pool's first Get;
// they are read-only afterwards.
//
// Lost wake-ups are ruled out with the design's fast path as a pair of
// atomics each side writes and then reads: Park counts the waiter (Waiting
// turns true) before it calls Serve under the mutex, and a design that makes
// a conn idle or frees a slot does so before it reads Waiting.
type Lot struct {
	// Mutex guards the queue, and whatever else the design chooses to
	// guard with it (ring's spill), so that one lock orders both.
	sync.Mutex
	head, tail *waiter // guarded by the Mutex
	free       sync.Pool

	// Serve, called with the Mutex held, grants idle conns and free slots
	// to the oldest waiters (GrantOldest) while it has any.
	Serve func()
	// Offer takes back a conn granted to a Get that left: to the next
	// waiter, idle, or closed.
	Offer func(*lease.Entry)
	// Stats counts Waits, WaitTime, Cancels and the closes by cause.
	Stats *counters.Counters
	// Slots is the design's count of conns open or being dialed, and
	// Dialing its count of dials in flight.
	Slots   *capacity.Counter
	Dialing *atomic.Int64
	// Ledger counts the design's hand-outs; Retire and Drop strike the
	// conns they close from it.
	Ledger *lease.Ledger
	// Reaper is the design's reaper (nil when conns cannot expire), and
	// Drain closes every idle conn: Close runs both.
	Reaper *reaper.Reaper
	Drain  func()
	// Name prefixes the error of a wait cut short by its ctx.
	Name string

	_ [cacheLine]byte
	// waiting is the length of the queue, written under the Mutex and read
	// without it: nonzero sends a design's Get and Put to the slow path.
	waiting atomic.Int64
	// closed is set once, by Close under the Mutex, and read by every Get
	// and Put.
	closed atomic.Bool
	_      [cacheLine - 16]byte
}

// Closed reports whether Close has run; any goroutine may call it.
func (l *Lot) Closed() bool { return l.closed.Load() }

// Close is a design's Close: it marks the pool closed, wakes every waiter
// with pool.ErrClosed, stops the reaper and drains the idle conns; a
// design's Put that finds Closed true after keeping a conn drains again.
// It is idempotent.
func (l *Lot) Close() error {
	if l.shut() {
		if l.Reaper != nil {
			l.Reaper.Stop() // its sweep may take the Mutex, so not under it
		}
		l.Drain()
	}
	return nil
}

// shut marks the pool closed and wakes every waiter, reporting false when
// an earlier shut did so already. Afterwards no Get parks.
func (l *Lot) shut() bool {
	l.Lock()
	defer l.Unlock()
	if l.closed.Load() {
		return false
	}
	l.closed.Store(true)
	for l.GrantOldest(Grant{Err: pool.ErrClosed}) {
	}
	return true
}

// Waiting reports whether any Get is parked; any goroutine may call it.
func (l *Lot) Waiting() bool { return l.waiting.Load() != 0 }

// Len returns how many Gets are parked; any goroutine may call it.
func (l *Lot) Len() int { return int(l.waiting.Load()) }

// Queued reports whether any Get is parked. The Mutex must be held.
func (l *Lot) Queued() bool { return l.head != nil }

// Park waits, behind every Get parked before it, until a grant or ctx's end
// reaches it, and returns the grant or ctx's error (wrapped) or
// pool.ErrClosed. It counts the wait unless Serve granted it at once.
func (l *Lot) Park(ctx context.Context) (Grant, error) {
	w, _ := l.free.Get().(*waiter)
	if w == nil {
		w = &waiter{ready: make(chan struct{}, 1)}
	}
	l.Lock()
	if l.closed.Load() {
		l.Unlock()
		l.free.Put(w)
		return Grant{}, pool.ErrClosed
	}
	l.pushBack(w)
	// Now that Puts and frees see us, take what they left before they
	// could: an idle conn or a free slot goes to the oldest waiter, which
	// may be us.
	l.Serve()
	served := !w.queued
	l.Unlock()

	switch done := ctx.Done(); {
	case served:
		<-w.ready // sent already
	case done == nil:
		// ctx cannot end, so a plain receive will do: cheaper than a select.
		l.Stats.Waits.Add(1)
		start := counters.WaitStart()
		<-w.ready
		l.Stats.Waited(start)
	default:
		l.Stats.Waits.Add(1)
		start := counters.WaitStart()
		select {
		case <-w.ready:
			l.Stats.Waited(start)
		case <-done:
			l.Stats.Waited(start)
			l.cancel(w)
			l.Stats.Cancels.Add(1)
			return Grant{}, fmt.Errorf("%s: waiting for a conn: %w", l.Name, ctx.Err())
		}
	}
	g := w.grant
	l.recycle(w)
	return g, g.Err
}

// cancel takes a waiter whose ctx ended out of the queue. If a grant beat
// the cancellation, it is passed on rather than lost: a conn to Offer, a
// slot to Free.
func (l *Lot) cancel(w *waiter) {
	l.Lock()
	queued := w.queued
	if queued {
		l.remove(w)
	}
	l.Unlock()
	if !queued {
		<-w.ready // the granter took us out and is about to send, or has
		switch {
		case w.grant.Entry != nil:
			l.Offer(w.grant.Entry)
		case w.grant.Dial:
			l.FreeSlot()
		}
	}
	l.recycle(w)
}

// recycle clears w's grant and keeps it for the next wait.
func (l *Lot) recycle(w *waiter) {
	w.grant = Grant{}
	l.free.Put(w)
}

// GrantOldest wakes the oldest waiter with g, reporting false (and granting
// nothing) when none is parked. The Mutex must be held: sending under it
// means a granter descheduled between taking the waiter out and waking it
// holds everyone up, as a lock holder would, rather than leaving that one
// waiter asleep while younger ones are served (done outside the lock, that
// gap gave single Gets waits of a second on a loaded machine). The send
// never blocks.
func (l *Lot) GrantOldest(g Grant) bool {
	w := l.head
	if w == nil {
		return false
	}
	l.remove(w)
	w.grant = g
	w.ready <- struct{}{}
	return true
}

// HandOff gives e to the oldest waiter, reporting false if there is none.
func (l *Lot) HandOff(e *lease.Entry) bool {
	l.Lock()
	ok := l.GrantOldest(Grant{Entry: e})
	l.Unlock()
	return ok
}

// ServeNow runs Serve under the Mutex.
func (l *Lot) ServeNow() {
	l.Lock()
	l.Serve()
	l.Unlock()
}

// Wait parks the caller (Park) and turns its grant into the Get's conn: it
// hands out a granted entry if the policy still allows it, and otherwise
// retires it and dials into its slot, as it does for a granted slot.
func (l *Lot) Wait(ctx context.Context, policy expiry.Policy, slot *dialer.Slot) (net.Conn, error) {
	g, err := l.Park(ctx)
	if err != nil {
		return nil, err
	}
	if g.Dial {
		return slot.Get(ctx)
	}
	if cause := policy.OnGet(&g.Entry.Life); cause != expiry.Fresh {
		l.Retire(g.Entry, cause) // its slot is ours to dial with
		return slot.Get(ctx)
	}
	return g.Entry.Acquire(), nil // counted by the design's lease.Ledger
}

// FreeSlot gives back one slot and, if anyone is parked, lets the oldest
// waiter use it.
func (l *Lot) FreeSlot() {
	l.Slots.Release()
	if l.Waiting() {
		l.ServeNow()
	}
}

// Retire closes an entry the pool owns that the reuse policy refused for
// cause. The caller still holds its slot.
func (l *Lot) Retire(e *lease.Entry, cause expiry.Cause) {
	l.close(e)
	l.Stats.Expired(cause)
}

// Drop closes an entry the pool owns and frees its slot.
func (l *Lot) Drop(e *lease.Entry) {
	l.close(e)
	l.FreeSlot()
}

// Discard is a design's Discard: it takes c back from its caller, counts
// it and drops it.
func Discard[O interface {
	lease.Owner
	comparable
}](l *Lot, owner O, c net.Conn) error {
	e, err := lease.Release(owner, c)
	if err != nil {
		return err
	}
	l.Stats.Discards.Add(1)
	l.Drop(e)
	return nil
}

func (l *Lot) close(e *lease.Entry) {
	e.Raw().Close()
	l.Ledger.Remove(e)
}

// PoolStats returns the pool's Stats given idle, the conns it holds idle. Like
// every gauge read without a lock, they agree with each other only when the
// pool is quiet.
func (l *Lot) PoolStats(idle int) pool.Stats {
	s := l.Stats.Snapshot()
	s.Dialing = int(l.Dialing.Load())
	s.Open = max(l.Slots.InUse()-s.Dialing, 0)
	s.Idle = min(idle, s.Open)
	s.InUse = s.Open - s.Idle
	s.Reuses = l.Ledger.Reuses(s.InUse)
	return s
}

func (l *Lot) pushBack(w *waiter) {
	w.prev, w.next, w.queued = l.tail, nil, true
	if l.tail == nil {
		l.head = w
	} else {
		l.tail.next = w
	}
	l.tail = w
	l.waiting.Add(1)
}

func (l *Lot) remove(w *waiter) {
	if w.prev == nil {
		l.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		l.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
	l.waiting.Add(-1)
}

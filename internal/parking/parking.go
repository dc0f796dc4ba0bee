// Package parking is the slow path of the designs whose fast path takes
// idle conns and capacity without a lock (ring, shard): the Gets parked
// when the pool is exhausted, first in first out, each woken by exactly one
// grant (an idle conn, a slot to dial with, or Close's error), and a grant
// that loses the race with its Get's cancellation passed on rather than
// lost. It also owns the glue the two designs share around it: freeing a
// slot serves the parked Gets, closing a conn strikes it from the hand-out
// ledger and counts why, and Stats's gauges follow from the slot count. It
// must not know how a design keeps idle conns: the design's Take hook takes
// one for a parked Get, and its Offer hook takes back a conn that a Get
// could not use.
//
// The parked Gets wait in a handoff.Queue, whose package doc says why no
// lock is held across a grant or its wake-up; what parking adds is what a
// grant means (an entry, or the dial and closing sentinels) and what a Get
// that cannot use one does with it.
package parking

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/capacity"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/dialer"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/handoff"
	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/reaper"
)

// Grant is what a parked Get is given: exactly one of its fields is set.
type Grant struct {
	Entry *lease.Entry // an idle or returned conn, owned by the Get now
	Dial  bool         // a reserved slot to dial with
}

// dial and closing are the values a parked Get receives that are not
// conns: a reserved slot, and Close.
var dial, closing = new(lease.Entry), new(lease.Entry)

// value is g as it travels to its Get.
func (g Grant) value() *lease.Entry {
	if g.Dial {
		return dial
	}
	return g.Entry
}

// Lot is one pool's parked Gets. Set its hooks and call Init before the
// pool's first Get; they are read-only afterwards.
//
// Lost wake-ups are ruled out as handoff's package doc says: Park
// announces the Get (Waiting turns true) before it takes a last look with
// Take, and a design that makes a conn idle or frees a slot does so before
// it reads Waiting, and then calls Serve.
type Lot struct {
	// Take takes one idle conn for a parked Get, or else reserves one free
	// slot, and reports false when the pool has neither. It is called
	// without any lock of the Lot's and must not send to the Lot (Offer,
	// FreeSlot), since a Get calls it between announcing and receiving.
	Take func() (Grant, bool)
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

	// parked is the Gets waiting; Waiting true sends a design's Get and
	// Put to the slow path. Its Closed is the pool's.
	parked handoff.Queue
}

// Init makes the Lot ready for its first Get. A design embeds a Lot's zero
// value, sets its hooks and calls Init in its New.
func (l *Lot) Init() { l.parked.Init() }

// Closed reports whether Close has run; any goroutine may call it.
func (l *Lot) Closed() bool { return l.parked.Closed() }

// Close is a design's Close: it marks the pool closed, wakes every waiter
// with pool.ErrClosed, stops the reaper and drains the idle conns; a
// design's Put that finds Closed true after keeping a conn drains again.
// It is idempotent.
func (l *Lot) Close() error {
	if l.shut() {
		if l.Reaper != nil {
			l.Reaper.Stop()
		}
		l.Drain()
	}
	return nil
}

// shut marks the pool closed and wakes every waiter with closing,
// reporting false when an earlier shut did so already; a Get that
// announces later sees Closed in Park and leaves, so afterwards no Get
// parks.
func (l *Lot) shut() bool { return l.parked.Close(closing) }

// Waiting reports whether a Get has announced that it parks and has no
// grant committed to it; any goroutine may call it.
func (l *Lot) Waiting() bool { return l.parked.Waiting() }

// Len returns how many Gets Waiting counts; any goroutine may call it.
func (l *Lot) Len() int { return l.parked.Len() }

// Park waits, behind every Get parked before it, until a grant or ctx's end
// reaches it, and returns the grant or ctx's error (wrapped) or
// pool.ErrClosed. It counts the wait unless its last look served it.
func (l *Lot) Park(ctx context.Context) (Grant, error) {
	l.parked.Announce() // before the last look (see Lot)
	for {
		g, ok := l.Take()
		closed := l.Closed()
		if !ok && !closed {
			return l.wait(ctx)
		}
		// We leave, with g or for Close, unless a granter or Close has
		// committed to us since we announced: then its value is ours,
		// and g goes on once we hold it (a send before our receive
		// could wait for us).
		if !l.parked.Leave() {
			v := l.parked.Receive()
			if ok {
				l.pass(g.value())
			}
			return l.take(v)
		}
		if closed {
			if ok {
				l.pass(g.value())
			}
			return Grant{}, pool.ErrClosed
		}
		// We leave with g, unless a Get is asleep: it parked before us
		// (a Put or a freed slot raced our last look), so g is its, and
		// we, still counted, look again.
		if !l.parked.TrySend(g.value()) {
			return g, nil
		}
	}
}

// wait is Park's sleep, counted as a wait, after a last look found nothing.
func (l *Lot) wait(ctx context.Context) (Grant, error) {
	l.Stats.Waits.Add(1)
	start := counters.WaitStart()
	done := ctx.Done()
	if done == nil {
		// ctx cannot end, so a plain receive will do: cheaper than a select.
		v := l.parked.Receive()
		l.Stats.Waited(start)
		return l.take(v)
	}
	select {
	case v := <-l.parked.C():
		l.Stats.Waited(start)
		return l.take(v)
	case <-done:
	}
	if !l.parked.Leave() {
		// A grant beat the cancellation: it is passed on, not lost.
		l.pass(l.parked.Receive())
	}
	l.Stats.Waited(start)
	l.Stats.Cancels.Add(1)
	return Grant{}, fmt.Errorf("%s: waiting for a conn: %w", l.Name, ctx.Err())
}

// take turns a value a parked Get received into Park's result. A conn or a
// slot that arrives after Close goes on, so that every Get parked across
// Close returns pool.ErrClosed, whatever order the grants committed before
// Close and Close's own reach the channel in.
func (l *Lot) take(v *lease.Entry) (Grant, error) {
	switch {
	case v == closing:
		return Grant{}, pool.ErrClosed
	case l.Closed():
		l.pass(v)
		return Grant{}, pool.ErrClosed
	case v == dial:
		return Grant{Dial: true}, nil
	}
	return Grant{Entry: v}, nil
}

// pass gives on a value a Get received, or took for itself, that its Get will
// not use: a conn to Offer, a slot to FreeSlot.
func (l *Lot) pass(v *lease.Entry) {
	switch v {
	case closing:
	case dial:
		l.FreeSlot()
	default:
		l.Offer(v)
	}
}

// grant commits to a parked Get and sends it g, reporting false (and
// granting nothing) when none is parked; see handoff.Queue.Give, which
// yields the P first now and then.
func (l *Lot) grant(g Grant) bool { return l.parked.Give(g.value()) }

// HandOff gives e to the oldest waiter, reporting false if there is none.
// No lock is held across the send, nor across the wake-up it causes.
func (l *Lot) HandOff(e *lease.Entry) bool { return l.grant(Grant{Entry: e}) }

// Serve grants what Take finds to the parked Gets while any is waiting. A
// design calls it when it has made a conn idle and then found Waiting
// true: the Get may have taken its last look before the conn was there. A
// grant that finds no Get after all (it left, or took the conn itself) is
// passed back.
func (l *Lot) Serve() {
	for l.Waiting() {
		g, ok := l.Take()
		if !ok {
			return
		}
		if !l.grant(g) {
			l.pass(g.value())
			return
		}
	}
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

// FreeSlot gives back one slot and, if anyone is parked, serves them: the
// slot freed before Waiting is read (see Lot).
func (l *Lot) FreeSlot() {
	l.Slots.Release()
	if l.Waiting() {
		l.Serve()
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

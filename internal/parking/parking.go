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
// A parked Get waits on one channel, wake, with a plain receive when its
// ctx cannot end. wake is unbuffered: a grant goes straight from its
// granter to the Get asleep on wake longest (the runtime serves a
// channel's receivers in the order they came), and the runtime wakes that
// Get after it lets go of the channel's lock, so no lock is held across the
// wake-up, which under exhaustion is every Put's (it is often a futex wake
// of an idle P's thread). The queue this replaces, under a mutex, sent
// each grant with the mutex held, and the other P queued behind it. Nor
// does a grant name its Get: a granter descheduled between committing and
// sending holds up one grant, which the next Get to wait for one waits for,
// not a Get that the granter took out of the queue.
//
// parked counts the Gets that announced they will receive from wake and
// have no grant committed to them. A granter takes one off it (commits)
// and only then sends, so its send never waits for a Get that is not
// coming; a Get leaving without receiving takes itself off, and if it
// finds parked at 0 a granter has committed to it, so it receives after
// all. Counted so, parked plus the grants committed and not yet received is
// always the number of Gets announced and not yet gone, so every send finds
// its Get and every Get that must receive has its grant coming.
package parking

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"sync/atomic"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/capacity"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/dialer"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/reaper"
)

// cacheLine keeps the waiter count, which every fast-path Get and Put reads
// and every parking Get and granter writes, off the lines of the hooks.
const cacheLine = 64

// yieldEvery is how many grants, on average, go by between two in which
// the granter yields its P before committing (see grant).
const yieldEvery = 64

// Grant is what a parked Get is given: exactly one of its fields is set.
type Grant struct {
	Entry *lease.Entry // an idle or returned conn, owned by the Get now
	Dial  bool         // a reserved slot to dial with
}

// dial and closing are the values on wake that are not conns: a reserved
// slot, and Close.
var dial, closing = new(lease.Entry), new(lease.Entry)

// value is g as it travels on wake.
func (g Grant) value() *lease.Entry {
	if g.Dial {
		return dial
	}
	return g.Entry
}

// Lot is one pool's parked Gets. Set its hooks and call Init before the
// pool's first Get; they are read-only afterwards.
//
// Lost wake-ups are ruled out with the design's fast path as a pair of
// atomics each side writes and then reads: Park announces the Get (Waiting
// turns true) before it takes a last look with Take, and a design that
// makes a conn idle or frees a slot does so before it reads Waiting, and
// then calls Serve. One of the two sees the other.
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

	// wake carries grants, and Close, to parked Gets (see the package
	// doc); made by Init, read-only afterwards.
	wake chan *lease.Entry

	_ [cacheLine]byte
	// parked counts the Gets announced and not committed to (see the
	// package doc); nonzero sends a design's Get and Put to the slow path.
	parked atomic.Int64
	// closed is set once, by Close, and read by every Get and Put.
	closed atomic.Bool
	_      [cacheLine - 16]byte
}

// Init makes the Lot ready for its first Get. A design embeds a Lot's zero
// value, sets its hooks and calls Init in its New.
func (l *Lot) Init() { l.wake = make(chan *lease.Entry) }

// Closed reports whether Close has run; any goroutine may call it.
func (l *Lot) Closed() bool { return l.closed.Load() }

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

// shut marks the pool closed and wakes every waiter, reporting false when
// an earlier shut did so already. It commits to every announced Get at once
// and sends each closing; a Get that announces later sees closed in Park
// and leaves, so afterwards no Get parks.
func (l *Lot) shut() bool {
	if !l.closed.CompareAndSwap(false, true) {
		return false
	}
	for range l.parked.Swap(0) {
		l.wake <- closing
	}
	return true
}

// Waiting reports whether a Get has announced that it parks and has no
// grant committed to it; any goroutine may call it.
func (l *Lot) Waiting() bool { return l.parked.Load() > 0 }

// Len returns how many Gets Waiting counts; any goroutine may call it.
func (l *Lot) Len() int { return int(l.parked.Load()) }

// Park waits, behind every Get parked before it, until a grant or ctx's end
// reaches it, and returns the grant or ctx's error (wrapped) or
// pool.ErrClosed. It counts the wait unless its last look served it.
func (l *Lot) Park(ctx context.Context) (Grant, error) {
	l.parked.Add(1) // announce, before the last look (see Lot)
	for {
		g, ok := l.Take()
		closed := l.closed.Load()
		if !ok && !closed {
			return l.wait(ctx)
		}
		// We leave, with g or for Close, unless a granter or Close has
		// committed to us since we announced: then its value is ours,
		// and g goes on once we hold it (a send before our receive
		// could wait for us).
		if !l.unpark() {
			v := <-l.wake
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
		// The unpark leaves with g, unless a Get is asleep on wake: it
		// parked before us (a Put or a freed slot raced our last look),
		// so the unpark commits to it instead, and we look again.
		select {
		case l.wake <- g.value():
		default:
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
		v := <-l.wake
		l.Stats.Waited(start)
		return l.take(v)
	}
	select {
	case v := <-l.wake:
		l.Stats.Waited(start)
		return l.take(v)
	case <-done:
	}
	if !l.unpark() {
		// A grant beat the cancellation: it is passed on, not lost.
		l.pass(<-l.wake)
	}
	l.Stats.Waited(start)
	l.Stats.Cancels.Add(1)
	return Grant{}, fmt.Errorf("%s: waiting for a conn: %w", l.Name, ctx.Err())
}

// take turns a value received from wake into Park's result. A conn or a
// slot that arrives after Close goes on, so that every Get parked across
// Close returns pool.ErrClosed, whatever order the grants committed before
// Close and Close's own reach the channel in.
func (l *Lot) take(v *lease.Entry) (Grant, error) {
	switch {
	case v == closing:
		return Grant{}, pool.ErrClosed
	case l.closed.Load():
		l.pass(v)
		return Grant{}, pool.ErrClosed
	case v == dial:
		return Grant{Dial: true}, nil
	}
	return Grant{Entry: v}, nil
}

// pass gives on a value from wake, or taken for a Get, that its Get will
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

// unpark takes one Get off parked unless it is 0. A granter commits to a
// Get so, and a Get that leaves without receiving takes itself off so;
// when a leaving Get finds 0, a granter has committed to it and it must
// receive.
func (l *Lot) unpark() bool {
	for n := l.parked.Load(); n > 0; n = l.parked.Load() {
		if l.parked.CompareAndSwap(n, n-1) {
			return true
		}
	}
	return false
}

// grant commits to a parked Get and sends it g, reporting false (and
// granting nothing) when none is parked. The send waits, if need be, for
// an announced Get to reach wake, which it does without waiting for
// anything else.
//
// One grant in yieldEvery, at random, first yields the granter's P. A send
// readies its Get in the P's runnext slot, ahead of the P's run queue, and
// under exhaustion every goroutine runs Put (readying the next Get) and
// then parks in Get, so the Get it readied runs next, and so on: the run
// queue, where a Get readied earlier was pushed out of runnext with its
// conn, waits until the chain breaks. Nothing broke it but a preemption
// that found runnext empty (with one P), or the mutex the parked Gets used
// to queue under (with two): without the yield, ring's max wait was 115 ms
// exhausted and 79 ms exhausted-2, about a whole 100 ms benchmark run
// (chanpool's, whose runtime-served channel has the same chain, 117 and
// 68 ms). Gosched, with no Get readied yet, runs the queue. One in 64:
// 0.14 and 0.9 ms, sec/op within noise of never yielding; one in 256 or
// 1024 left 0.46 and 1.9, 1.6 and 4.1 ms.
func (l *Lot) grant(g Grant) bool {
	if rand.Uint32()%yieldEvery == 0 {
		runtime.Gosched()
	}
	if !l.unpark() {
		return false
	}
	l.wake <- g.value()
	return true
}

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

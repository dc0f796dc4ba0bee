// Package chansem owns the capacity of the designs built on channels
// (chanpool, dial): a buffered channel holding one token per conn open or
// being dialed, the hand-off that wakes the Gets parked for a conn or a
// token, the Close that wakes them with pool.ErrClosed, and the dial into a
// token a Get holds. It must not know whether or how a design keeps conns
// idle: a design that does passes its idle channel to Wait, offers a
// returned conn to a parked Get with Handoff before it makes the conn idle,
// and takes back, through the keep hook, a conn whose Get left.
//
// A parked Get waits in a handoff.Queue, with a plain receive when its ctx
// cannot end: under exhaustion every Get parks, and the select it used to
// park in, over the idle channel, the tokens and Close, locked and queued
// on each of them (a quarter of chanpool's exhausted Get+Put at -cpu 1).
// Whatever the queue carries goes straight to the Get that parked first: a
// returned conn, a token (grant) or the news of Close (closing). Neither a
// newcomer nor an idle channel ever holds them. A Get announces itself
// before it looks a last time at the idle channel, the tokens and Close,
// and each of those is changed before its changer looks at Waiting (Free,
// Close, the design's Put): one of the two sees the other, so no conn,
// token or Close is missed by a Get that parks.
package chansem

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/dialer"
	"github.com/poolbench/poolbench/internal/handoff"
	"github.com/poolbench/poolbench/internal/lease"
)

// Sem is the token channel of one pool. Build it with New.
type Sem struct {
	// tokens holds one token per conn open or being dialed: sending takes
	// one and blocks at the cap, receiving frees one.
	tokens  chan struct{}
	dialing atomic.Int64 // tokens held by dials in flight
	stats   *counters.Counters
	slot    dialer.Slot
	keep    func(*lease.Entry)

	// parked hands a parked Get an entry (with its token), grant (a
	// token) or closing. Its Closed is the pool's.
	parked handoff.Queue

	// freeing, when set (by tests only), runs in Free between the Handoff
	// that found no Get and the freeing of the token: the gap in which a
	// Get may park unseen, so that a test can park one there.
	freeing func()
}

// grant and closing are the two values a parked Get receives that are not
// conns: a token the receiver now holds, and Close.
var grant, closing = new(lease.Entry), new(lease.Entry)

// New returns a semaphore of maxConns tokens for owner. Its dials call dial
// and count into stats; keep takes an entry, with its token, whose Get left
// while it was being dialed or was closed while it waited (nil: the conn
// is closed, as Drop does).
func New(maxConns int, owner lease.Owner, dial func(context.Context) (net.Conn, error),
	stats *counters.Counters, keep func(*lease.Entry)) *Sem {
	s := &Sem{tokens: make(chan struct{}, maxConns), stats: stats}
	s.parked.Init()
	if keep == nil {
		keep = s.Drop
	}
	s.keep = keep
	s.slot = dialer.Slot{
		Owner: owner, Dial: dial, Stats: stats, Dialing: &s.dialing,
		Closed: s.Closed, Free: s.Free, Drop: s.Drop, Keep: keep,
	}
	return s
}

// TryTake takes a token if one is free, without waiting.
func (s *Sem) TryTake() bool {
	select {
	case s.tokens <- struct{}{}:
		return true
	default:
		return false
	}
}

// Wait parks, counted as a wait, until a parked Get's turn comes for an
// entry or a token, ctx ends or the pool closes; idle (nil for a design
// that keeps none) is the design's idle channel, which it looks at before
// it parks. It returns an entry, which carries its own token, or nil when
// it holds a token, or the error to return from Get.
func (s *Sem) Wait(ctx context.Context, idle <-chan *lease.Entry) (*lease.Entry, error) {
	for {
		s.parked.Announce()
		// The last look, after announcing (see the package doc). len
		// reads a channel's count as a failed non-blocking send or
		// receive does, after Announce's atomic add, which orders it.
		if len(idle) == 0 && len(s.tokens) == cap(s.tokens) && !s.Closed() {
			break
		}
		if !s.parked.Leave() {
			return s.take(s.parked.Receive())
		}
		if s.Closed() {
			return nil, pool.ErrClosed
		}
		select {
		case e := <-idle:
			return e, nil
		default:
		}
		if s.TryTake() {
			return nil, nil
		}
	}
	s.stats.Waits.Add(1)
	start := counters.WaitStart()
	defer s.stats.Waited(start)
	done := ctx.Done()
	if done == nil {
		// ctx cannot end: a plain receive, cheaper than a select.
		return s.take(s.parked.Receive())
	}
	select {
	case e := <-s.parked.C():
		return s.take(e)
	case <-done:
		if !s.parked.Leave() {
			return s.take(s.parked.Receive()) // a sender committed first: take its value
		}
		s.stats.Cancels.Add(1)
		return nil, fmt.Errorf("pool: waiting for a conn: %w", ctx.Err())
	}
}

// take turns a value a parked Get received into Wait's result. An entry or a
// token that arrives after Close goes back, so that every Get parked
// across Close returns pool.ErrClosed.
func (s *Sem) take(e *lease.Entry) (*lease.Entry, error) {
	switch {
	case e == closing:
		return nil, pool.ErrClosed
	case !s.Closed():
		if e == grant {
			return nil, nil
		}
		return e, nil
	case e == grant:
		s.Free()
	default:
		s.keep(e)
	}
	return nil, pool.ErrClosed
}

// Handoff gives entry e, which the caller owns with its token, to the Get
// parked longest, and reports whether there was one (see
// handoff.Queue.Give, which yields the P first now and then). A design
// calls it before it makes a returned conn idle, and Waiting after.
func (s *Sem) Handoff(e *lease.Entry) bool { return s.parked.Give(e) }

// Waiting reports whether a Get has announced that it parks. A design that
// made a conn idle calls it afterwards and, if so, hands an idle conn on:
// the Get may have looked at the idle channel before the conn was there.
func (s *Sem) Waiting() bool { return s.parked.Waiting() }

// Dial dials a conn with the token the caller holds. The token is freed if
// the dial fails or the pool has closed; if ctx ends first the dial's
// outcome goes to keep or frees the token when it lands (see dialer.Slot).
func (s *Sem) Dial(ctx context.Context) (net.Conn, error) {
	if s.Closed() {
		s.Free()
		return nil, pool.ErrClosed
	}
	return s.slot.Get(ctx)
}

// Free gives up one token; the oldest Get parked in Wait takes it over, as
// grant, so no newcomer's TryTake can take it first. A Get that announced
// itself after the first look may have looked at the tokens before this
// one was freed, so Free looks again after freeing and, if the token is
// still free, takes it back for that Get.
func (s *Sem) Free() {
	for !s.Handoff(grant) {
		if s.freeing != nil {
			s.freeing()
		}
		<-s.tokens
		if !s.Waiting() || !s.TryTake() {
			return
		}
	}
}

// Drop closes the conn of an entry the caller owns and frees its token. The
// close comes first, so the conn no longer counts as open when a parked Get
// dials with the token.
func (s *Sem) Drop(e *lease.Entry) {
	e.Raw().Close()
	s.Free()
}

// Close marks the pool closed and wakes every Get parked in Wait with
// pool.ErrClosed. A Get that announces itself later sees Closed on its
// last look. It reports whether this call closed it: only the first does.
func (s *Sem) Close() bool { return s.parked.Close(closing) }

// Closed reports whether Close has been called.
func (s *Sem) Closed() bool { return s.parked.Closed() }

// Gauges returns the conns open (tokens held by conns, not by dials) and
// the dials in flight, for Stats. They are read without a lock, so they
// agree with each other only when the pool is quiet.
func (s *Sem) Gauges() (open, dialing int) {
	dialing = int(s.dialing.Load())
	return s.Taken() - dialing, dialing
}

// Taken is the number of tokens taken, by conns and dials alike.
func (s *Sem) Taken() int { return len(s.tokens) }

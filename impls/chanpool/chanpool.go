// Package chanpool is a connection pool built from channels and no mutex: a
// buffered channel holds the idle conns and a channel semaphore
// (internal/chansem) holds one token per conn open or being dialed.
//
// Fairness comes from the runtime, which serves the goroutines parked on a
// channel in the order they parked. A Get that finds no idle conn and no
// free token parks on the semaphore's hand-off channel, and a Put offers
// its conn there before it makes it idle, as a Free offers its token: so
// a Put hands its conn to the oldest parked Get and a freed token goes to
// the oldest parked Get, never to a newcomer, whose non-blocking receive
// finds the idle channel empty and the semaphore full.
//
// The idle channel is a queue, so Get reuses the conn idle longest: under a
// light steady load every conn keeps being used and none ages out, unlike
// mutexlist's most-recent-first list. That is the price of the channel.
package chanpool

import (
	"context"
	"net"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/chansem"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/reuse"
)

// Pool is a channel-based pool.Pool. Build it with New.
type Pool struct {
	cfg   pool.Config
	keep  reuse.Keeper // the reuse policy and the reaper
	stats counters.Counters

	// idle holds idle entries, oldest first; its capacity is MaxIdle, so a
	// Put that finds it full closes its conn. An entry in idle belongs to
	// the pool; whoever receives it owns it.
	idle chan *lease.Entry
	// sem holds one token per conn open or being dialed, and blocks at
	// MaxConns. Every holder of an entry, a dial or an expired conn's slot
	// holds one token.
	sem *chansem.Sem
}

// New returns a pool configured by cfg, or an error wrapping
// pool.ErrInvalidConfig.
func New(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg, idle: make(chan *lease.Entry, cfg.MaxIdle)}
	p.keep = reuse.New(cfg, &p.stats, p.sweep)
	p.sem = chansem.New(cfg.MaxConns, p, cfg.Dial, &p.stats, p.putEntry)
	return p, nil
}

// Get returns the longest-idle conn that is still good, dials when a token
// is free, or else parks until one of those happens, ctx ends or the pool
// closes.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	if p.sem.Closed() {
		return nil, pool.ErrClosed
	}
	held := false // a bad idle conn was closed and its token kept, to dial with
	for {
		select {
		case e := <-p.idle:
			if c, ok := p.reuse(e, held); ok {
				return c, nil
			}
			held = true
			continue
		default:
		}
		if held || p.sem.TryTake() {
			return p.sem.Dial(ctx)
		}
		return p.wait(ctx)
	}
}

// reuse hands out idle entry e if it is good; otherwise it closes e and
// keeps e's token for the caller to dial with. The caller holds e's token,
// and one more when held is true, which is freed either way.
func (p *Pool) reuse(e *lease.Entry, held bool) (net.Conn, bool) {
	if held {
		p.sem.Free()
	}
	// OnGet and Acquire inline here, which a call into reuse would
	// prevent; reuse closes and counts a refused conn.
	cause := p.keep.Policy.OnGet(&e.Life)
	if cause == expiry.Fresh {
		p.stats.Reuses.Add(1)
		return e.Acquire(), true
	}
	p.keep.Retire(e, cause)
	return nil, false
}

// wait parks until an idle conn or a token comes, ctx ends or Close.
func (p *Pool) wait(ctx context.Context) (net.Conn, error) {
	e, err := p.sem.Wait(ctx, p.idle)
	if err != nil {
		return nil, err
	}
	if e != nil {
		if c, ok := p.reuse(e, false); ok {
			return c, nil
		}
	}
	return p.sem.Dial(ctx) // with the token taken, or the bad conn's
}

// Put returns c: to the oldest parked Get, else to the idle channel, else
// (beyond MaxIdle, past MaxLifetime or after Close) it closes c.
func (p *Pool) Put(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	p.putEntry(e)
	return nil
}

// putEntry takes back an entry the caller owns, with its token.
func (p *Pool) putEntry(e *lease.Entry) {
	expiresAt, now, ok := p.keep.Returned(e)
	if !ok {
		p.sem.Free()
		return
	}
	p.idleOrClose(e, expiresAt, now)
}

// idleOrClose hands e, which the caller owns with its token, to the oldest
// parked Get, or else sends it to the idle channel, arming the reaper for
// expiresAt (unless zero); if the pool is closed or MaxIdle conns are idle
// it closes e.
func (p *Pool) idleOrClose(e *lease.Entry, expiresAt, now time.Time) {
	if p.sem.Closed() {
		p.sem.Drop(e)
		return
	}
	if p.sem.Handoff(e) {
		return
	}
	select {
	case p.idle <- e:
	default:
		p.sem.Drop(e)
		p.stats.MaxIdle.Add(1)
		return
	}
	if p.sem.Closed() {
		// Close set closed before draining idle, so either its drain saw e
		// or this one does.
		p.drainIdle()
		return
	}
	p.keep.Arm(expiresAt, now)
	p.handIdle()
}

// handIdle hands idle entries to the Gets that announced they park after
// the Handoff that found none: such a Get may have taken its last look at
// the idle channel before the entry was sent (see chansem's package doc).
// An entry goes through idleOrClose again, without re-arming the reaper,
// which it armed when it first went idle.
func (p *Pool) handIdle() {
	for p.sem.Waiting() {
		select {
		case e := <-p.idle:
			p.idleOrClose(e, time.Time{}, time.Time{})
		default:
			return
		}
	}
}

// Discard closes c and frees its token for the oldest parked Get to dial.
func (p *Pool) Discard(c net.Conn) error {
	return reuse.Discard(p, c, &p.stats, p.sem.Drop)
}

// drainIdle closes every idle conn.
func (p *Pool) drainIdle() {
	for {
		select {
		case e := <-p.idle:
			p.sem.Drop(e)
		default:
			return
		}
	}
}

// Close wakes every parked Get with pool.ErrClosed, stops the reaper and
// closes the idle conns; conns still held are closed when they come back.
func (p *Pool) Close() error {
	if !p.sem.Close() {
		return nil
	}
	p.keep.Stop()
	p.drainIdle()
	return nil
}

// Stats returns a snapshot. Its gauges are read without a lock, so they are
// consistent with each other only when the pool is quiet.
func (p *Pool) Stats() pool.Stats {
	s := p.stats.Snapshot()
	s.Open, s.Dialing = p.sem.Gauges()
	s.Idle = len(p.idle)
	s.InUse = s.Open - s.Idle
	return s
}

// Package chanpool is a connection pool built from channels and no mutex: a
// buffered channel holds the idle conns and a channel semaphore holds one
// token per conn open or being dialed.
//
// Fairness comes from the runtime. Goroutines parked on a channel are served
// in the order they parked, a send to a parked receiver hands the value over
// directly, and a receive from a full channel with a parked sender moves that
// sender's value in at once. So a Put hands its conn to the oldest parked Get
// and a freed token goes to the oldest parked Get, never to a newcomer, whose
// non-blocking receive finds the idle channel empty and the semaphore full.
//
// The idle channel is a queue, so Get reuses the conn idle longest: under a
// light steady load every conn keeps being used and none ages out, unlike
// mutexlist's most-recent-first list. That is the price of the channel.
package chanpool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/dialer"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/reaper"
)

// Pool is a channel-based pool.Pool. Build it with New.
type Pool struct {
	cfg    pool.Config
	policy expiry.Policy
	reaper *reaper.Reaper // nil unless policy.Timed()
	stats  counters.Counters

	// idle holds idle entries, oldest first; its capacity is MaxIdle, so a
	// Put that finds it full closes its conn. An entry in idle belongs to
	// the pool; whoever receives it owns it.
	idle chan *lease.Entry
	// sem holds one token per conn open or being dialed: sending takes a
	// slot and blocks at MaxConns, receiving frees one. Every holder of an
	// entry, a dial or an expired conn's slot holds one token.
	sem     chan struct{}
	dialing atomic.Int64 // tokens held by dials in flight

	closed atomic.Bool
	done   chan struct{} // closed by Close, wakes parked Gets
}

// New returns a pool configured by cfg, or an error wrapping
// pool.ErrInvalidConfig.
func New(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	p := &Pool{
		cfg:    cfg,
		policy: expiry.New(cfg),
		idle:   make(chan *lease.Entry, cfg.MaxIdle),
		sem:    make(chan struct{}, cfg.MaxConns),
		done:   make(chan struct{}),
	}
	if p.policy.Timed() {
		p.reaper = reaper.New(p.sweep)
	}
	return p, nil
}

// Get returns the longest-idle conn that is still good, dials when a token
// is free, or else parks until one of those happens, ctx ends or the pool
// closes.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	if p.closed.Load() {
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
		if held {
			return p.dial(ctx)
		}
		select {
		case p.sem <- struct{}{}:
			return p.dial(ctx)
		default:
		}
		return p.wait(ctx)
	}
}

// reuse hands out idle entry e if it is good; otherwise it closes e and
// keeps e's token for the caller to dial with. The caller holds e's token,
// and one more when held is true, which is freed either way.
func (p *Pool) reuse(e *lease.Entry, held bool) (net.Conn, bool) {
	if held {
		p.free()
	}
	cause := p.policy.OnGet(&e.Life)
	if cause == expiry.Fresh {
		p.stats.Reuses.Add(1)
		return e.Acquire(), true
	}
	e.Raw().Close()
	p.stats.Expired(cause)
	return nil, false
}

// free gives up one token; the oldest Get parked on sem takes it over.
func (p *Pool) free() { <-p.sem }

// wait parks until an idle conn or a token comes, ctx ends or Close.
func (p *Pool) wait(ctx context.Context) (net.Conn, error) {
	p.stats.Waits.Add(1)
	start := time.Now()
	select {
	case e := <-p.idle:
		p.stats.Waited(start)
		if c, ok := p.reuse(e, false); ok {
			return c, nil
		}
		return p.dial(ctx) // with the bad conn's token
	case p.sem <- struct{}{}:
		p.stats.Waited(start)
		return p.dial(ctx)
	case <-ctx.Done():
		p.stats.Waited(start)
		p.stats.Cancels.Add(1)
		return nil, fmt.Errorf("pool: waiting for a conn: %w", ctx.Err())
	case <-p.done:
		p.stats.Waited(start)
		return nil, pool.ErrClosed
	}
}

// dial dials with a token the caller holds.
func (p *Pool) dial(ctx context.Context) (net.Conn, error) {
	if p.closed.Load() {
		p.free()
		return nil, pool.ErrClosed
	}
	p.dialing.Add(1)
	e, err := dialer.Dial(ctx, p, p.cfg.Dial, &p.stats, p.dialedLate)
	if errors.Is(err, dialer.ErrAbandoned) {
		return nil, err // the token stays taken until dialedLate
	}
	p.dialing.Add(-1)
	if err != nil {
		p.free()
		return nil, err
	}
	if p.closed.Load() {
		e.Raw().Close()
		p.free()
		return nil, pool.ErrClosed
	}
	return e.Acquire(), nil
}

// dialedLate takes the outcome of a dial whose Get left when its ctx ended:
// the conn goes to a parked Get or the idle channel, a failure frees the token.
func (p *Pool) dialedLate(e *lease.Entry, err error) {
	p.dialing.Add(-1)
	if err != nil {
		p.free()
		return
	}
	p.putEntry(e)
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
	now := p.policy.Now()
	expiresAt, cause := p.policy.Returned(&e.Life, now)
	if cause != expiry.Fresh {
		p.stats.Expired(cause)
		p.closeEntry(e)
		return
	}
	p.idleOrClose(e, expiresAt, now)
}

// idleOrClose sends e, which the caller owns with its token, to a parked Get
// or the idle channel, arming the reaper for expiresAt (unless zero); if the
// pool is closed or MaxIdle conns are idle it closes e.
func (p *Pool) idleOrClose(e *lease.Entry, expiresAt, now time.Time) {
	if p.closed.Load() {
		p.closeEntry(e)
		return
	}
	select {
	case p.idle <- e:
	default:
		p.closeEntry(e)
		p.stats.MaxIdle.Add(1)
		return
	}
	if p.closed.Load() {
		// Close set closed before draining idle, so either its drain saw e
		// or this one does.
		p.drainIdle()
		return
	}
	if !expiresAt.IsZero() {
		p.reaper.ArmBy(expiresAt, now)
	}
}

// Discard closes c and frees its token for the oldest parked Get to dial.
func (p *Pool) Discard(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	p.stats.Discards.Add(1)
	p.closeEntry(e)
	return nil
}

// closeEntry closes an entry the caller owns and frees its token.
func (p *Pool) closeEntry(e *lease.Entry) {
	e.Raw().Close()
	p.free()
}

// drainIdle closes every idle conn.
func (p *Pool) drainIdle() {
	for {
		select {
		case e := <-p.idle:
			p.closeEntry(e)
		default:
			return
		}
	}
}

// Close wakes every parked Get with pool.ErrClosed, stops the reaper and
// closes the idle conns; conns still held are closed when they come back.
func (p *Pool) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(p.done)
	if p.reaper != nil {
		p.reaper.Stop()
	}
	p.drainIdle()
	return nil
}

// Stats returns a snapshot. Its gauges are read without a lock, so they are
// consistent with each other only when the pool is quiet.
func (p *Pool) Stats() pool.Stats {
	s := p.stats.Snapshot()
	s.Dialing = int(p.dialing.Load())
	s.Open = len(p.sem) - s.Dialing
	s.Idle = len(p.idle)
	s.InUse = s.Open - s.Idle
	return s
}

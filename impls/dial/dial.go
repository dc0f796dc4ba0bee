// Package dial is the no-pool baseline behind the pool contract: Get dials a
// fresh conn and Put closes it. It owns nothing but the cap on conns open or
// being dialed (Config.MaxConns), so that the sweep loads it exactly like the
// pools, W workers against M conns, and what differs is only that every
// request pays a handshake, a four-way close and, on the side that closes
// first, a TIME_WAIT socket. It must not know the harness or any server.
//
// It never reuses a conn, so there is never an idle one: a Config setting
// MaxIdle, IdleTimeout or MaxLifetime asks for something it cannot do and is
// rejected (pool.ErrUnsupported), and NoAliveCheck has nothing to act on. Waiters park on a channel semaphore, which the runtime serves
// first-in first-out, so a freed slot goes to the oldest parked Get.
package dial

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/dialer"
	"github.com/poolbench/poolbench/internal/lease"
)

// Pool is the dial-per-Get pool.Pool. Build it with New.
type Pool struct {
	dial  func(ctx context.Context) (net.Conn, error)
	stats counters.Counters

	// sem holds one token per conn open or being dialed; sending takes a
	// slot and blocks at MaxConns, receiving frees one.
	sem     chan struct{}
	dialing atomic.Int64 // tokens held by dials in flight

	closed atomic.Bool
	done   chan struct{} // closed by Close, wakes parked Gets
}

// New returns a dial-per-Get pool capped at cfg.MaxConns, or an error
// wrapping pool.ErrInvalidConfig (and pool.ErrUnsupported for an idle knob).
func New(cfg pool.Config) (pool.Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Before Normalized, which fills MaxIdle in.
	if err := Caps.Check(cfg); err != nil {
		return nil, err
	}
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	return &Pool{dial: cfg.Dial, sem: make(chan struct{}, cfg.MaxConns), done: make(chan struct{})}, nil
}

// Get dials a new conn once fewer than MaxConns are open or dialing; until
// then it parks, first-in first-out, until a slot frees, ctx ends or the
// pool closes.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	if p.closed.Load() {
		return nil, pool.ErrClosed
	}
	select {
	case p.sem <- struct{}{}:
		return p.dialHeld(ctx)
	default:
	}
	p.stats.Waits.Add(1)
	start := counters.WaitStart()
	select {
	case p.sem <- struct{}{}:
		p.stats.Waited(start)
		return p.dialHeld(ctx)
	case <-ctx.Done():
		p.stats.Waited(start)
		p.stats.Cancels.Add(1)
		return nil, fmt.Errorf("pool: waiting for a slot to dial: %w", ctx.Err())
	case <-p.done:
		p.stats.Waited(start)
		return nil, pool.ErrClosed
	}
}

// dialHeld dials with a slot the caller holds.
func (p *Pool) dialHeld(ctx context.Context) (net.Conn, error) {
	if p.closed.Load() {
		p.free()
		return nil, pool.ErrClosed
	}
	p.dialing.Add(1)
	e, err := dialer.Dial(ctx, p, p.dial, &p.stats, p.dialedLate)
	if errors.Is(err, dialer.ErrAbandoned) {
		return nil, err // the slot stays taken until dialedLate
	}
	p.dialing.Add(-1)
	if err != nil {
		p.free()
		return nil, err
	}
	if p.closed.Load() {
		p.closeEntry(e)
		return nil, pool.ErrClosed
	}
	return e.Acquire(), nil
}

// dialedLate takes the outcome of a dial whose Get left when its ctx ended.
// Nobody wants the conn and this design keeps none idle, so it is closed.
func (p *Pool) dialedLate(e *lease.Entry, err error) {
	p.dialing.Add(-1)
	if err != nil {
		p.free()
		return
	}
	p.closeEntry(e)
}

// free gives up one slot; the oldest Get parked on sem takes it over.
func (p *Pool) free() { <-p.sem }

// closeEntry closes an entry the caller owns and frees its slot. The close
// comes first so that the conn no longer counts as open when a waiter dials.
func (p *Pool) closeEntry(e *lease.Entry) {
	e.Raw().Close()
	p.free()
}

// Put closes c, which is the whole point of this design: the conn is not
// reused, and its slot goes to the oldest parked Get, which dials afresh.
func (p *Pool) Put(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	p.closeEntry(e)
	return nil
}

// Discard closes c and frees its slot, like Put, and counts it as discarded.
func (p *Pool) Discard(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	p.stats.Discards.Add(1)
	p.closeEntry(e)
	return nil
}

// Close wakes every parked Get with pool.ErrClosed. There are no idle conns
// to close; conns still held are closed when they come back, as always.
func (p *Pool) Close() error {
	if p.closed.CompareAndSwap(false, true) {
		close(p.done)
	}
	return nil
}

// Stats returns a snapshot; Idle and Reuses are always 0. Its gauges are
// read without a lock, so they agree with each other only when quiet.
func (p *Pool) Stats() pool.Stats {
	s := p.stats.Snapshot()
	s.Dialing = int(p.dialing.Load())
	s.Open = len(p.sem) - s.Dialing
	s.InUse = s.Open
	return s
}

// Caps is what the dial baseline declares: FIFO waiters, a ctx-aware dial,
// a double Put refused by lease, and no reuse, so no idle-conn knob and
// every property about an idle or reused conn is n/a. A stale Put cannot
// happen: a conn is handed out once.
var Caps = pool.Capabilities{
	FIFO: true, DialCtx: true, DoublePut: pool.ReturnsError, NeverReuses: true,
}

// Package dial is the no-pool baseline behind the pool contract: Get dials a
// fresh conn and Put closes it. It owns nothing but the cap on conns open or
// being dialed (Config.MaxConns), so that the sweep loads it exactly like the
// pools, W workers against M conns, and what differs is only that every
// request pays a handshake, a four-way close and, on the side that closes
// first, a TIME_WAIT socket. It must not know the harness or any server.
//
// It never reuses a conn, so there is never an idle one: a Config setting
// MaxIdle, IdleTimeout or MaxLifetime asks for something it cannot do and is
// rejected (pool.ErrUnsupported), and NoAliveCheck has nothing to act on.
// Waiters park on a channel semaphore (internal/chansem), which the runtime
// serves first-in first-out, so a freed slot goes to the oldest parked Get.
package dial

import (
	"context"
	"net"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/chansem"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/reuse"
)

// Pool is the dial-per-Get pool.Pool. Build it with New.
type Pool struct {
	stats counters.Counters
	// sem holds one token per conn open or being dialed, and blocks at
	// MaxConns. A dial whose Get left has its conn closed: nobody wants
	// it and this design keeps none idle.
	sem *chansem.Sem
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
	p := &Pool{}
	p.sem = chansem.New(cfg.MaxConns, p, cfg.Dial, &p.stats, nil)
	return p, nil
}

// Get dials a new conn once fewer than MaxConns are open or dialing; until
// then it parks, first-in first-out, until a slot frees, ctx ends or the
// pool closes.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	if p.sem.Closed() {
		return nil, pool.ErrClosed
	}
	if !p.sem.TryTake() {
		if _, err := p.sem.Wait(ctx, nil); err != nil {
			return nil, err
		}
	}
	return p.sem.Dial(ctx)
}

// Put closes c, which is the whole point of this design: the conn is not
// reused, and its slot goes to the oldest parked Get, which dials afresh.
func (p *Pool) Put(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	p.sem.Drop(e)
	return nil
}

// Discard closes c and frees its slot, like Put, and counts it as discarded.
func (p *Pool) Discard(c net.Conn) error {
	return reuse.Discard(p, c, &p.stats, p.sem.Drop)
}

// Close wakes every parked Get with pool.ErrClosed. There are no idle conns
// to close; conns still held are closed when they come back, as always.
func (p *Pool) Close() error {
	p.sem.Close()
	return nil
}

// Stats returns a snapshot; Idle and Reuses are always 0. Its gauges are
// read without a lock, so they agree with each other only when quiet.
func (p *Pool) Stats() pool.Stats {
	s := p.stats.Snapshot()
	s.Open, s.Dialing = p.sem.Gauges()
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

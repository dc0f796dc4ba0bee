// Package fatih adapts github.com/fatih/pool v3 to pool.Pool, so that the
// conformance suite and the benchmarks run it next to poolbench's own designs.
//
// The adapter maps Config onto the library and adds no behaviour of its own,
// so what the suite reports is the library's behaviour:
//
//   - fatih/pool's maxCap is the size of its idle channel: it bounds idle
//     conns, not open ones. The adapter passes MaxIdle (which defaults to
//     MaxConns), so MaxIdle is honoured and MaxConns is not enforced at all.
//   - Get never waits: with no idle conn at hand it dials, however many conns
//     are already open. It ignores ctx.
//   - The library's factory takes no ctx, so every dial runs with
//     context.Background.
//   - A handed-out conn is a *pool.PoolConn whose Close returns it to the pool
//     (Put); MarkUnusable then Close closes it for good (Discard). Nothing
//     stops a conn from being returned twice.
//   - Len is the only counter: the number of idle conns.
//   - There is no idle timeout and no max lifetime: New refuses a Config that
//     sets IdleTimeout or MaxLifetime (pool.ErrUnsupported) rather than
//     ignore it.
package fatih

import (
	"context"
	"errors"
	"fmt"
	"net"

	fpool "github.com/fatih/pool"

	"github.com/poolbench/poolbench/impls/pool"
)

// Library is the pool under test.
const Library = "github.com/fatih/pool v3.0.0"

// Advice is what the verdicts mean for a caller.
const Advice = "no cap on open conns, no waiting, no expiry: it hands out dead conns after a server restart " +
	"(wrap Get with your own check) and shares a conn after a double Put"

// Caps is what fatih/pool can express. Every false configuration field is a
// Config field the library has no API for: New rejects a Config that sets it
// (pool.ErrUnsupported) and the suite reports its property n/a. Everything
// else (the total-open cap, the dead-peer check, double Put) is checked and
// fails where the library falls short.
var Caps = pool.Capabilities{
	MaxIdle: true, // maxCap bounds the idle channel
	// No IdleTimeout, reaper or MaxLifetime: no API for them. No alive check
	// either, which the suite checks anyway (DeadPeer fails).
	// FIFO: Get never waits, so there is no waiter order to declare.
	// FailFast: Get neither waits nor fails when MaxConns are open; it dials.
	// DialCtx: the factory takes no ctx.
	DoublePut: pool.Undetected, // PoolConn.Close twice puts the conn twice
	StalePut:  pool.Undetected,
	// Stats: Len counts idle conns only; open and in-use are unknown.
}

// Pool is fatih/pool's channel pool behind the pool.Pool interface.
type Pool struct {
	lib fpool.Pool
}

// New builds a fatih/pool channel pool from cfg: initialCap 0, maxCap
// cfg.MaxIdle, and a factory that calls cfg.Dial with context.Background.
func New(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	if err := Caps.Check(cfg); err != nil {
		return nil, fmt.Errorf("fatih/pool: %w", err)
	}
	dial := cfg.Dial
	lib, err := fpool.NewChannelPool(0, cfg.MaxIdle, func() (net.Conn, error) {
		return dial(context.Background())
	})
	if err != nil {
		return nil, fmt.Errorf("fatih/pool: %w", err)
	}
	return &Pool{lib: lib}, nil
}

// Get returns an idle conn or dials a new one; it never waits and ignores ctx.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	c, err := p.lib.Get()
	if errors.Is(err, fpool.ErrClosed) {
		return nil, pool.ErrClosed
	}
	return c, err
}

// Put returns c to the idle channel, or closes it when the channel is full
// or the pool is closed. Only the type is checked: a conn from another
// fatih/pool goes back to that pool, and a double Put is not noticed.
func (p *Pool) Put(c net.Conn) error {
	pc, ok := c.(*fpool.PoolConn)
	if !ok {
		return pool.ErrForeignConn
	}
	return pc.Close()
}

// Discard marks c unusable and closes it.
func (p *Pool) Discard(c net.Conn) error {
	pc, ok := c.(*fpool.PoolConn)
	if !ok {
		return pool.ErrForeignConn
	}
	pc.MarkUnusable()
	return pc.Close()
}

// Close closes the pool and its idle conns; the library's Close is idempotent.
func (p *Pool) Close() error {
	p.lib.Close()
	return nil
}

// Stats reports the idle count (Len); the library keeps no other counter.
func (p *Pool) Stats() pool.Stats {
	return pool.Stats{Idle: p.lib.Len()}
}

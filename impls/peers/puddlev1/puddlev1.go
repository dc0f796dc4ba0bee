// Package puddlev1 adapts github.com/jackc/puddle v1.3.0, the generic
// resource pool under pgx v4's pgxpool, to pool.Pool, so that the
// conformance suite and the benchmarks run it next to puddle v2 (which
// poolbench's own puddle design builds on) and the other pools.
//
// The adapter maps the API and adds no behaviour of its own:
//
//   - MaxConns is maxSize. There is no idle bound, idle timeout, max
//     lifetime or reaper: New refuses MaxIdle below MaxConns, IdleTimeout
//     and MaxLifetime (pool.ErrUnsupported). There is no dead-peer check.
//   - Get is Acquire(ctx). A Get that finds no idle resource and no room
//     waits on a sync.Cond; Release signals it, and whichever goroutine takes
//     the lock first gets the resource, so waiters are not FIFO.
//   - The constructor dials on a goroutine of its own with the Get's ctx;
//     Acquire returns when ctx ends and the late conn goes idle.
//   - Each Get returns a fresh handle on the acquired *Resource. Put is
//     Release and Discard is Destroy; both panic when the resource is not
//     acquired (a double Put), but a stale handle whose resource someone else
//     has since acquired releases it from under them.
//   - Close is the library's Close, which waits until every held resource
//     has been returned.
package puddlev1

import (
	"context"
	"errors"
	"fmt"
	"net"

	puddle "github.com/jackc/puddle"

	"github.com/poolbench/poolbench/impls/pool"
)

// Library is the pool under test.
const Library = "github.com/jackc/puddle v1.3.0"

// Advice is what the verdicts mean for a caller.
const Advice = "no idle bound, expiry or dead-peer check (check conns yourself after a server restart), " +
	"waiters race for a returned conn, and Close blocks until every conn is returned"

// Caps is what puddle v1 can express.
var Caps = pool.Capabilities{
	// No MaxIdle, IdleTimeout, Reaper or MaxLifetime settings.
	// FIFO: waiters wait on a sync.Cond and race for a released resource.
	DialCtx:   true, // Acquire stops waiting when ctx ends; the constructor goes on
	DoublePut: pool.Panics,
	StalePut:  pool.Undetected, // the handle is the *Resource, shared by every hand-out of it
	// Stats: no dial or reuse counters.
}

// Pool is a puddle v1 pool of conns.
type Pool struct {
	lib *puddle.Pool
}

// handle is what a caller holds: the conn of one acquired resource.
type handle struct {
	net.Conn
	res   *puddle.Resource
	owner *Pool
}

// Close is Discard, as pool.Pool asks of a handle closed directly.
func (h *handle) Close() error { return h.owner.Discard(h) }

// Unwrap returns the dialed conn.
func (h *handle) Unwrap() net.Conn { return h.Conn }

// New builds a puddle v1 pool of cfg.MaxConns conns dialed with cfg.Dial.
func New(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	if err := Caps.Check(cfg); err != nil {
		return nil, fmt.Errorf("puddle v1: %w", err)
	}
	if cfg.MaxConns > 1<<31-1 {
		return nil, fmt.Errorf("puddle v1: %w: MaxConns %d does not fit int32", pool.ErrInvalidConfig, cfg.MaxConns)
	}
	dial := cfg.Dial
	lib := puddle.NewPool(
		func(ctx context.Context) (any, error) { return dial(ctx) },
		func(v any) { v.(net.Conn).Close() },
		int32(cfg.MaxConns))
	return &Pool{lib: lib}, nil
}

// Get is Acquire.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	res, err := p.lib.Acquire(ctx)
	if errors.Is(err, puddle.ErrClosedPool) {
		return nil, fmt.Errorf("%w (%v)", pool.ErrClosed, err)
	}
	if err != nil {
		return nil, err
	}
	return &handle{Conn: res.Value().(net.Conn), res: res, owner: p}, nil
}

// Put is Release.
func (p *Pool) Put(c net.Conn) error {
	h, ok := c.(*handle)
	if !ok || h.owner != p {
		return pool.ErrForeignConn
	}
	h.res.Release()
	return nil
}

// Discard is Destroy, which closes the conn on a goroutine and then frees
// its slot.
func (p *Pool) Discard(c net.Conn) error {
	h, ok := c.(*handle)
	if !ok || h.owner != p {
		return pool.ErrForeignConn
	}
	h.res.Destroy()
	return nil
}

// Close is the library's Close.
func (p *Pool) Close() error {
	p.lib.Close()
	return nil
}

// Stats maps the library's Stat gauges.
func (p *Pool) Stats() pool.Stats {
	s := p.lib.Stat()
	return pool.Stats{
		Open: int(s.TotalResources() - s.ConstructingResources()), Idle: int(s.IdleResources()),
		InUse: int(s.AcquiredResources()), Dialing: int(s.ConstructingResources()),
		Cancels: uint64(s.CanceledAcquireCount()),
	}
}

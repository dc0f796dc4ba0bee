// Package commons adapts github.com/jolestar/go-commons-pool/v2 (v2.1.2), a
// port of Apache Commons Pool, to pool.Pool, so that the conformance suite
// and the benchmarks run it next to poolbench's own designs.
//
// The adapter maps Config onto the library and adds no behaviour of its own:
//
//   - MaxConns is MaxTotal and MaxIdle is MaxIdle; BlockWhenExhausted makes
//     a Get wait for a conn (with the Get's ctx) instead of failing.
//   - IdleTimeout is MinEvictableIdleTime, enforced only by the library's
//     evictor goroutine, which the adapter runs every IdleTimeout and lets
//     examine every idle conn (NumTestsPerEvictionRun -1). Borrowing does not
//     look at idle time. There is no max lifetime: New refuses MaxLifetime
//     (pool.ErrUnsupported).
//   - The dead-peer check is the factory's ValidateObject with TestOnBorrow,
//     a hook the library provides for it; the adapter fills it with
//     poolbench's socket peek (Caps.CallerCheck).
//   - Objects are told apart by identity: the conn the factory makes is the
//     handle a caller holds, so a second return is refused
//     ("already been returned"), but a stale return of a conn someone else
//     now holds is taken.
//   - Errors are mapped, not changed: the library's "Pool not open" and an
//     interrupted wait become pool.ErrClosed, and its "Timeout waiting for
//     idle object", which it returns when the Get's ctx ends, wraps ctx.Err().
package commons

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	cpool "github.com/jolestar/go-commons-pool/v2"
	"github.com/jolestar/go-commons-pool/v2/collections"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/expiry"
)

// Library is the pool under test.
const Library = "github.com/jolestar/go-commons-pool/v2 v2.1.2"

// Advice is what the verdicts mean for a caller.
const Advice = "takes back a stale conn from its new holder, serves waiters in no set order, " +
	"and expires idle conns only from its evictor; supply a ValidateObject with TestOnBorrow or it hands out dead conns"

// Caps is what go-commons-pool can express.
var Caps = pool.Capabilities{
	MaxIdle: true, IdleTimeout: true, Reaper: true,
	// MaxLifetime: no such setting (AbandonedConfig is about borrowed objects).
	// FIFO: its deque's waiters are not served in a set order ("TODO support fairness").
	DialCtx:     true, // MakeObject gets the BorrowObject ctx, on the caller's goroutine
	DoublePut:   pool.ReturnsError,
	StalePut:    pool.ReturnsError,
	CallerCheck: "the factory's ValidateObject hook (TestOnBorrow), filled with poolbench's socket peek",
}

// Pool is a go-commons-pool ObjectPool of conns.
type Pool struct {
	lib *cpool.ObjectPool
}

// conn is the object the factory makes and the handle a caller holds.
type conn struct {
	net.Conn
	peek  expiry.Life // for the dead-peer peek only
	owner *Pool
}

// Close is Discard, as pool.Pool asks of a handle closed directly.
func (c *conn) Close() error { return c.owner.Discard(c) }

// Unwrap returns the dialed conn.
func (c *conn) Unwrap() net.Conn { return c.Conn }

// New builds an ObjectPool from cfg.
func New(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	if err := Caps.Check(cfg); err != nil {
		return nil, fmt.Errorf("go-commons-pool: %w", err)
	}
	p := &Pool{}
	dial, check := cfg.Dial, !cfg.NoAliveCheck
	factory := cpool.NewPooledObjectFactory(
		func(ctx context.Context) (any, error) {
			nc, err := dial(ctx)
			if err != nil {
				return nil, err
			}
			c := &conn{Conn: nc, owner: p}
			c.peek.Init(nc, time.Time{})
			return c, nil
		},
		func(_ context.Context, o *cpool.PooledObject) error { return o.Object.(*conn).Conn.Close() },
		func(_ context.Context, o *cpool.PooledObject) bool {
			return !check || o.Object.(*conn).peek.PeerAlive()
		},
		nil, nil)
	lc := cpool.NewDefaultPoolConfig()
	lc.MaxTotal = cfg.MaxConns
	lc.MaxIdle = cfg.MaxIdle
	lc.BlockWhenExhausted = true
	lc.TestOnBorrow = true
	if cfg.IdleTimeout > 0 {
		lc.MinEvictableIdleTime = cfg.IdleTimeout
		lc.TimeBetweenEvictionRuns = cfg.IdleTimeout
		lc.NumTestsPerEvictionRun = -1
	}
	p.lib = cpool.NewObjectPool(context.Background(), factory, lc)
	if cfg.IdleTimeout > 0 {
		p.lib.StartEvictor()
	}
	return p, nil
}

// Get is BorrowObject.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	o, err := p.lib.BorrowObject(ctx)
	if err != nil {
		return nil, p.mapBorrowErr(ctx, err)
	}
	return o.(*conn), nil
}

// mapBorrowErr maps the library's errors onto the contract's sentinels.
func (p *Pool) mapBorrowErr(ctx context.Context, err error) error {
	var interrupted *collections.InterruptedErr
	var illegal *cpool.IllegalStateErr
	var none *cpool.NoSuchElementErr
	switch {
	case p.lib.IsClosed() && (errors.As(err, &interrupted) || errors.As(err, &illegal)):
		return fmt.Errorf("%w (%v)", pool.ErrClosed, err)
	case ctx.Err() != nil && errors.As(err, &none):
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// Put is ReturnObject.
func (p *Pool) Put(c net.Conn) error {
	h, ok := c.(*conn)
	if !ok || h.owner != p {
		return pool.ErrForeignConn
	}
	return mapReturnErr(p.lib.ReturnObject(context.Background(), h))
}

// Discard is InvalidateObject, which destroys (closes) the conn.
func (p *Pool) Discard(c net.Conn) error {
	h, ok := c.(*conn)
	if !ok || h.owner != p {
		return pool.ErrForeignConn
	}
	return mapReturnErr(p.lib.InvalidateObject(context.Background(), h))
}

// mapReturnErr maps the library's refusal of a conn it does not consider
// borrowed to pool.ErrNotHeld.
func mapReturnErr(err error) error {
	var illegal *cpool.IllegalStateErr
	if errors.As(err, &illegal) && strings.Contains(err.Error(), "already been returned") {
		return fmt.Errorf("%w (%v)", pool.ErrNotHeld, err)
	}
	return err
}

// Close is the library's Close: idle conns destroyed, waiters interrupted.
func (p *Pool) Close() error {
	p.lib.Close(context.Background())
	return nil
}

// Stats reports the library's gauges: active and idle objects.
func (p *Pool) Stats() pool.Stats {
	active, idle := p.lib.GetNumActive(), p.lib.GetNumIdle()
	return pool.Stats{Open: active + idle, Idle: idle, InUse: active}
}

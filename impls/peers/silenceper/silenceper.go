// Package silenceper adapts github.com/silenceper/pool v1.0.0 to pool.Pool, so
// that the conformance suite and the benchmarks run it next to poolbench's
// own designs.
//
// The adapter maps Config onto the library and adds no behaviour of its own,
// so what the suite reports is the library's behaviour:
//
//   - MaxCap caps open conns and MaxIdle the idle ones; IdleTimeout is checked
//     on Get. There is no reaper and no max lifetime: New refuses a Config
//     that sets MaxLifetime (pool.ErrUnsupported) rather than ignore it.
//   - Get waits, in a FIFO queue, when MaxCap conns are open. It has no ctx,
//     so a waiting Get cannot be cancelled or timed out; only a Put wakes it
//     (a Close of a conn or of the pool does not).
//   - The factory runs under the pool's mutex and takes no ctx, so every dial
//     runs with context.Background and blocks the whole pool while it lasts.
//   - Ping is the library's hook for an alive check; the adapter supplies the
//     same non-blocking peek poolbench's designs use (expiry.Life.PeerAlive),
//     unless Config.NoAliveCheck.
//   - Put takes any value and cannot tell a double or stale Put.
//   - Len is the only counter: the number of idle conns.
package silenceper

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	spool "github.com/silenceper/pool"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/expiry"
)

// Library is the pool under test.
const Library = "github.com/silenceper/pool v1.0.0"

// Advice is what the verdicts mean for a caller.
const Advice = "its Get has no ctx and can sleep forever beside an idle conn (lost wake-up), a slow dial blocks the whole pool, " +
	"and it catches dead peers only through the Ping func you supply"

// Caps is what silenceper/pool can express. Every false field is a property
// the library has no API for, so the suite reports it n/a; properties it does
// not gate (cancel while waiting, dial outside the lock, Close waking
// waiters...) are checked and fail where the library falls short.
var Caps = pool.Capabilities{
	MaxIdle:     true, // Config.MaxIdle sizes the idle channel
	IdleTimeout: true, // checked on Get
	// Reaper, MaxLifetime: no API.
	FIFO: true, // waiters queue in a slice served from the front
	// FailFast: Get waits. DialCtx: the factory takes no ctx.
	DoublePut: pool.Undetected, // Put(any) keeps no record of hand-outs
	StalePut:  pool.Undetected,
	// Stats: Len counts idle conns only; open and in-use are unknown.
	CallerCheck: "the library's Ping hook, filled with poolbench's socket peek",
}

// errDeadPeer is Ping's verdict on an idle conn whose peer closed it.
var errDeadPeer = errors.New("silenceper adapter: idle conn's peer closed it")

// Pool is silenceper/pool's channel pool behind the pool.Pool interface.
type Pool struct {
	lib spool.Pool
}

// conn is what the factory makes and the caller holds: the dialed conn, plus
// an expiry.Life used only for its dead-peer peek (set up once per dial so
// Ping does not allocate).
type conn struct {
	net.Conn
	peek expiry.Life
}

// New builds a silenceper/pool channel pool from cfg: InitialCap 0, MaxCap
// cfg.MaxConns, MaxIdle cfg.MaxIdle, IdleTimeout cfg.IdleTimeout, and a
// factory that calls cfg.Dial with context.Background.
func New(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	if err := Caps.Check(cfg); err != nil {
		return nil, fmt.Errorf("silenceper/pool: %w", err)
	}
	dial := cfg.Dial
	lc := &spool.Config{
		MaxCap:      cfg.MaxConns,
		MaxIdle:     cfg.MaxIdle,
		IdleTimeout: cfg.IdleTimeout,
		Factory: func() (any, error) {
			c, err := dial(context.Background())
			if err != nil {
				return nil, err
			}
			pc := &conn{Conn: c}
			pc.peek.Init(c, time.Time{})
			return pc, nil
		},
		Close: func(v any) error { return v.(*conn).Conn.Close() },
	}
	if !cfg.NoAliveCheck {
		lc.Ping = func(v any) error {
			if !v.(*conn).peek.PeerAlive() {
				return errDeadPeer
			}
			return nil
		}
	}
	lib, err := spool.NewChannelPool(lc)
	if err != nil {
		return nil, fmt.Errorf("silenceper/pool: %w", err)
	}
	return &Pool{lib: lib}, nil
}

// Get returns an idle conn, dials one, or waits for a Put when MaxConns are
// open. It ignores ctx: the library's Get has none.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	v, err := p.lib.Get()
	if err != nil {
		if errors.Is(err, spool.ErrClosed) {
			return nil, pool.ErrClosed
		}
		return nil, err
	}
	return v.(*conn), nil
}

// Put hands c to the longest waiting Get, keeps it idle, or closes it when
// MaxIdle are idle. Only the type is checked.
func (p *Pool) Put(c net.Conn) error {
	cc, ok := c.(*conn)
	if !ok {
		return pool.ErrForeignConn
	}
	return p.lib.Put(cc)
}

// Discard closes c and gives back its slot (the library's Close(conn)).
func (p *Pool) Discard(c net.Conn) error {
	cc, ok := c.(*conn)
	if !ok {
		return pool.ErrForeignConn
	}
	return p.lib.Close(cc)
}

// Close closes the pool and its idle conns (the library's Release).
func (p *Pool) Close() error {
	p.lib.Release()
	return nil
}

// Stats reports the idle count (Len); the library keeps no other counter.
func (p *Pool) Stats() pool.Stats {
	return pool.Stats{Idle: p.lib.Len()}
}

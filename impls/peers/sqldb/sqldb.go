// Package sqldb adapts database/sql's connection pool, the most used pool in
// Go, to pool.Pool: a driver.Connector whose driver conns wrap the net.Conn
// that Config.Dial opens, reached with DB.Conn and Conn.Raw. The conformance
// suite and the benchmarks then run the standard library's pool next to
// poolbench's designs.
//
// The adapter maps the API and adds no behaviour of its own:
//
//   - MaxConns, MaxIdle, IdleTimeout and MaxLifetime are SetMaxOpenConns,
//     SetMaxIdleConns, SetConnMaxIdleTime and SetConnMaxLifetime. The
//     library closes expired conns on Get and from its own cleaner goroutine.
//   - Get is DB.Conn(ctx). Waiters queue in a map, so they are served in no
//     particular order (golang/go#31708): the pool declares no FIFO.
//   - The handle a caller holds does its reads and writes inside Conn.Raw,
//     the only place database/sql lets a caller touch the driver conn.
//   - Put is Conn.Close; a second one returns sql.ErrConnDone, mapped to
//     pool.ErrNotHeld. Discard returns driver.ErrBadConn from Raw, which makes
//     the library close the conn, then closes the Conn.
//   - The dead-peer check is the driver's: database/sql calls the driver
//     conn's ResetSession before reusing it and drops the conn on
//     driver.ErrBadConn. This driver's ResetSession is poolbench's socket
//     peek (the same one its designs use), so the DeadPeer verdict depends
//     on a check the caller supplies (Caps.CallerCheck), as it does for every
//     real driver.
//   - DB.Stats has no dial or reuse counters, so Stats reports the gauges
//     and wait counters only (Caps.Stats false).
package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// Library is the pool under test.
const Library = "database/sql (Go standard library)"

// Advice is what the verdicts mean for a caller.
const Advice = "correct on everything it declares, but waiters are served in random order (a long wait tail under overload), " +
	"a conn idle up to 2x SetConnMaxIdleTime is still handed out, and dead peers are caught only by your driver's ResetSession"

// Caps is what database/sql's pool can express.
var Caps = pool.Capabilities{
	MaxIdle: true, IdleTimeout: true, MaxLifetime: true,
	Reaper: true, // the connection cleaner goroutine
	// FIFO: waiters are kept in a map and served in random order.
	DialCtx:   true, // Connect gets DB.Conn's ctx and runs on the caller's goroutine
	DoublePut: pool.ReturnsError,
	StalePut:  pool.ReturnsError, // each Get is a new *sql.Conn; an old one is done for good
	// Stats: no dial, reuse or expiry counters.
	CallerCheck: "the driver's ResetSession hook, filled with poolbench's socket peek",
}

// errDeadPeer is the driver's verdict on an idle conn whose peer closed it.
var errDeadPeer = fmt.Errorf("sqldb driver: idle conn's peer closed it: %w", driver.ErrBadConn)

// errDBClosed is what database/sql returns after DB.Close; the library does
// not export it, so the adapter recognises it by its text.
const errDBClosed = "sql: database is closed"

// Pool is a *sql.DB behind the pool.Pool interface.
type Pool struct {
	db *sql.DB
}

// New opens a *sql.DB on a connector that dials with cfg.Dial and applies
// cfg's limits with the DB's setters.
func New(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector{cfg: cfg})
	db.SetMaxOpenConns(cfg.MaxConns)
	db.SetMaxIdleConns(cfg.MaxIdle)
	db.SetConnMaxIdleTime(cfg.IdleTimeout)
	db.SetConnMaxLifetime(cfg.MaxLifetime)
	return &Pool{db: db}, nil
}

// Get is DB.Conn: an idle conn, a new one, or a wait for one while ctx lasts.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	sc, err := p.db.Conn(ctx)
	if err != nil {
		if err.Error() == errDBClosed {
			return nil, fmt.Errorf("%w (%v)", pool.ErrClosed, err)
		}
		return nil, err
	}
	c := &conn{sc: sc, owner: p}
	if err := sc.Raw(func(dc any) error { c.raw = dc.(*driverConn).nc; return nil }); err != nil {
		sc.Close()
		return nil, err
	}
	return c, nil
}

// Put is Conn.Close, which hands the driver conn back to the DB.
func (p *Pool) Put(c net.Conn) error {
	h, err := p.handle(c)
	if err != nil {
		return err
	}
	return notHeld(h.sc.Close())
}

// Discard makes the DB drop the driver conn (driver.ErrBadConn from Raw),
// then closes the Conn.
func (p *Pool) Discard(c net.Conn) error {
	h, err := p.handle(c)
	if err != nil {
		return err
	}
	err = h.sc.Raw(func(any) error { return driver.ErrBadConn })
	if !errors.Is(err, driver.ErrBadConn) {
		return notHeld(err)
	}
	h.sc.Close() // already done: Raw released the conn as bad
	return nil
}

// Close is DB.Close.
func (p *Pool) Close() error { return p.db.Close() }

// Stats maps DB.Stats: the gauges and the wait counters.
func (p *Pool) Stats() pool.Stats {
	s := p.db.Stats()
	return pool.Stats{
		Open: s.OpenConnections, Idle: s.Idle, InUse: s.InUse,
		Waits: uint64(s.WaitCount), WaitTime: s.WaitDuration,
		IdleTimeoutClosed: uint64(s.MaxIdleTimeClosed), MaxLifetimeClosed: uint64(s.MaxLifetimeClosed),
		MaxIdleClosed: uint64(s.MaxIdleClosed),
	}
}

// handle checks that c was handed out by p.
func (p *Pool) handle(c net.Conn) (*conn, error) {
	h, ok := c.(*conn)
	if !ok || h == nil || h.owner != p {
		return nil, pool.ErrForeignConn
	}
	return h, nil
}

// notHeld maps sql.ErrConnDone, the library's word for a Conn already
// returned, to pool.ErrNotHeld.
func notHeld(err error) error {
	if errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("%w (%v)", pool.ErrNotHeld, err)
	}
	return err
}

// conn is the handle a caller holds: one *sql.Conn, whose reads and writes go
// through Raw.
type conn struct {
	sc    *sql.Conn
	owner *Pool
	raw   net.Conn // the dialed conn: for its addresses and Unwrap only
}

func (c *conn) Read(b []byte) (n int, err error) {
	if rerr := c.sc.Raw(func(any) error { n, err = c.raw.Read(b); return nil }); rerr != nil {
		return 0, rerr
	}
	return n, err
}

func (c *conn) Write(b []byte) (n int, err error) {
	if rerr := c.sc.Raw(func(any) error { n, err = c.raw.Write(b); return nil }); rerr != nil {
		return 0, rerr
	}
	return n, err
}

func (c *conn) SetDeadline(t time.Time) error {
	return c.withRaw(func(nc net.Conn) error { return nc.SetDeadline(t) })
}

func (c *conn) SetReadDeadline(t time.Time) error {
	return c.withRaw(func(nc net.Conn) error { return nc.SetReadDeadline(t) })
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	return c.withRaw(func(nc net.Conn) error { return nc.SetWriteDeadline(t) })
}

// withRaw runs f on the dialed conn inside Raw.
func (c *conn) withRaw(f func(net.Conn) error) error {
	var err error
	if rerr := c.sc.Raw(func(any) error { err = f(c.raw); return nil }); rerr != nil {
		return rerr
	}
	return err
}

func (c *conn) LocalAddr() net.Addr  { return c.raw.LocalAddr() }
func (c *conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// Close is Discard, as pool.Pool asks of a handle closed directly.
func (c *conn) Close() error { return c.owner.Discard(c) }

// Unwrap returns the dialed conn, so the suite can tell conns apart.
func (c *conn) Unwrap() net.Conn { return c.raw }

// Package pool is the contract every poolbench connection pool implements:
// the Pool interface, its Config, its Stats and the sentinel errors callers
// test with errors.Is. It holds no implementation; designs live in sibling
// folders (mutexlist, chanpool, ring, shard, puddle, peers) and are checked against
// this contract by the conformance suite in pool/pooltest.
package pool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Pool hands out network connections for reuse.
//
// Every conn returned by Get must be given back exactly once, with Put when it
// is still good or with Discard when it is broken. Closing a handed-out conn
// directly is the same as Discard. All methods are safe for concurrent use.
type Pool interface {
	// Get returns an idle conn, or dials a new one when fewer than MaxConns are
	// open or dialing. When MaxConns are open it waits, first-in first-out,
	// until a conn is returned or freed or ctx ends; in the last case it
	// returns an error that wraps ctx.Err(). After Close it returns ErrClosed.
	Get(ctx context.Context) (net.Conn, error)

	// Put returns a conn for reuse. It hands the conn to the longest waiting
	// Get if there is one, keeps it idle if fewer than MaxIdle are idle, and
	// closes it otherwise. A conn not handed out by this pool is rejected
	// with ErrForeignConn; a second Put of the same hand-out with ErrNotHeld.
	Put(c net.Conn) error

	// Discard closes a broken conn and frees its slot, so a waiting Get may dial.
	// It rejects misuse with the same errors as Put.
	Discard(c net.Conn) error

	// Close closes every idle conn and wakes waiters with ErrClosed. Conns
	// still held are closed when they are returned. Close is idempotent.
	Close() error

	// Stats returns a snapshot of the pool's counters.
	Stats() Stats
}

// Config configures a Pool. The zero value of every optional field means "no
// limit" or "the default", as documented on the field.
type Config struct {
	// Dial opens a new conn. It is called outside every lock of the pool and
	// should honour ctx. Required.
	Dial func(ctx context.Context) (net.Conn, error)

	// MaxConns caps the conns that are open or being dialed. Required, > 0.
	MaxConns int

	// MaxIdle caps the idle conns kept for reuse; 0 means MaxConns.
	MaxIdle int

	// IdleTimeout closes a conn that has been idle longer than this; Get then
	// dials a fresh one instead of handing out the stale conn. 0 means never.
	IdleTimeout time.Duration

	// MaxLifetime closes a conn older than this instead of handing it out or
	// keeping it idle. 0 means no limit.
	MaxLifetime time.Duration

	// NoAliveCheck turns off the non-blocking peek that Get does on an idle
	// kernel socket to skip conns whose peer has closed them. The peek costs
	// one syscall per reuse; turn it off only when the protocol detects dead
	// conns on its own.
	NoAliveCheck bool
}

// Validate reports the first invalid field of c as an error wrapping
// ErrInvalidConfig and naming the field.
func (c Config) Validate() error {
	switch {
	case c.Dial == nil:
		return fmt.Errorf("%w: Dial is nil", ErrInvalidConfig)
	case c.MaxConns <= 0:
		return fmt.Errorf("%w: MaxConns is %d, want > 0", ErrInvalidConfig, c.MaxConns)
	case c.MaxIdle < 0:
		return fmt.Errorf("%w: MaxIdle is %d, want >= 0", ErrInvalidConfig, c.MaxIdle)
	case c.MaxIdle > c.MaxConns:
		return fmt.Errorf("%w: MaxIdle %d exceeds MaxConns %d", ErrInvalidConfig, c.MaxIdle, c.MaxConns)
	case c.IdleTimeout < 0:
		return fmt.Errorf("%w: IdleTimeout is %v, want >= 0", ErrInvalidConfig, c.IdleTimeout)
	case c.MaxLifetime < 0:
		return fmt.Errorf("%w: MaxLifetime is %v, want >= 0", ErrInvalidConfig, c.MaxLifetime)
	}
	return nil
}

// Normalized validates c and returns it with defaults filled in (MaxIdle 0
// becomes MaxConns). Constructors call it first.
func (c Config) Normalized() (Config, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	if c.MaxIdle == 0 {
		c.MaxIdle = c.MaxConns
	}
	return c, nil
}

// Sentinel errors, for errors.Is.
var (
	// ErrClosed is returned by Get after Close, and to waiters woken by Close.
	ErrClosed = errors.New("pool: closed")
	// ErrInvalidConfig is wrapped by every constructor error about Config.
	ErrInvalidConfig = errors.New("pool: invalid config")
	// ErrForeignConn is returned by Put and Discard for a conn this pool did
	// not hand out.
	ErrForeignConn = errors.New("pool: conn was not handed out by this pool")
	// ErrNotHeld is returned by Put and Discard for a hand-out that was
	// already returned: a double Put, or a stale Put after the conn was handed
	// to someone else. The current holder is not affected.
	ErrNotHeld = errors.New("pool: conn is not held by the caller (double or stale Put)")
	// ErrUnsupported is wrapped, with ErrInvalidConfig, by a constructor
	// given a Config field the pool cannot honour (see Capabilities.Check):
	// a pool refuses such a Config instead of silently ignoring the field.
	ErrUnsupported = errors.New("pool: config field not supported by this pool")
)

// unsupported is the constructor error for a Config field the pool cannot honour.
func unsupported(field string, value any) error {
	return fmt.Errorf("%w: %w: %s is %v", ErrInvalidConfig, ErrUnsupported, field, value)
}

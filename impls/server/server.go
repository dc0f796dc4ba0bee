// Package server is the contract for poolbench's echo servers: how a design
// is started, stopped and observed. Designs live in impls/servers/NAME and
// are checked by impls/server/servertest.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Protocol is what a server speaks on the wire.
type Protocol string

const (
	// Echo is raw TCP: every byte received is sent back, in order.
	Echo Protocol = "echo"
	// HTTP is HTTP/1.1: a POST's body is echoed as a 200 response body.
	HTTP Protocol = "http"
)

// Config configures a server. Loops is required so that every design runs
// with a stated number of event loops (or acceptor goroutines), never a
// library default, and results can record it.
type Config struct {
	// Addr to listen on; "" means 127.0.0.1:0.
	Addr string
	// Loops is the number of event loops; for goroutine-per-conn designs it
	// is recorded but only bounds GOMAXPROCS-independent work. Required, > 0.
	Loops int
	// MaxConns caps concurrently open conns; more are closed on accept.
	// 0 means no limit.
	MaxConns int
	// ReadBufferSize is the per-read buffer in bytes; 0 means 16 KiB.
	ReadBufferSize int
}

// DefaultReadBufferSize is the read buffer used when Config leaves it 0.
const DefaultReadBufferSize = 16 << 10

// Normalized validates c and fills in defaults.
func (c Config) Normalized() (Config, error) {
	switch {
	case c.Loops <= 0:
		return c, fmt.Errorf("%w: Loops is %d, want > 0", ErrInvalidConfig, c.Loops)
	case c.MaxConns < 0:
		return c, fmt.Errorf("%w: MaxConns is %d, want >= 0", ErrInvalidConfig, c.MaxConns)
	case c.ReadBufferSize < 0:
		return c, fmt.Errorf("%w: ReadBufferSize is %d, want >= 0", ErrInvalidConfig, c.ReadBufferSize)
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.ReadBufferSize == 0 {
		c.ReadBufferSize = DefaultReadBufferSize
	}
	return c, nil
}

// Server is a running echo server.
type Server interface {
	// Addr is the address the server is bound to.
	Addr() net.Addr
	// Shutdown stops accepting, closes every conn and returns when all of the
	// server's goroutines have ended, or with ctx's error when ctx ends first.
	Shutdown(ctx context.Context) error
	// Stats returns a snapshot of the server's counters.
	Stats() Stats
}

// Stats counts what a server has done.
type Stats struct {
	Accepted uint64 // conns accepted since start
	Rejected uint64 // conns closed at accept for MaxConns
	Active   int64  // conns open now
	BytesIn  uint64 // payload bytes read
	BytesOut uint64 // payload bytes written
}

// ErrInvalidConfig is wrapped by every error about Config.
var ErrInvalidConfig = errors.New("server: invalid config")

// Package server is the contract for poolbench's echo servers: how a design
// is started, stopped and observed, and the mechanics every design shares
// to meet it (Counters, AcceptBackoff, Stop). Designs live in
// impls/servers/NAME and are checked by impls/server/servertest; this
// package must not know any of them, or the libraries they are built on.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
)

// Protocol is what a server speaks on the wire.
type Protocol string

const (
	// Echo is raw TCP: every byte received is sent back, in order.
	Echo Protocol = "echo"
	// HTTP is HTTP/1.1: a POST's body is echoed as a 200 response body.
	HTTP Protocol = "http"
	// UDP is datagrams: each one is sent back to its sender as one datagram
	// with the same bytes. There are no conns; a lost datagram stays lost.
	UDP Protocol = "udp"
)

// MaxDatagram is the largest UDP payload over IPv4: 65535 bytes of IP
// packet less the IP (20) and UDP (8) headers. A larger write fails at the
// sender (EMSGSIZE).
const MaxDatagram = 65507

// Config configures a server. Loops is required so that every design runs
// with a stated number of event loops (or accept loops), never a library
// default, and results can record it.
type Config struct {
	// Addr to listen on; "" means 127.0.0.1:0.
	Addr string
	// Loops is the number of event loops for event-loop designs, and the
	// number of goroutines calling Accept on the one listener for
	// goroutine-per-conn designs. Each design's doc says what it maps to.
	// Required, > 0.
	Loops int
	// MaxConns caps concurrently open conns: a conn accepted while MaxConns
	// are open is closed at once and counted in Stats.Rejected.
	// 0 means no limit.
	MaxConns int
	// ReadBufferSize is the per-read buffer in bytes; 0 means 16 KiB.
	// Designs whose library rounds it (gnet: a power of two) say so.
	ReadBufferSize int
	// CloseAfter makes the server close each conn itself, first, once it
	// has echoed that many bytes on it, as an HTTP/1.0 server closes after
	// its response: the TIME_WAIT socket (and its 60s) then lands on the
	// server's side instead of the client's. 0 means never: the client
	// closes. Only designs that call NormalizedClosesFirst honour it; the
	// others refuse it (Normalized).
	CloseAfter int
}

// DefaultReadBufferSize is the read buffer used when Config leaves it 0.
const DefaultReadBufferSize = 16 << 10

// MaxLoops bounds Config.Loops: 64 loops per CPU. More event loops than
// that only add scheduling (each is a goroutine, often locked to a thread,
// with its own poller); 100,000 of them is a typo, not a design point.
func MaxLoops() int { return 64 * runtime.NumCPU() }

// MaxReadBufferSize bounds Config.ReadBufferSize: each conn holds one, and
// an echo benchmark's messages are at most 1 MiB.
const MaxReadBufferSize = 16 << 20

// Normalized validates c and fills in defaults. It refuses CloseAfter
// (ErrUnsupported): a design that cannot close first calls it, so that it
// is never silently given a setting it would ignore.
func (c Config) Normalized() (Config, error) {
	if c.CloseAfter != 0 {
		return c, fmt.Errorf("%w: CloseAfter is %d, but this design cannot close a conn first", ErrUnsupported, c.CloseAfter)
	}
	return c.normalized()
}

// NormalizedClosesFirst is Normalized for a design that honours CloseAfter.
func (c Config) NormalizedClosesFirst() (Config, error) {
	if c.CloseAfter < 0 {
		return c, fmt.Errorf("%w: CloseAfter is %d, want >= 0", ErrInvalidConfig, c.CloseAfter)
	}
	return c.normalized()
}

func (c Config) normalized() (Config, error) {
	switch {
	case c.Loops <= 0:
		return c, fmt.Errorf("%w: Loops is %d, want > 0", ErrInvalidConfig, c.Loops)
	case c.MaxConns < 0:
		return c, fmt.Errorf("%w: MaxConns is %d, want >= 0", ErrInvalidConfig, c.MaxConns)
	case c.Loops > MaxLoops():
		return c, fmt.Errorf("%w: Loops is %d, want at most %d (64 per CPU)", ErrInvalidConfig, c.Loops, MaxLoops())
	case c.ReadBufferSize < 0 || c.ReadBufferSize > MaxReadBufferSize:
		return c, fmt.Errorf("%w: ReadBufferSize is %d, want 0 to %d", ErrInvalidConfig, c.ReadBufferSize, MaxReadBufferSize)
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.ReadBufferSize == 0 {
		c.ReadBufferSize = DefaultReadBufferSize
	}
	return c, nil
}

// Server is a running echo server, started by a design's Start function
// (func(Config) (Server, error)), which returns once the server is bound
// and accepting. A busy address is an error shaped like net.Listen's:
// "listen tcp 127.0.0.1:NNNN: bind: address already in use".
type Server interface {
	// Addr is the address the server is bound to (the real port when
	// Config.Addr asked for port 0).
	Addr() net.Addr
	// Shutdown stops accepting, closes every conn and returns nil when all
	// of the server's goroutines have ended, or ctx's error when ctx ends
	// first. Calling it again is safe.
	Shutdown(ctx context.Context) error
	// Stats returns a snapshot of the server's counters; safe to call
	// concurrently with traffic.
	Stats() Stats
}

// Stats counts what a server has done. Accepted + Rejected is the number of
// conns the server accepted from the kernel.
type Stats struct {
	Accepted uint64 // conns admitted and served since start
	Rejected uint64 // conns closed at accept because MaxConns were open
	Active   int64  // admitted conns not yet closed
	// BytesIn is bytes read from conns; BytesOut is bytes written to conns
	// or queued for writing. For Echo they count payload, for HTTP the whole
	// messages (request and response lines, headers and bodies).
	BytesIn  uint64
	BytesOut uint64
}

// ErrInvalidConfig is wrapped by every error about Config.
var ErrInvalidConfig = errors.New("server: invalid config")

// ErrUnsupported is wrapped by the error of a design given a Config
// setting it cannot honour (CloseAfter, for a design that cannot close
// first).
var ErrUnsupported = errors.New("server: unsupported config")

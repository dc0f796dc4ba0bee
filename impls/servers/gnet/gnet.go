// Package gnet is the echo server on the github.com/panjf2000/gnet/v2 event
// loop (epoll): a few loops serve every conn, with no goroutine per conn.
//
// Config maps onto gnet as follows:
//   - Loops is gnet's NumEventLoop (with Multicore on): that many I/O event
//     loops, each a goroutine with its own epoll. With ReusePort off, gnet
//     adds one main reactor goroutine that accepts and hands conns to the
//     loops round-robin.
//   - ReadBufferSize is gnet's ReadBufferCap (the loop's read buffer) and
//     WriteBufferCap; gnet rounds both up to a power of two, at least 1 KiB.
//   - MaxConns is checked in OnOpen; a conn over the limit is closed there.
//
// Backpressure: gnet reads every readable conn, and its Write buffers what
// the socket does not take, without bound. gnet has no call to pause
// reading a conn, so a conn whose unsent echo exceeds OutboundCap is closed
// instead: a client that does not read its echo costs the server at most
// OutboundCap plus one read.
//
// Half-close: on the client's FIN gnet closes the conn after one
// non-blocking attempt to send the rest of its outbound buffer, dropping
// what the socket does not take. OnClose therefore switches such a conn to
// blocking writes bounded by HalfCloseFlushTimeout, so gnet's final flush
// sends the whole echo. That flush blocks the conn's loop, for at most
// HalfCloseFlushTimeout per write that makes no progress.
package gnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	gnetv2 "github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/poolbench/poolbench/impls/server"
)

// OutboundCap is the most unsent echo a conn may have before it is closed:
// above the kernel's own send buffer (tcp_wmem max, 4 MiB by default), so
// a client may have that much in flight and still get it all.
const OutboundCap = 8 << 20

// HalfCloseFlushTimeout bounds each blocking write of the final flush after
// a client's half-close.
const HalfCloseFlushTimeout = time.Second

// Server is a running gnet echo server.
type Server struct {
	cfg      server.Config
	counters server.Counters
	// eng, lnFD and addr are set in OnBoot, before Start returns.
	eng gnetv2.Engine
	// lnFD is a dup of the listening socket, taken on gnet's goroutine at
	// boot (gnet's own Dup races with its close of the listener) and closed
	// when gnet.Run returns.
	lnFD int
	addr net.Addr

	shutdownOnce sync.Once
	quiet        atomic.Bool   // set by Shutdown: gnet's logs are then expected noise
	done         chan struct{} // closed when gnet.Run has returned
	runErr       error         // gnet.Run's result; read after done is closed
}

// Start binds cfg.Addr and runs gnet with cfg.Loops event loops.
func Start(cfg server.Config) (server.Server, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, done: make(chan struct{})}
	h := &handler{s: s, booted: make(chan error, 1)}
	go func() {
		defer close(s.done)
		defer func() {
			if s.addr != nil {
				_ = unix.Close(s.lnFD)
			}
		}()
		s.runErr = gnetv2.Run(h, "tcp://"+cfg.Addr,
			gnetv2.WithMulticore(true),
			gnetv2.WithNumEventLoop(cfg.Loops),
			gnetv2.WithLoadBalancing(gnetv2.RoundRobin),
			gnetv2.WithReadBufferCap(cfg.ReadBufferSize),
			gnetv2.WithWriteBufferCap(cfg.ReadBufferSize),
			gnetv2.WithReuseAddr(true), // as net.Listen does
			gnetv2.WithReusePort(false),
			gnetv2.WithTCPNoDelay(gnetv2.TCPNoDelay),
			gnetv2.WithLogger(logger{log.New(os.Stderr, "gnet: ", log.LstdFlags), &s.quiet}),
		)
	}()
	select {
	case err := <-h.booted:
		if err != nil {
			<-s.done // OnBoot asked gnet to shut down; Run returns at once
			return nil, err
		}
		return s, nil
	case <-s.done:
		// gnet reports a busy port as "bind: address already in use";
		// give it net.Listen's shape.
		return nil, &net.OpError{Op: "listen", Net: "tcp", Addr: tcpAddr(cfg.Addr), Err: s.runErr}
	}
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.addr }

// Stats returns the server's counters.
func (s *Server) Stats() server.Stats { return s.counters.Snapshot() }

// Shutdown stops accepting, then lets gnet stop, which closes every conn,
// and waits for gnet.Run to return: by then every loop has ended.
//
// Engine.Stop alone can strand a conn: the main reactor hands an accepted
// conn to a loop as a task, and a loop that takes its stop task first
// drops it, leaving the socket open forever. So Shutdown first shuts the
// listening socket down: the kernel stops accepting, the main reactor's
// next accept fails, and the reactor stops the engine itself, after every
// conn it accepted was queued ahead of the loops' stop tasks.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		s.quiet.Store(true) // the reactor logs the accept error we cause
		if err := s.stopAccepting(); err != nil {
			s.stopEngine() // no way to stop the reactor first; stop anyway
		}
	})
	select {
	case <-s.done:
		return s.runErr
	case <-ctx.Done():
		s.stopEngine()
		return ctx.Err()
	}
}

// stopAccepting shuts the listening socket down (through the dup: the
// socket is shared), which wakes the main reactor with a failing accept.
func (s *Server) stopAccepting() error {
	return unix.Shutdown(s.lnFD, unix.SHUT_RD)
}

// stopEngine asks gnet to stop without waiting: Engine.Stop polls for the
// end every 500ms, but with an ended ctx it only starts the shutdown, and
// s.done reports the end.
func (s *Server) stopEngine() {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.eng.Stop(ended)
}

// handler is the gnet event handler.
type handler struct {
	gnetv2.BuiltinEventEngine
	s      *Server
	booted chan error // gets OnBoot's outcome
}

// admitted marks, as the conn's context, a conn counted as open.
var admitted = new(struct{})

// OnBoot records the engine, a dup of the listener and the real bound
// address.
func (h *handler) OnBoot(eng gnetv2.Engine) gnetv2.Action {
	h.s.eng = eng
	fd, err := eng.Dup()
	if err != nil {
		h.booted <- fmt.Errorf("gnet: dup listener: %w", err)
		return gnetv2.Shutdown
	}
	addr, err := boundAddr(fd)
	if err != nil {
		_ = unix.Close(fd)
		h.booted <- err
		return gnetv2.Shutdown
	}
	h.s.lnFD, h.s.addr = fd, addr
	h.booted <- nil
	return gnetv2.None
}

// boundAddr asks the kernel which address the listener got.
func boundAddr(fd int) (net.Addr, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, fmt.Errorf("gnet: getsockname: %w", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(sa.Addr[:]).To16(), Port: sa.Port}, nil
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(sa.Addr[:]), Port: sa.Port}, nil
	}
	return nil, fmt.Errorf("gnet: listener bound to %T", sa)
}

// OnOpen admits the conn under MaxConns or closes it.
func (h *handler) OnOpen(c gnetv2.Conn) ([]byte, gnetv2.Action) {
	if !h.s.counters.Admit(h.s.cfg.MaxConns) {
		return nil, gnetv2.Close
	}
	c.SetContext(admitted)
	return nil, gnetv2.None
}

// OnTraffic echoes what arrived, and closes a conn whose client lets its
// echo pile up beyond OutboundCap.
func (h *handler) OnTraffic(c gnetv2.Conn) gnetv2.Action {
	buf, _ := c.Next(-1)
	h.s.counters.In(len(buf))
	if _, err := c.Write(buf); err != nil {
		return gnetv2.Close // gnet has closed it already
	}
	h.s.counters.Out(len(buf))
	if c.OutboundBuffered() > OutboundCap {
		return gnetv2.Close
	}
	return gnetv2.None
}

// OnClose frees the conn's slot and, after the client's half-close, makes
// gnet's final flush blocking so that no echo is dropped.
func (h *handler) OnClose(c gnetv2.Conn, err error) gnetv2.Action {
	if c.Context() != admitted {
		return gnetv2.None
	}
	h.s.counters.Closed()
	if errors.Is(err, io.EOF) && c.OutboundBuffered() > 0 {
		fd := c.Fd()
		tv := unix.NsecToTimeval(HalfCloseFlushTimeout.Nanoseconds())
		if unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv) == nil {
			_ = unix.SetNonblock(fd, false)
		}
	}
	return gnetv2.None
}

// tcpAddr resolves addr for an error message, or returns nil.
func tcpAddr(addr string) net.Addr {
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil
	}
	return a
}

// logger sends gnet's warnings and errors to stderr, never to stdout
// (gnet's default), which `poolbench serve` keeps for the bound address.
// It is silent once quiet is set.
type logger struct {
	l     *log.Logger
	quiet *atomic.Bool
}

func (logger) Debugf(string, ...any)            {}
func (logger) Infof(string, ...any)             {}
func (g logger) Warnf(format string, a ...any)  { g.printf("warn: "+format, a...) }
func (g logger) Errorf(format string, a ...any) { g.printf("error: "+format, a...) }
func (g logger) Fatalf(format string, a ...any) { g.printf("fatal: "+format, a...) }

func (g logger) printf(format string, a ...any) {
	if !g.quiet.Load() {
		g.l.Printf(format, a...)
	}
}

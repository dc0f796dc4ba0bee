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
//
// Failed accepts: gnet stops its whole engine, closing every conn, when an
// accept fails with anything but EAGAIN, EINTR, ECONNRESET or ECONNABORTED
// (out of fds: EMFILE). The server then starts a new engine on the same
// address after a pause (server.AcceptBackoff); conns open at that moment
// are lost, and conns arriving meanwhile are refused.
package gnet

import (
	"context"
	"errors"
	"fmt"
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
	addr     net.Addr // bound by the first engine; later ones reuse it
	quiet    atomic.Bool

	mu sync.Mutex
	// cur is the engine running now, or the last one. Guarded by mu.
	cur *engine
	// stopping is set by Shutdown. Guarded by mu.
	stopping bool

	shutdownOnce sync.Once
	stop         chan struct{} // closed by Shutdown
	done         chan struct{} // closed when the last engine has ended
	runErr       error         // the last gnet.Run's result; read after done
}

// engine is one gnet.Run.
type engine struct {
	eng  gnetv2.Engine // set in OnBoot
	addr net.Addr      // set in OnBoot
	// lnFD is a dup of the listening socket, taken in OnBoot on gnet's
	// goroutine (gnet's own Dup races with its close of the listener) and
	// closed when gnet.Run returns; open says it is. Guarded by Server.mu.
	lnFD   int
	open   bool
	booted chan error    // gets OnBoot's outcome
	done   chan struct{} // closed when gnet.Run has returned
	err    error         // gnet.Run's result; read after done
	start  time.Time
}

// Start binds cfg.Addr and runs gnet with cfg.Loops event loops.
func Start(cfg server.Config) (server.Server, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, stop: make(chan struct{}), done: make(chan struct{})}
	e, err := s.launch(cfg.Addr)
	if err != nil {
		return nil, err
	}
	s.addr, s.cur = e.addr, e
	go s.supervise(e)
	return s, nil
}

// launch runs gnet on addr and returns once it has booted.
func (s *Server) launch(addr string) (*engine, error) {
	e := &engine{booted: make(chan error, 1), done: make(chan struct{}), start: time.Now()}
	go func() {
		defer close(e.done)
		e.err = gnetv2.Run(&handler{s: s, e: e}, "tcp://"+addr,
			gnetv2.WithMulticore(true),
			gnetv2.WithNumEventLoop(s.cfg.Loops),
			gnetv2.WithLoadBalancing(gnetv2.RoundRobin),
			gnetv2.WithReadBufferCap(s.cfg.ReadBufferSize),
			gnetv2.WithWriteBufferCap(s.cfg.ReadBufferSize),
			gnetv2.WithReuseAddr(true), // as net.Listen does
			gnetv2.WithReusePort(false),
			gnetv2.WithTCPNoDelay(gnetv2.TCPNoDelay),
			gnetv2.WithLogger(logger{log.New(os.Stderr, "gnet: ", log.LstdFlags), &s.quiet}),
		)
		s.mu.Lock()
		if e.open {
			_ = unix.Close(e.lnFD)
			e.open = false
		}
		s.mu.Unlock()
	}()
	select {
	case err := <-e.booted:
		if err != nil {
			<-e.done // OnBoot asked gnet to shut down; Run returns at once
			return nil, err
		}
		return e, nil
	case <-e.done:
		// gnet reports a busy port as "bind: address already in use";
		// give it net.Listen's shape.
		return nil, &net.OpError{Op: "listen", Net: "tcp", Addr: tcpAddr(addr), Err: e.err}
	}
}

// errEngineStopped is what the server logs when gnet stopped by itself.
var errEngineStopped = errors.New("gnet stopped its engine after a failed accept; starting a new one")

// supervise waits for the engine to end and, unless Shutdown ended it,
// starts a new one on the same address.
func (s *Server) supervise(e *engine) {
	defer close(s.done)
	var backoff server.AcceptBackoff
	for {
		<-e.done
		s.mu.Lock()
		stopping := s.stopping
		s.mu.Unlock()
		if stopping {
			s.runErr = e.err
			return
		}
		if time.Since(e.start) > time.Second {
			backoff.Reset() // it served a while: not a restart loop
		}
		why := errEngineStopped
		for {
			if !backoff.Wait(why, s.stop) {
				return
			}
			next, err := s.launch(s.addr.String())
			if err != nil {
				why = fmt.Errorf("restart gnet: %w", err)
				continue
			}
			s.mu.Lock()
			s.cur = next
			stopping := s.stopping
			s.mu.Unlock()
			if stopping { // Shutdown came while it booted
				s.end(next)
			}
			e = next
			break
		}
	}
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.addr }

// Stats returns the server's counters.
func (s *Server) Stats() server.Stats { return s.counters.Snapshot() }

// Shutdown stops accepting, then lets gnet stop, which closes every conn,
// and waits for gnet.Run to return: by then every loop has ended.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		s.quiet.Store(true) // the reactor logs the accept error we cause
		s.mu.Lock()
		s.stopping = true
		close(s.stop)
		e := s.cur
		s.mu.Unlock()
		s.end(e)
	})
	select {
	case <-s.done:
		return s.runErr
	case <-ctx.Done():
		return ctx.Err() // the shutdown goes on; a later call waits for it
	}
}

// end stops engine e without stranding a conn.
//
// Engine.Stop alone can strand one: the main reactor hands an accepted
// conn to a loop as a task, and a loop that takes its stop task first
// drops it, leaving the socket open forever. So end first shuts the
// listening socket down (through the dup: the socket is shared): the
// kernel stops accepting, the main reactor's next accept fails, and the
// reactor stops the engine itself, after every conn it accepted was queued
// ahead of the loops' stop tasks.
func (s *Server) end(e *engine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.open && unix.Shutdown(e.lnFD, unix.SHUT_RD) == nil {
		return
	}
	stopEngine(e) // no way to stop the reactor first; stop anyway
}

// stopEngine asks gnet to stop without waiting: Engine.Stop polls for the
// end every 500ms, but with an ended ctx it only starts the shutdown, and
// the engine's done channel reports the end.
func stopEngine(e *engine) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	_ = e.eng.Stop(ended)
}

// Package nbio is the echo server on the github.com/lesismal/nbio event loop
// (epoll, level-triggered): a few pollers serve every conn, with no
// goroutine per conn.
//
// Config maps onto nbio as follows:
//   - Loops is nbio's NPoller: that many I/O poller goroutines, each with
//     its own epoll. nbio adds one acceptor goroutine for the listener.
//   - ReadBufferSize is nbio's ReadBufferSize, the poller's read buffer.
//   - MaxConns is checked at accept, before nbio takes the conn.
//
// Backpressure: nbio's Write keeps what the socket does not take, and
// closes the conn when that exceeds MaxWriteBufferSize, which is set to
// MaxWriteBuffer: a client that does not read its echo is closed once
// MaxWriteBuffer of it is pending. The design keeps its own copy of those
// pending bytes (see below), so such a conn costs at most twice
// MaxWriteBuffer plus one read.
//
// Half-close: nbio closes a conn as soon as epoll reports EPOLLRDHUP (the
// client's FIN) and frees its pending writes, so echo still owed would be
// lost. The design therefore reads conns itself (OnRead): on EOF it writes
// the pending bytes, which it mirrors as nbio reports what it wrote
// (OnWrittenSize), with blocking waits bounded by HalfCloseFlushTimeout,
// and only then closes. That flush holds the conn's poller, for at most
// HalfCloseFlushTimeout per write that makes no progress.
package nbio

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	nb "github.com/lesismal/nbio"
	nblog "github.com/lesismal/nbio/logging"

	"github.com/poolbench/poolbench/impls/server"
)

// MaxWriteBuffer is nbio's MaxWriteBufferSize: the most unsent echo a conn
// may have before nbio closes it; above the kernel's own send buffer
// (tcp_wmem max, 4 MiB by default), so a client may have that much in
// flight and still get it all.
const MaxWriteBuffer = 8 << 20

// HalfCloseFlushTimeout bounds each wait of the final flush after a
// client's half-close.
const HalfCloseFlushTimeout = time.Second

// readsPerEvent is how many reads a conn gets per readable event before the
// poller moves on to other conns (level-triggered epoll reports it again),
// unless the client has half-closed: then nbio would close the conn right
// after this read handler, so it reads to EOF.
const readsPerEvent = 8

func init() {
	// nbio logs to stdout by default; `poolbench serve` keeps stdout for
	// the bound address.
	nblog.Output = os.Stderr
	nblog.SetLevel(nblog.LevelError)
}

// Server is a running nbio echo server.
type Server struct {
	cfg      server.Config
	counters server.Counters
	eng      *nb.Engine
	ln       *listener

	stop server.Stop
}

// Start binds cfg.Addr and starts nbio with cfg.Loops pollers.
func Start(cfg server.Config) (server.Server, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg}
	s.eng = nb.NewEngine(nb.Config{
		Name:               "poolbench",
		Network:            "tcp",
		Addrs:              []string{cfg.Addr},
		NPoller:            cfg.Loops,
		ReadBufferSize:     cfg.ReadBufferSize,
		MaxWriteBufferSize: MaxWriteBuffer,
		EpollMod:           nb.EPOLLLT,
		Listen: func(network, addr string) (net.Listener, error) {
			ln, err := net.Listen(network, addr)
			if err != nil {
				return nil, err
			}
			s.ln = newListener(ln, &s.counters, cfg.MaxConns)
			return s.ln, nil
		},
	})
	s.eng.OnOpen(s.onOpen)
	s.eng.OnRead(s.onRead)
	s.eng.OnWrittenSize(s.onWritten)
	s.eng.OnClose(s.onClose)
	if err := s.eng.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Stats returns the server's counters.
func (s *Server) Stats() server.Stats { return s.counters.Snapshot() }

// Shutdown parks the acceptor, then stops the engine, which closes every
// conn and waits for the pollers, the acceptor and every OnClose.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.ln.park(ctx); err != nil {
		return err
	}
	return s.stop.Shutdown(ctx, nil, s.eng.Stop)
}

// conn is the design's state for one conn. Only the conn's poller
// goroutine touches it (OnRead and OnWrittenSize run there), and creates
// it: OnOpen runs on the acceptor goroutine, and nbio hands the conn to
// its poller through epoll, which the race detector cannot see.
type conn struct {
	// pending mirrors the bytes nbio holds but has not written, so that
	// they can still be sent after the client's half-close.
	pending []byte
	// writing is the echo being handed to nbio's Write, and wrote what
	// nbio wrote of it at once, while pending is empty: the common case
	// copies nothing.
	writing []byte
	wrote   int
}

// opened is the session of a conn counted as open whose state is not made
// yet.
var opened = new(struct{})

func (s *Server) onOpen(c *nb.Conn) {
	s.counters.Open()
	c.SetSession(opened)
}

// state returns the conn's state, making it on first use, or nil for a
// conn that was never opened.
func state(c *nb.Conn) *conn {
	switch v := c.Session().(type) {
	case *conn:
		return v
	case *struct{}:
		st := &conn{}
		c.SetSession(st)
		return st
	}
	return nil
}

func (s *Server) onClose(c *nb.Conn, _ error) {
	if c.Session() != nil {
		s.counters.Closed()
	}
}

// onRead reads and echoes what the conn has, and finishes the conn at EOF.
func (s *Server) onRead(c *nb.Conn) {
	st := state(c)
	if st == nil {
		return
	}
	buf := s.eng.PollerBuffer(c)
	drain := false
	for reads := 1; ; reads++ {
		if reads > readsPerEvent && !drain {
			if drain = peerShutWrite(c); !drain {
				return
			}
		}
		n, err := c.Read(buf)
		switch {
		case n > 0:
			s.counters.In(n)
			if s.echo(c, st, buf[:n]) != nil {
				return // nbio closed the conn (over MaxWriteBuffer, or broken)
			}
		case err == nil: // n == 0: EOF, the client shut its write side
			s.finish(c, st)
			return
		case errors.Is(err, syscall.EINTR):
		case errors.Is(err, syscall.EAGAIN):
			return
		default:
			_ = c.CloseWithError(err)
			return
		}
	}
}

// echo hands p to nbio's Write and keeps pending in step with nbio's cache.
func (s *Server) echo(c *nb.Conn, st *conn, p []byte) error {
	if len(st.pending) == 0 {
		st.writing, st.wrote = p, 0
		_, err := c.Write(p)
		st.writing = nil
		if err != nil {
			return err
		}
		if rest := p[st.wrote:]; len(rest) > 0 {
			st.pending = append(st.pending, rest...)
		}
	} else {
		st.pending = append(st.pending, p...)
		if _, err := c.Write(p); err != nil {
			return err
		}
	}
	s.counters.Out(len(p))
	return nil
}

// onWritten follows what nbio wrote to the socket.
func (s *Server) onWritten(c *nb.Conn, _ []byte, n int) {
	st := state(c)
	if st == nil {
		return
	}
	if st.writing != nil {
		st.wrote += n
		return
	}
	st.pending = st.pending[n:]
	if len(st.pending) == 0 {
		st.pending = nil // let a large backlog's memory go
	}
}

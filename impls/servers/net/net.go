// Package net is the goroutine-per-conn echo server on the standard
// library: Config.Loops goroutines call Accept on one listener, and each
// admitted conn gets a goroutine that reads into a ReadBufferSize buffer and
// writes the bytes back before reading again.
//
// Backpressure is the blocking Write: a client that stops reading stalls
// its goroutine in Write, which stops it reading, so the server holds at
// most one read buffer (ReadBufferSize) of that client's bytes; the rest
// waits in the kernel's socket buffers. A client's half-close is seen as
// EOF after every byte before it has been echoed, so the server then simply
// closes. A failing Accept (out of fds) is logged and retried after a pause
// by the listener (impls/server/tracked).
//
// With Config.CloseAfter it closes a conn first, once it has echoed that
// many bytes on it (server.Config), so TIME_WAIT lands on its side.
package net

import (
	"context"
	stdnet "net"
	"sync"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/tracked"
)

// Server is a running goroutine-per-conn echo server.
type Server struct {
	ln       *tracked.Listener
	cfg      server.Config
	counters server.Counters
	// conns counts the accept loops and the conn goroutines.
	conns sync.WaitGroup
	stop  server.Stop
}

// Start binds cfg.Addr and starts cfg.Loops accept loops.
func Start(cfg server.Config) (server.Server, error) {
	cfg, err := cfg.NormalizedClosesFirst()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg}
	if s.ln, err = tracked.Listen(cfg, &s.counters); err != nil {
		return nil, err
	}
	for range cfg.Loops {
		s.conns.Go(func() { s.ln.Serve(&s.conns, s.serve) })
	}
	return s, nil
}

// Addr is the bound address.
func (s *Server) Addr() stdnet.Addr { return s.ln.Addr() }

// Stats returns the server's counters.
func (s *Server) Stats() server.Stats { return s.counters.Snapshot() }

// Shutdown closes the listener and every conn, then waits for the accept
// loops and conn goroutines to return, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.stop.Shutdown(ctx, func() {
		_ = s.ln.Close()
		s.ln.CloseConns()
	}, s.conns.Wait)
}

// serve echoes until the client closes or an error; a write error ends it
// too, since a client that reset the conn is gone. Under CloseAfter it
// closes first once it has echoed that many bytes; it reads no more than
// that, since closing with unread bytes would send a reset, not a FIN.
func (s *Server) serve(c stdnet.Conn) {
	defer c.Close()
	buf := make([]byte, s.cfg.ReadBufferSize)
	left := s.cfg.CloseAfter // bytes to echo before closing; unused when CloseAfter is 0
	for {
		b := buf
		if s.cfg.CloseAfter > 0 {
			b = buf[:min(len(buf), left)]
		}
		n, err := c.Read(b)
		if n > 0 {
			if _, werr := c.Write(b[:n]); werr != nil {
				return
			}
			if left -= n; s.cfg.CloseAfter > 0 && left == 0 {
				return // closes first
			}
		}
		if err != nil {
			return // io.EOF (the client is done) or a broken conn
		}
	}
}

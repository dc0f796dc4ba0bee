// Package udp is the UDP echo server: one socket (net.ListenUDP) shared by
// Config.Loops reader goroutines, each of which reads a datagram with
// ReadMsgUDP and writes it back to its sender with WriteToUDPAddrPort. The
// socket serves every peer; there are no conns to accept, track or close.
//
// Config.ReadBufferSize is the largest datagram the server echoes: a longer
// one arrives truncated (MSG_TRUNC), is dropped rather than echoed short,
// and is counted in Stats.Rejected. To echo every datagram that fits, set it
// to server.MaxDatagram. Stats.Accepted counts datagrams echoed; BytesIn and
// BytesOut count their payload; Active is always 0. Config.MaxConns has no
// conns to cap and is accepted without effect.
//
// Backpressure is the kernel's: a reader blocked in a write stops reading,
// and datagrams beyond the socket's receive buffer are dropped by the
// kernel, which the client sees as loss. A write that fails (the sender's
// port is gone: ECONNREFUSED from an ICMP error) is not fatal; the reader
// goes on.
package udp

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"

	"github.com/poolbench/poolbench/impls/server"
)

// Server is a running UDP echo server.
type Server struct {
	conn     *net.UDPConn
	cfg      server.Config
	counters server.Counters

	readers sync.WaitGroup
	stop    server.Stop
}

// Start binds cfg.Addr (UDP) and starts cfg.Loops readers on the socket.
func Start(cfg server.Config) (server.Server, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	laddr, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, err
	}
	s := &Server{conn: conn, cfg: cfg}
	for range cfg.Loops {
		s.readers.Go(s.read)
	}
	return s, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.conn.LocalAddr() }

// Stats returns the server's counters.
func (s *Server) Stats() server.Stats { return s.counters.Snapshot() }

// Shutdown closes the socket, which ends every reader's read, and waits for
// them, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.stop.Shutdown(ctx, func() { _ = s.conn.Close() }, s.readers.Wait)
}

// read echoes datagrams until the socket is closed.
func (s *Server) read() {
	// One byte more than the largest datagram echoed, so that the kernel's
	// truncation is visible even where MSG_TRUNC is not reported.
	buf := make([]byte, s.cfg.ReadBufferSize+1)
	for {
		n, _, flags, from, err := s.conn.ReadMsgUDPAddrPort(buf, nil)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return // Shutdown
			}
			continue // an ICMP error reported on the socket: not ours to end on
		}
		s.counters.In(n)
		if flags&syscall.MSG_TRUNC != 0 || n > s.cfg.ReadBufferSize {
			s.counters.Reject()
			continue
		}
		if _, err := s.conn.WriteToUDPAddrPort(buf[:n], from); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.counters.Out(n)
		s.counters.Served()
	}
}

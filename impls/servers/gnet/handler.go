package gnet

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync/atomic"

	gnetv2 "github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// handler is the gnet event handler.
type handler struct {
	gnetv2.BuiltinEventEngine
	s *Server
	e *engine // the gnet.Run it serves
}

// admitted marks, as the conn's context, a conn counted as open.
var admitted = new(struct{})

// OnBoot records the engine, a dup of the listener and the real bound
// address.
func (h *handler) OnBoot(eng gnetv2.Engine) gnetv2.Action {
	h.e.eng = eng
	fd, err := eng.Dup()
	if err != nil {
		h.e.booted <- fmt.Errorf("gnet: dup listener: %w", err)
		return gnetv2.Shutdown
	}
	addr, err := boundAddr(fd)
	if err != nil {
		_ = unix.Close(fd)
		h.e.booted <- err
		return gnetv2.Shutdown
	}
	h.s.mu.Lock()
	h.e.lnFD, h.e.open, h.e.addr = fd, true, addr
	h.s.mu.Unlock()
	h.e.booted <- nil
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

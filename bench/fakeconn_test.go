package bench

import (
	"context"
	"net"
	"sync/atomic"
	"time"
)

// fakeConn is a net.Conn that does no I/O, so a benchmark measures the pool
// and nothing else. It is not a kernel socket, so pools skip the dead-peer
// peek for it.
type fakeConn struct {
	dialer *fakeDialer // nil for the floor's conns
	slot   int         // the floor's slot index
	closed atomic.Bool
}

func (c *fakeConn) Read(p []byte) (int, error)  { return len(p), nil }
func (c *fakeConn) Write(p []byte) (int, error) { return len(p), nil }

// Close counts the conn closed once, however often it is called.
func (c *fakeConn) Close() error {
	if c.closed.CompareAndSwap(false, true) && c.dialer != nil {
		c.dialer.live.Add(-1)
	}
	return nil
}

func (c *fakeConn) LocalAddr() net.Addr              { return fakeAddr{} }
func (c *fakeConn) RemoteAddr() net.Addr             { return fakeAddr{} }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }
func (fakeAddr) Network() string                     { return "fake" }
func (fakeAddr) String() string                      { return "fake" }

type fakeAddr struct{}

// fakeDialer makes fakeConns and counts them, so a benchmark can tell whether
// a pool kept to MaxConns. Its counters cost only on a dial or a close.
type fakeDialer struct {
	dials   atomic.Int64
	live    atomic.Int64 // dialed and not yet closed
	maxLive atomic.Int64 // the highest live ever reached
}

func (d *fakeDialer) dial(context.Context) (net.Conn, error) {
	d.dials.Add(1)
	n := d.live.Add(1)
	for m := d.maxLive.Load(); n > m && !d.maxLive.CompareAndSwap(m, n); m = d.maxLive.Load() {
	}
	return &fakeConn{dialer: d}, nil
}

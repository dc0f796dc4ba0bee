// Package servertest is the conformance suite for echo servers: every
// server design runs it from its package test with
//
//	servertest.Run(t, mydesign.Start, server.Echo) // or server.HTTP
//
// It starts a fresh server for each property, on 127.0.0.1:0, and talks to
// it over loopback TCP with a client written here. One subtest per property,
// with stable names (-run 'Conformance/HalfClose'):
//
// Both protocols:
//   - DefaultAddr: Addr "" binds 127.0.0.1 on a real port, and serves.
//   - InvalidConfig: Loops <= 0 and negative MaxConns or ReadBufferSize are
//     errors wrapping server.ErrInvalidConfig.
//   - Concurrent: 256 clients at once, each with 16 exchanges of random
//     messages; every reply is exact.
//   - Stats: one client's exchanges are counted exactly (Accepted, Active,
//     bytes), and Active returns to 0 after the client closes.
//   - ClientReset: clients that reset the conn (SetLinger(0) + Close) in the
//     middle of a message, or with echo still owed to them, do not crash the
//     server or leak a conn or a goroutine; the server still serves.
//   - NeverReads: a client that writes and never reads cannot make the
//     server buffer without bound: it cannot push twice the kernel's socket
//     buffers plus MaxConnBuffer into the server (the server stops reading
//     or closes the conn).
//   - Shutdown: Shutdown with live, idle and mid-transfer conns returns nil
//     within its ctx, closes every conn, leaves no goroutine, and a second
//     Shutdown is harmless; Shutdown with an ended ctx returns promptly.
//   - BusyPort: starting on a bound port fails with exactly
//     "listen tcp 127.0.0.1:PORT: bind: address already in use".
//   - MaxConns: with MaxConns=4, the 5th to 8th conns are closed at accept
//     and counted as rejected, the first 4 still serve, and a freed slot is
//     taken by the next conn.
//
// UDP (server.UDP) runs its own properties instead of all of these: see
// udpProperties.
//
// Echo only:
//   - Sizes: messages from 1 B to 1 MiB, written in random partial writes
//     and read back in random partial reads, on one conn.
//   - ReadBufferSize: a 512-byte read buffer still echoes 64 KiB exactly.
//   - Pipelined: 1000 messages written back to back come back in order.
//   - HalfClose: after the client shuts its write side, the server sends
//     every byte still owed, then closes its side. The client writes 1 MiB
//     more than the server's socket send buffer can hold (tcp_wmem max),
//     and reads only after its half-close, so the server still holds echo
//     of its own at the FIN (a design that closes conns at a cap of unsent
//     echo needs a cap above that: 5 MiB with Linux's default tcp_wmem).
//
// HTTP only (HTTP/1.1 POST, body echoed with 200):
//   - PostEcho: empty, small and odd-sized bodies; status and body exact.
//   - Pipelining: 100 keep-alive requests written back to back are answered
//     in order on one conn.
//   - LargeBodies: bodies of 64 KiB to 1 MiB.
//   - ConnectionClose: "Connection: close" gets its reply, then EOF.
//   - HalfClose: a request followed by the client's half-close gets its
//     reply, then EOF.
//
// A WarmUp subtest runs one exchange first. Every property runs under a
// watchdog (PropertyLimit): client conns carry
// deadlines and every wait is on an event with a bounded deadline, so a
// hang is a failure with a message. After each property the server is shut
// down and goleak checks that no goroutine outlived it. Run it under -race.
package servertest

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/server"
)

// Start starts a server design; it is the design's Start function.
type Start func(server.Config) (server.Server, error)

// PropertyLimit bounds one property in real time; properties take well
// under a second, so only a hang reaches it.
const PropertyLimit = 30 * time.Second

// ShutdownLimit is the ctx the suite gives Shutdown.
const ShutdownLimit = 10 * time.Second

// property is one conformance property.
type property struct {
	name string
	run  func(f *fixture)
}

// Run runs every property for proto against servers made by start.
func Run(t *testing.T, start Start, proto server.Protocol) {
	t.Helper()
	var w wire
	var props []property
	switch proto {
	case server.Echo:
		w, props = echoWire{}, echoProperties
	case server.HTTP:
		w, props = httpWire{}, httpProperties
	case server.UDP:
		runUDP(t, start)
		return
	default:
		t.Fatalf("servertest: unknown protocol %q", proto)
	}
	props = append(commonProperties(), props...)

	// One exchange before the first property starts the libraries'
	// process-wide goroutines (timers, worker pools), so that the
	// per-property leak check sees only what a server leaves behind.
	t.Run("WarmUp", func(t *testing.T) {
		f := newFixture(t, start, w)
		f.serve(server.Config{Loops: 1})
		f.exchangeOnce()
		f.shutdown()
	})
	for _, p := range props {
		t.Run(p.name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			f := newFixture(t, start, w)
			defer func() {
				f.shutdown()
				f.cancel()
				goleak.VerifyNone(t, before)
			}()
			p.run(f)
		})
	}
}

// runUDP runs udpProperties, each on a fresh server, with the same leak
// check as Run.
func runUDP(t *testing.T, start Start) {
	t.Helper()
	for _, p := range udpProperties {
		t.Run(p.name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			f := newFixture(t, start, nil)
			defer func() {
				f.shutdown()
				f.cancel()
				goleak.VerifyNone(t, before)
			}()
			p.run(f)
		})
	}
}

// fixture is one property's server and watchdog.
type fixture struct {
	t      *testing.T
	start  Start
	wire   wire
	ctx    context.Context // ends at the property's watchdog deadline
	cancel context.CancelFunc
	srv    server.Server
	cfg    server.Config
}

func newFixture(t *testing.T, start Start, w wire) *fixture {
	ctx, cancel := context.WithTimeout(context.Background(), PropertyLimit)
	return &fixture{t: t, start: start, wire: w, ctx: ctx, cancel: cancel}
}

// serve starts the server with cfg; the property fails if it cannot.
func (f *fixture) serve(cfg server.Config) server.Server {
	f.t.Helper()
	srv, err := f.start(cfg)
	if err != nil {
		f.t.Fatalf("Start(%+v): %v", cfg, err)
	}
	f.srv, f.cfg = srv, cfg
	return srv
}

// shutdown stops the server, if one is running, and fails on error.
func (f *fixture) shutdown() {
	f.t.Helper()
	if f.srv == nil {
		return
	}
	srv := f.srv
	f.srv = nil
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownLimit)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		f.t.Errorf("Shutdown: %v", err)
	}
}

// addr is the running server's address.
func (f *fixture) addr() string { return f.srv.Addr().String() }

// deadline is when the property's watchdog fires.
func (f *fixture) deadline() time.Time {
	d, _ := f.ctx.Deadline()
	return d
}

// dial connects to the server; the conn's deadline is the watchdog's, and
// it is closed when the property ends.
func (f *fixture) dial() *net.TCPConn {
	f.t.Helper()
	c, err := f.dialErr(nil)
	if err != nil {
		f.t.Fatalf("dial %s: %v", f.addr(), err)
	}
	return c
}

// dialErr connects with an optional dialer (for socket options).
func (f *fixture) dialErr(d *net.Dialer) (*net.TCPConn, error) {
	if d == nil {
		d = &net.Dialer{}
	}
	c, err := d.DialContext(f.ctx, "tcp", f.addr())
	if err != nil {
		return nil, err
	}
	tc := c.(*net.TCPConn)
	_ = tc.SetDeadline(f.deadline())
	f.t.Cleanup(func() { _ = tc.Close() })
	return tc, nil
}

// eventually polls cond until it holds or the watchdog fires; what names
// the condition in the failure.
func (f *fixture) eventually(what string, cond func() bool) {
	f.t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-f.ctx.Done():
			f.t.Fatalf("timed out waiting for %s (stats %+v)", what, f.srv.Stats())
		case <-tick.C:
		}
	}
}

// within polls cond for at most d and reports whether it came to hold.
func (f *fixture) within(d time.Duration, cond func() bool) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-t.C:
			return false
		case <-tick.C:
		}
	}
	return true
}

// waitIdle waits until the server has no open conn.
func (f *fixture) waitIdle() {
	f.t.Helper()
	f.eventually("Active == 0", func() bool { return f.srv.Stats().Active == 0 })
}

// wait receives from ch within the watchdog and returns the value.
func wait[T any](f *fixture, what string, ch <-chan T) T {
	f.t.Helper()
	select {
	case v := <-ch:
		return v
	case <-f.ctx.Done():
		f.t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// isClosed reports whether err says the peer closed or reset the conn.
func isClosed(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return err != nil
}

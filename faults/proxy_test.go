package faults

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// deadline bounds every wait on a socket in these tests: a hang is a failure.
const deadline = 5 * time.Second

// startProxy starts an echo server and a proxy in front of it, dials the
// proxy and registers cleanup that closes all three and checks for leaks.
func startProxy(t *testing.T, spec string) (*echoServer, *Proxy, net.Conn) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
	echo := startEcho(t)
	p, err := Start(echo.Addr(), spec)
	if err != nil {
		t.Fatalf("Start(%q): %v", spec, err)
	}
	t.Cleanup(func() { p.Close() })
	c, err := net.DialTimeout("tcp", p.Addr(), deadline)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(deadline)); err != nil {
		t.Fatal(err)
	}
	return echo, p, c
}

func TestNoneForwards(t *testing.T) {
	_, p, c := startProxy(t, "none")
	for i := range 10 {
		msg := bytes.Repeat([]byte{byte('a' + i)}, 100*(i+1))
		got, err := roundTrip(c, msg)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("round trip %d through %v: %q, %v", i, p, got, err)
		}
	}
}

// TestLatencyLowerBound checks the latency toxic's promise as a lower bound:
// every echo round trip through the proxy takes at least the latency. It
// asserts correctness (the delay is applied), never speed.
func TestLatencyLowerBound(t *testing.T) {
	for _, spec := range []string{"latency=1ms", "latency=10ms", "latency=25ms"} {
		t.Run(spec, func(t *testing.T) {
			_, p, c := startProxy(t, spec)
			want := p.Spec().Duration
			for i := range 5 {
				start := time.Now()
				got, err := roundTrip(c, []byte("ping"))
				rtt := time.Since(start)
				if err != nil || string(got) != "ping" {
					t.Fatalf("round trip %d: %q, %v", i, got, err)
				}
				if rtt < want {
					t.Errorf("round trip %d took %v, want >= %v", i, rtt, want)
				}
			}
		})
	}
}

func TestResetPeer(t *testing.T) {
	echo, _, c := startProxy(t, "reset_peer")
	_, err := roundTrip(c, []byte("ping"))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read through reset_peer: err = %v, want ECONNRESET", err)
	}
	if echo.bytesIn() != 4 {
		t.Errorf("upstream read %d bytes, want the 4 sent: the reset must hit the reply", echo.bytesIn())
	}
}

// TestTimeout: the request reaches upstream, the reply never comes back
// before the client's own deadline, and the conn stays open (no EOF).
func TestTimeout(t *testing.T) {
	echo, _, c := startProxy(t, "timeout")
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return echo.bytesIn() == 4 }, "upstream to read the request")
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := c.Read(make([]byte, 16))
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read through timeout: %d bytes, %v; want 0 bytes and a deadline error", n, err)
	}
}

// TestTimeoutCloses: with a duration, the proxy closes the conn after it
// without ever passing data: the client sees EOF and nothing else.
func TestTimeoutCloses(t *testing.T) {
	_, p, c := startProxy(t, "timeout=30ms")
	start := time.Now()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if len(got) != 0 || err != nil {
		t.Fatalf("read through %v: %q, %v; want EOF and no data", p, got, err)
	}
	if waited := time.Since(start); waited < p.Spec().Duration {
		t.Errorf("EOF after %v, want >= %v", waited, p.Spec().Duration)
	}
}

// TestSlowClose: data flows normally, but after the client half-closes and
// the echo server closes in turn, the client sees EOF only after the delay.
func TestSlowClose(t *testing.T) {
	for _, spec := range []string{"slow_close", "slow_close=40ms"} {
		t.Run(spec, func(t *testing.T) {
			_, p, c := startProxy(t, spec)
			if got, err := roundTrip(c, []byte("ping")); err != nil || string(got) != "ping" {
				t.Fatalf("round trip: %q, %v", got, err)
			}
			start := time.Now()
			if err := c.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			rest, err := io.ReadAll(c)
			waited := time.Since(start)
			if len(rest) != 0 || err != nil {
				t.Fatalf("after CloseWrite: %q, %v; want a clean EOF", rest, err)
			}
			if waited < p.Spec().Duration {
				t.Errorf("EOF after %v, want >= %v", waited, p.Spec().Duration)
			}
		})
	}
}

// TestStartErrors: bad specs and upstreams are errors from Start, and a
// dead upstream is seen by the client as a closed conn, not a hang.
func TestStartErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, tc := range []struct{ upstream, spec string }{
		{"127.0.0.1:1", "bogus"},
		{"127.0.0.1:1", "latency"},
		{"no-port", "none"},
	} {
		if p, err := Start(tc.upstream, tc.spec); err == nil {
			p.Close()
			t.Errorf("Start(%q, %q) succeeded, want an error", tc.upstream, tc.spec)
		}
	}
}

func TestDeadUpstream(t *testing.T) {
	defer goleak.VerifyNone(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	p, err := Start(dead, "none")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.DialTimeout("tcp", p.Addr(), deadline)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(deadline))
	if _, err := roundTrip(c, []byte("ping")); err == nil {
		t.Fatal("round trip to a dead upstream succeeded")
	}
}

func TestCloseIdempotent(t *testing.T) {
	_, p, c := startProxy(t, "none")
	if _, err := roundTrip(c, []byte("x")); err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Close()
	if _, err := roundTrip(c, []byte("x")); err == nil {
		t.Fatal("round trip after Close succeeded")
	}
	if c2, err := net.DialTimeout("tcp", p.Addr(), deadline); err == nil {
		c2.Close()
		t.Fatal("dial after Close succeeded")
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", deadline, what)
		}
		time.Sleep(time.Millisecond)
	}
}

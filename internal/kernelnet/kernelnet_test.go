package kernelnet

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// listen returns a listener on 127.0.0.1 and its port, a port no other
// socket uses. A listener may bind a port that TIME_WAIT sockets of an
// earlier server hold (Go sets SO_REUSEADDR), and their count would add to
// the exact counts these tests expect: TestTimeWaitSince once found 1212
// on its port, left by the harness tests' child servers minutes before.
func listen(t *testing.T) (net.Listener, int) {
	t.Helper()
	const tries = 20
	for range tries {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if others, err := socketsOn(port); err != nil {
			ln.Close()
			t.Fatal(err)
		} else if others == 0 {
			t.Cleanup(func() { ln.Close() })
			return ln, port
		}
		ln.Close()
	}
	t.Fatalf("no port free of other sockets in %d listens", tries)
	return nil, 0
}

// stateListen is TCP_LISTEN as sock_diag reports it.
const stateListen = 10

// socketsOn counts the TCP sockets with port at one end, the listener's
// own not among them.
func socketsOn(port int) (int, error) {
	r, err := New(port, 0)
	if err != nil {
		return 0, err
	}
	n := 0
	err = dumpTCP(allStates, r.filter, func(s diagSocket) {
		if (s.sport == r.port || s.dport == r.port) && s.state != stateListen {
			n++
		}
	})
	if errors.Is(err, errDumpInterrupted) {
		err = nil // a fair picture of a moment, as Sample keeps it
	}
	return n, err
}

// waitFor samples r until ok holds, for at most 5s, and returns the sample.
func waitFor(t *testing.T, r *Reader, since time.Duration, what string, ok func(Sample) bool) Sample {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for {
		s, err := r.Sample(since)
		if err != nil {
			t.Fatal(err)
		}
		if ok(s) {
			return s
		}
		if time.Now().After(end) {
			t.Fatalf("%s: not within 5s; last sample %+v", what, s)
		}
		time.Sleep(5 * time.Millisecond) // polling for the kernel's state, bounded by end
	}
}

// closeFirst makes n conns to ln and closes each from the client side first
// (serverFirst false) or the server side first, waiting for the other side
// to see EOF and close too, so that each leaves one TIME_WAIT socket.
func closeFirst(t *testing.T, ln net.Listener, n int, serverFirst bool) {
	t.Helper()
	for range n {
		c, s, err := connect(t, ln, &net.Dialer{})
		if err != nil {
			t.Fatal(err)
		}
		if serverFirst {
			closeInOrder(t, s, c)
		} else {
			closeInOrder(t, c, s)
		}
	}
}

// connect dials ln with d and accepts the conn, returning its client and
// server ends, or the dial's error.
func connect(t *testing.T, ln net.Listener, d *net.Dialer) (client, server net.Conn, err error) {
	t.Helper()
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return c, s, nil
}

// closeInOrder closes first, waits for second to see the EOF, and closes
// second: first's side is left holding the TIME_WAIT socket.
func closeInOrder(t *testing.T, first, second net.Conn) {
	t.Helper()
	first.Close()
	second.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, second); err != nil {
		t.Fatalf("waiting for EOF: %v", err)
	}
	second.Close()
}

// TestTimeWaitBySide: the side that closes first holds the TIME_WAIT
// socket, and the Reader counts it on that side.
func TestTimeWaitBySide(t *testing.T) {
	const n = 5
	for _, serverFirst := range []bool{false, true} {
		t.Run("serverFirst="+strconv.FormatBool(serverFirst), func(t *testing.T) {
			ln, port := listen(t)
			r, err := New(port, 0)
			if err != nil {
				t.Fatal(err)
			}
			w, err := r.Begin(0)
			if err != nil {
				t.Fatal(err)
			}
			closeFirst(t, ln, n, serverFirst)
			waitFor(t, r, 0, "TIME_WAIT sockets", func(s Sample) bool {
				return s.Sockets.TimeWaitClient+s.Sockets.TimeWaitServer >= n
			})
			p, err := w.End()
			if err != nil {
				t.Fatal(err)
			}
			mine, other := p.TimeWaitClient, p.TimeWaitServer
			if serverFirst {
				mine, other = other, mine
			}
			if mine != n || other != 0 {
				t.Errorf("after %d closes, TIME_WAIT client %d server %d; want %d on the side that closed first, 0 on the other",
					n, p.TimeWaitClient, p.TimeWaitServer, n)
			}
		})
	}
}

// TestTimeWaitSince: a window counts only the TIME_WAIT sockets younger than
// itself, not those that were there before it began.
func TestTimeWaitSince(t *testing.T) {
	const n = 3
	ln, port := listen(t)
	r, err := New(port, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeFirst(t, ln, n, false)
	waitFor(t, r, 0, "TIME_WAIT sockets", func(s Sample) bool { return s.Sockets.TimeWaitClient == n })
	// Once they are older than 50ms (and timerSlack) by their timers, a
	// 50ms window holds none.
	waitFor(t, r, 50*time.Millisecond, "TIME_WAIT sockets aging past 50ms", func(s Sample) bool {
		return s.Sockets.TimeWaitClient == 0
	})
	w, err := r.Begin(0)
	if err != nil {
		t.Fatal(err)
	}
	closeFirst(t, ln, 1, false)
	waitFor(t, r, 0, "the new TIME_WAIT socket", func(s Sample) bool { return s.Sockets.TimeWaitClient == n+1 })
	p, err := w.End()
	if err != nil {
		t.Fatal(err)
	}
	if p.TimeWaitClient != 1 {
		t.Errorf("a window with 1 close after %d older ones counted %d TIME_WAIT, want 1", n, p.TimeWaitClient)
	}
}

// TestPortsInUse: n open conns hold at least n ephemeral ports, within the
// range. (Other processes open and close conns meanwhile, so the count is
// not compared with an earlier one.)
func TestPortsInUse(t *testing.T) {
	const n = 8
	ln, port := listen(t)
	r, err := New(port, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	s, err := r.Sample(0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Sockets.PortsInUse < n || s.Sockets.PortsInUse > s.Ports {
		t.Errorf("with %d conns open: %d ports in use of %d, want at least %d and within the range",
			n, s.Sockets.PortsInUse, s.Ports, n)
	}
}

// TestListenOverflow: connects to a listener that never accepts, with a
// backlog of 1, overflow its accept queue: the window sees ListenOverflows
// and ListenDrops move, and SYN_RECV sockets or none (the kernel drops the
// SYNs once the queue is full).
func TestListenOverflow(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 1); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	r, err := New(port, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err := r.Begin(10 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	const burst = 8
	done := make(chan struct{}, burst)
	for range burst {
		go func() {
			defer func() { done <- struct{}{} }()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			var d net.Dialer
			if c, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
				defer c.Close()
				<-ctx.Done() // hold it, so the queue stays full
			}
		}()
	}
	for range burst {
		<-done
	}
	p, err := w.End()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", p)
	if p.ListenOverflows == 0 || p.ListenDrops < p.ListenOverflows {
		t.Errorf("%d connects to a backlog of 1: ListenOverflows moved %d, ListenDrops %d; want > 0 and drops >= overflows",
			burst, p.ListenOverflows, p.ListenDrops)
	}
}

// TestFDs: the Reader sees a process's open fds move and its RLIMIT_NOFILE.
func TestFDs(t *testing.T) {
	_, port := listen(t)
	r, err := New(port, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	before, err := r.Sample(0)
	if err != nil {
		t.Fatal(err)
	}
	const n = 10
	for range n {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
	}
	after, err := r.Sample(0)
	if err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if after.FDs.Open-before.FDs.Open < n || after.FDs.Limit != int(lim.Cur) {
		t.Errorf("after opening %d files: fds %v -> %v, want %d more and limit %d", n, before.FDs, after.FDs, n, lim.Cur)
	}
	if h := (FDs{Open: 12, Limit: 10}).Headroom(); h != 0 {
		t.Errorf("headroom past the limit is %d, want 0", h)
	}
}

// TestBadPort: a port outside 1..65535 is an error, not a Reader.
func TestBadPort(t *testing.T) {
	for _, p := range []int{0, -1, 65536} {
		if _, err := New(p, 0); err == nil {
			t.Errorf("New(%d) succeeded", p)
		}
	}
}

// TestOtherPort: TIME_WAIT sockets on another server's port are not
// counted, however many; the Reader of that port counts them.
func TestOtherPort(t *testing.T) {
	const n = 4
	_, port := listen(t)
	other, otherPort := listen(t)
	r, err := New(port, 0)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := New(otherPort, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeFirst(t, other, n, false)
	seen := waitFor(t, ro, 0, "TIME_WAIT on the other port", func(s Sample) bool { return s.Sockets.TimeWaitClient == n })
	s, err := r.Sample(0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Sockets != (Sockets{PortsInUse: s.Sockets.PortsInUse}) {
		t.Errorf("with %d TIME_WAIT on port %d only, the Reader of idle port %d counted %+v", n, otherPort, port, s.Sockets)
	}
	// The other port's client ends hold ephemeral ports, counted in use
	// by either Reader: the namespace's ports, not the server's.
	if s.Sockets.PortsInUse < n || seen.Sockets.PortsInUse < n {
		t.Errorf("%d TIME_WAIT client ends: ports in use %d and %d, want at least %d", n, s.Sockets.PortsInUse, seen.Sockets.PortsInUse, n)
	}
}

// TestTimeWaitOfEarlierLoad: a window begun right after other load closed
// its conns counts none of that load's TIME_WAIT sockets, neither those
// made just before it began (younger than the timers' slack) nor those of
// a conn still closing then, which reach TIME_WAIT inside the window; it
// counts its own.
func TestTimeWaitOfEarlierLoad(t *testing.T) {
	const n = 5
	ln, port := listen(t)
	r, err := New(port, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeFirst(t, ln, n, false) // just now: younger than timerSlack when the window begins
	// One conn the client has closed and the server not yet: FIN_WAIT2
	// and CLOSE_WAIT as the window begins.
	c, s, err := connect(t, ln, &net.Dialer{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	waitFor(t, r, 0, "the half-closed conn", func(s Sample) bool { return s.Sockets.CloseWait == 1 })
	w, err := r.Begin(0)
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // the half-closed conn's client side enters TIME_WAIT now
	closeFirst(t, ln, 1, false)
	waitFor(t, r, 0, "every TIME_WAIT socket", func(s Sample) bool { return s.Sockets.TimeWaitClient >= n+2 })
	p, err := w.End()
	if err != nil {
		t.Fatal(err)
	}
	if p.TimeWaitClient != 1 || p.TimeWaitServer != 0 {
		t.Errorf("a window with 1 close of its own, begun right after %d closes and one half-close, counted %d client and %d server TIME_WAIT; want 1 and 0",
			n, p.TimeWaitClient, p.TimeWaitServer)
	}
}

// TestTimeWaitPairReused: a conn of the window on the ports of a TIME_WAIT
// socket the window began with (here both bound with SO_REUSEADDR, which
// Linux lets take over a TIME_WAIT pair; tcp_tw_reuse does so for ephemeral
// ports on loopback) is the window's own, and its TIME_WAIT counts.
func TestTimeWaitPairReused(t *testing.T) {
	ln, port := listen(t)
	r, err := New(port, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The first conn's client port, held by its TIME_WAIT socket. Bound
	// explicitly, to a port the kernel finds free of conflicts: an
	// ephemeral port that conns of earlier tests, without SO_REUSEADDR,
	// also left TIME_WAIT sockets on (to other servers) could not be
	// bound again.
	from := closeFrom(t, ln, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if from == nil {
		t.Fatal("could not dial from a port of the kernel's choosing")
	}
	w, err := r.Begin(0)
	if err != nil {
		t.Fatal(err)
	}
	// The pair is told apart by its timer once the window is older than
	// the timers' slack: let the first socket age past 30ms.
	waitFor(t, r, 30*time.Millisecond, "the first TIME_WAIT socket aging past 30ms", func(s Sample) bool {
		return s.Sockets.TimeWaitClient == 0
	})
	// Dial from the same port until the kernel lets the pair be reused.
	end := time.Now().Add(5 * time.Second)
	for closeFrom(t, ln, from) == nil {
		if time.Now().After(end) {
			t.Fatalf("the kernel did not reuse port pair %v -> %d within 5s", from, port)
		}
		time.Sleep(50 * time.Millisecond) // polling the kernel's reuse rule, bounded by end
	}
	p, err := w.End()
	if err != nil {
		t.Fatal(err)
	}
	if p.TimeWaitClient != 1 {
		t.Errorf("a window whose one close reused the ports of a TIME_WAIT socket it began with counted %d client TIME_WAIT, want 1", p.TimeWaitClient)
	}
}

// closeFrom dials ln from local address from (port 0: one the kernel
// picks), closes the conn from the client side first and waits for the
// server to close too; it returns the client's address, or nil when the
// dial from from failed (its ports still held).
func closeFrom(t *testing.T, ln net.Listener, from *net.TCPAddr) *net.TCPAddr {
	t.Helper()
	// SO_REUSEADDR on both conns: bind lets the second take a port a
	// TIME_WAIT socket holds only when the first had it too.
	d := net.Dialer{LocalAddr: from, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		})
		return errors.Join(err, serr)
	}}
	c, s, err := connect(t, ln, &d)
	if err != nil {
		return nil
	}
	addr := c.LocalAddr().(*net.TCPAddr)
	closeInOrder(t, c, s)
	return addr
}

// TestSocketsOn: listen's check sees the sockets a port holds: none on a
// fresh listener's, the TIME_WAIT sockets of its closed conns after.
func TestSocketsOn(t *testing.T) {
	const n = 3
	ln, port := listen(t)
	if got, err := socketsOn(port); got != 0 || err != nil {
		t.Fatalf("a fresh listener's port holds %d other sockets, %v; want 0", got, err)
	}
	closeFirst(t, ln, n, false)
	if got, err := socketsOn(port); got < n || err != nil {
		t.Fatalf("after %d closes the port holds %d other sockets, %v; want at least %d", n, got, err, n)
	}
}

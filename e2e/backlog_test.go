package e2e

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/impls/server"
)

// backlogServer is an echo server on 127.0.0.1 whose listen backlog is set
// by hand (net.Listen always asks for somaxconn) and whose accept loop
// starts only when open is called: until then every connect overflows the
// accept queue, as against a server too busy to accept. It does not track
// its conns: the pools under test close theirs after every point, which
// waitAllClosed checks, and that ends every echo goroutine.
type backlogServer struct {
	ln   net.Listener
	gate chan struct{} // closed by open
	once sync.Once
	wg   sync.WaitGroup
}

func startBacklogServer(t *testing.T, backlog int) *backlogServer {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "backlog-listener")
	defer f.Close() // FileListener dups it
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		t.Fatal(err)
	}
	ln, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	s := &backlogServer{ln: ln, gate: make(chan struct{})}
	s.wg.Go(s.accept)
	t.Cleanup(s.close)
	return s
}

func (s *backlogServer) addr() string { return s.ln.Addr().String() }

// open starts accepting.
func (s *backlogServer) open() { s.once.Do(func() { close(s.gate) }) }

func (s *backlogServer) accept() {
	<-s.gate
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Go(func() {
			io.Copy(c, c)
			c.Close()
		})
	}
}

func (s *backlogServer) close() {
	s.ln.Close()
	s.open() // lets a gated accept loop see the closed listener
	s.wg.Wait()
}

// TestBacklogOverflow loads a server whose listen backlog is 1 with a burst
// of connects from every pool design. While it does not accept, the accept
// queue (backlog+1 conns on Linux) is full at once and the kernel drops the
// other connects' SYNs: every request fails, and each failure is classified
// as a timeout, reset or refusal, never anything else; no point hangs; no
// pool has more than MaxConns conns open or dialing at any dial, and each
// closes them all when it is closed. Once the server accepts again, the burst
// fails only in those classes, and then a small load runs through every pool
// without a single failure.
func TestBacklogOverflow(t *testing.T) {
	const burst = 8
	srv := startBacklogServer(t, 1)
	target := harness.Server{Name: "backlog1", Protocol: server.Echo, Launch: harness.External(srv.addr())}
	overflow := []harness.Class{harness.Timeout, harness.Reset, harness.Refused}

	pools, counts := countedPools()
	kw := kernelWindow(t, srv.addr(), 0, 0)
	notAccepting := sweepExternal(t, target, pools, burst, 200*time.Millisecond, 100*time.Millisecond)
	// The kernel counts what the clients saw as timeouts: connects dropped
	// because the accept queue was full.
	if kp, err := kw.End(); err != nil {
		t.Fatal(err)
	} else if kp.ListenOverflows == 0 {
		t.Errorf("not accepting: %d pools dialed a full accept queue and TcpExt ListenOverflows did not move", len(pools))
	} else {
		t.Logf("not accepting: ListenOverflows moved %d, ListenDrops %d", kp.ListenOverflows, kp.ListenDrops)
	}
	for _, pt := range notAccepting {
		t.Logf("not accepting: %s: %d ok, failures %v", pt.Pool, pt.Requests, pt.Errors)
		if pt.Requests != 0 || pt.Errors.Total() == 0 {
			t.Errorf("not accepting: %s: %d ok and %d failed, want 0 ok and failures", pt.Pool, pt.Requests, pt.Errors.Total())
		}
		checkClasses(t, "not accepting:", pt, overflow...)
		if _, maxOpen := counts[pt.Pool].snapshot(); maxOpen > burst {
			t.Errorf("not accepting: %s had %d conns open or dialing, MaxConns %d", pt.Pool, maxOpen, burst)
		}
		waitAllClosed(t, pt.Pool, counts[pt.Pool])
	}

	srv.open()
	// The burst still overflows the queue of 2 when the pools dial at once;
	// a dropped SYN is resent after 1s, so the op timeout lets it through.
	pools, counts = countedPools()
	for _, pt := range sweepExternal(t, target, pools, burst, 200*time.Millisecond, 1200*time.Millisecond) {
		// Not asserted: that some request succeeds inside this short window.
		// A pool that dials under its lock (silenceper) dials one conn at a
		// time, and a dropped SYN costs 1s each, so its first success may
		// fall after the window; recovery is asserted by the load below.
		t.Logf("accepting: %s: %d ok, failures %v", pt.Pool, pt.Requests, pt.Errors)
		checkClasses(t, "accepting:", pt, overflow...)
		if _, maxOpen := counts[pt.Pool].snapshot(); maxOpen > burst {
			t.Errorf("accepting: %s had %d conns open or dialing, MaxConns %d", pt.Pool, maxOpen, burst)
		}
		waitAllClosed(t, pt.Pool, counts[pt.Pool])
	}
	// Two conns fit in the queue even when dialed at once: no failure at all.
	for _, pt := range sweepExternal(t, target, pools, 2, 100*time.Millisecond, time.Second) {
		if pt.Requests == 0 || pt.Errors.Total() != 0 {
			t.Errorf("after the burst: %s: %d ok, failures %v; want all ok", pt.Pool, pt.Requests, pt.Errors)
		}
	}
}

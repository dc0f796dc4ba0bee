package servertest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/poolbench/poolbench/impls/server"
)

// MaxConnBuffer is the most a design may buffer for one conn whose client
// does not read (its documented cap). NeverReads checks the bound holds.
const MaxConnBuffer = 16 << 20

// neverReadBudget is how many bytes a client that never reads tries to
// push: twice what the kernel's socket buffers on the server side can hold
// at most (tcp_rmem and tcp_wmem maxima; the client fixes its own at
// 64 KiB), plus MaxConnBuffer. A server that bounds what it buffers per
// conn stops the client well before; one that does not lets it all in.
func neverReadBudget() int {
	return 2*(sysctlMax("tcp_rmem", 32<<20)+sysctlMax("tcp_wmem", 32<<20)) + MaxConnBuffer
}

// sysctlMax reads the max (last) field of net.ipv4.NAME (tcp_rmem,
// tcp_wmem), or returns def when it cannot.
func sysctlMax(name string, def int) int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/" + name)
	if f := strings.Fields(string(b)); err == nil && len(f) == 3 {
		if n, err := strconv.Atoi(f[2]); err == nil {
			return n
		}
	}
	return def
}

// fixedBuffers is a dialer whose sockets get SO_RCVBUF rcv and SO_SNDBUF
// snd before connecting, which fixes the kernel's share on the client side
// (a small rcv keeps the receive window small).
func fixedBuffers(rcv, snd int) *net.Dialer {
	return &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = errors.Join(
				syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcv),
				syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, snd))
		})
		return errors.Join(err, serr)
	}}
}

// stallTimeout is how long a write of the never-reading client may block
// before the server is taken to have stopped reading it. Only a server
// that buffers without bound could pass by being slow, so the check cannot
// fail a correct server on a loaded machine.
const stallTimeout = time.Second

// flood sends requests of chunk bytes on c until the budget is spent or a
// send fails, and returns the bytes sent and the error. Writes carry a
// stallTimeout deadline each when stall is set.
func (f *fixture) flood(c *net.TCPConn, budget, chunk int, stall bool) (int, error) {
	p := payload(rand.New(rand.NewPCG(3, uint64(chunk))), chunk)
	sent := 0
	for sent < budget {
		if stall {
			_ = c.SetWriteDeadline(time.Now().Add(stallTimeout))
		}
		if err := f.wire.send(c, p); err != nil {
			return sent, err
		}
		sent += chunk + f.wire.overhead()
	}
	return sent, nil
}

func propNeverReads(f *fixture) {
	f.serve(server.Config{Loops: 2})
	c, err := f.dialErr(fixedBuffers(64<<10, 64<<10))
	if err != nil {
		f.t.Fatalf("dial: %v", err)
	}
	sent, err := f.flood(c, neverReadBudget(), 64<<10, true)
	if err == nil {
		f.t.Fatalf("a client that never reads pushed %d bytes into the server: it buffers without bound", sent)
	}
	var ne net.Error
	stalled := errors.As(err, &ne) && ne.Timeout()
	f.t.Logf("never-reading client stopped after %d bytes: %v (stalled=%v)", sent, err, stalled)
	_ = c.Close()
	f.waitIdle()
	f.exchangeOnce()
}

// resetClients is how many clients of each kind ClientReset runs.
const resetClients = 4

func propClientReset(f *fixture) {
	f.serve(server.Config{Loops: 2})
	// Mid-message: part of a request, then a reset.
	for i := range resetClients {
		c := f.dial()
		var err error
		switch f.wire.(type) {
		case echoWire:
			_, err = c.Write(payload(rand.New(rand.NewPCG(4, uint64(i))), 100<<10))
		default:
			_, err = fmt.Fprintf(c, httpRequest+"partial body", 1<<20)
		}
		if err != nil {
			f.t.Fatalf("client %d: write: %v", i, err)
		}
		reset(c)
	}
	// Owed echo: requests the server has started to answer, unread, then
	// a reset while the server may be writing.
	for i := range resetClients {
		c := f.dial()
		in := f.srv.Stats().BytesIn
		sent := make(chan error, 1)
		go func() {
			_, err := f.flood(c, 1<<20, 16<<10, false)
			sent <- err
		}()
		f.eventually("the server reading the flood", func() bool { return f.srv.Stats().BytesIn >= in+16<<10 })
		reset(c)
		if err := wait(f, "the flooding writer", sent); err == nil {
			f.t.Logf("client %d: the whole flood was written before the reset", i)
		}
	}
	f.waitIdle()
	f.exchangeOnce()
}

// reset closes c with an RST instead of a FIN.
func reset(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}

// shutdownIdleClients is how many idle keep-alive conns Shutdown faces.
const shutdownIdleClients = 8

func propShutdown(f *fixture) {
	srv := f.serve(server.Config{Loops: 2})
	var conns []*net.TCPConn

	// A client whose server side is stuck writing echo nobody reads.
	stuck := f.dial()
	conns = append(conns, stuck)
	stuckDone := make(chan error, 1)
	go func() {
		_, err := f.flood(stuck, neverReadBudget(), 64<<10, false)
		stuckDone <- err
	}()
	f.eventually("the server reading the stuck client", func() bool { return srv.Stats().BytesIn > 0 })

	for range shutdownIdleClients {
		c := f.dial()
		if err := f.exchange(c, bufio.NewReader(c), []byte("idle")); err != nil {
			f.t.Fatalf("idle client: %v", err)
		}
		conns = append(conns, c)
	}
	// A client in the middle of a request.
	mid := f.dial()
	conns = append(conns, mid)
	if err := f.wire.send(mid, payload(rand.New(rand.NewPCG(5, 0)), 1000)); err != nil {
		f.t.Fatalf("mid-request client: %v", err)
	}

	ctx, cancel := context.WithTimeout(f.ctx, ShutdownLimit)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		f.t.Fatalf("Shutdown: %v", err)
	}
	for i, c := range conns {
		// Whatever was in flight may still arrive; then the conn must end.
		if _, err := io.Copy(io.Discard, c); err != nil && !isClosed(err) {
			f.t.Errorf("client %d after Shutdown: %v, want EOF or reset", i, err)
		}
	}
	if err := wait(f, "the stuck client's writer", stuckDone); err == nil {
		f.t.Errorf("the stuck client wrote %d bytes unread: the server buffered them all", neverReadBudget())
	}
	if st := srv.Stats(); st.Active != 0 {
		f.t.Errorf("after Shutdown: Stats %+v, want Active 0", st)
	}
	if err := srv.Shutdown(ctx); err != nil {
		f.t.Errorf("second Shutdown: %v", err)
	}
}

func propShutdownEndedCtx(f *fixture) {
	srv := f.serve(server.Config{Loops: 2})
	c := f.dial()
	if err := f.exchange(c, bufio.NewReader(c), []byte("busy")); err != nil {
		f.t.Fatalf("exchange: %v", err)
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ended) }()
	if err := wait(f, "Shutdown with an ended ctx", done); err != nil && !errors.Is(err, context.Canceled) {
		f.t.Errorf("Shutdown(ended ctx) = %v, want nil or context.Canceled", err)
	}
	// The fixture's Shutdown then waits for the end for real.
}

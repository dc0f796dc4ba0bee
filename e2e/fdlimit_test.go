package e2e

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/server"
)

// recoverLimit bounds how long a server may take to serve a small load
// without failures once an overload is gone.
const recoverLimit = 15 * time.Second

// eventLimit bounds each wait for an event (the limit reached, EMFILE
// logged, an overload point's failures): an event not seen by then fails.
const eventLimit = 10 * time.Second

// fdHeadroom is how many descriptors a server may open beyond those it has
// when the limit is set: a few conns, then EMFILE.
const fdHeadroom = 6

// TestFDExhaustion starts every server design as a "poolbench serve" child,
// then lowers its RLIMIT_NOFILE (soft and hard, with prlimit) to what it
// has open plus fdHeadroom, and loads it with far more conns than that.
// The server must log EMFILE ("too many open files") and keep running; the
// clients' failures must be classified (timeouts for conns the server never
// accepts, resets or short reads for conns it sheds), never anything else;
// and once the load is gone a small load succeeds again, first at all and
// then without a single failure.
//
// Every step waits on its event, within eventLimit, not a fixed time: the
// overload point ends once the limit is reached (the fds' headroom seen at
// 0, or EMFILE logged) and a request has failed; each small point after
// it ends at its first failure or once 16 requests in a row succeeded.
func TestFDExhaustion(t *testing.T) {
	pools := registeredPools()[:1] // the limit is the server's; one pool design is enough
	for _, d := range impls.Servers() {
		if d.Protocol == server.UDP {
			continue // one socket for every peer: there is no accept to run out of fds
		}
		t.Run(d.Name, func(t *testing.T) {
			stderr := &capped{max: 64 << 10}
			inst, err := harness.Process{
				Path:   poolbench,
				Args:   []string{"serve", "-design", d.Name, "-addr", "127.0.0.1:0", "-loops", "1"},
				Stderr: stderr,
			}.Launch(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			stopped := false
			t.Cleanup(func() {
				if !stopped {
					inst.Stop()
				}
			})
			pid := inst.PID()
			fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
			if err != nil {
				t.Fatal(err)
			}
			limit := uint64(len(fds) + fdHeadroom)
			if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: limit, Max: limit}, nil); err != nil {
				t.Fatalf("prlimit: %v", err)
			}
			target := harness.Server{Name: d.Name, Protocol: d.Protocol, EventLoop: d.EventLoop, Launch: harness.External(inst.Addr())}

			// The server's fds, polled every millisecond through the
			// overload: the limit is reached when the headroom is 0.
			peak, zero := pollFDs(t, inst.Addr(), pid)
			emfile := stderr.seen("too many open files")
			limitReached := make(chan struct{})
			go func() {
				select {
				case <-zero:
				case <-emfile:
				case <-t.Context().Done():
					return
				}
				close(limitReached)
			}()
			over := sweepExternalUntil(t, target, pools, 32, eventLimit, 200*time.Millisecond,
				afterFailures(1, func() <-chan struct{} { return limitReached }))[0]
			fd := peak()
			t.Logf("limit %d fds, 32 conns: %d ok, %v in %v; server fds at most %d of %d",
				limit, over.Requests, over.Errors, over.Window.Round(time.Millisecond), fd.Open, fd.Limit)
			switch {
			case fd.Limit != int(limit):
				t.Errorf("the server's RLIMIT_NOFILE reads %d, want the %d set", fd.Limit, limit)
			case fd.Headroom() != 0:
				// A design that sheds conns at EMFILE at once holds the
				// limit for less than a poll: the EMFILE log below is then
				// the only evidence, and this half of the check did not run.
				t.Logf("partial: the fds peaked at %d of %d between 1ms polls; the limit is judged by the EMFILE log alone", fd.Open, fd.Limit)
			}
			if over.Errors.Total() == 0 {
				t.Errorf("32 conns against %d fds: no request failed", limit)
			}
			checkClasses(t, "over the limit:", over, harness.Timeout, harness.Reset, harness.Short, harness.Refused)
			if !waitClosed(emfile, eventLimit) {
				t.Errorf("server did not log EMFILE within %v; its stderr:\n%s", eventLimit, stderr)
			}
			if err := syscall.Kill(pid, 0); err != nil {
				t.Fatalf("server died under EMFILE: %v; its stderr:\n%s", err, stderr)
			}

			// Small loads until one runs without a failure: the first may
			// still meet conns queued during the overload, or a server that
			// backs off after EMFILE. recoverLimit bounds the wait.
			start := time.Now()
			var back harness.Point
			for tries := 1; ; tries++ {
				// The op timeout is shorter than the window, so that a
				// request the server never answers counts as a failure.
				back = sweepExternalUntil(t, target, pools, 2, eventLimit, 200*time.Millisecond, firstFailureOr(16))[0]
				if back.Requests > 0 && back.Errors.Total() == 0 {
					t.Logf("recovered after %v (%d small points)", time.Since(start).Round(time.Millisecond), tries)
					break
				}
				if time.Since(start) > recoverLimit {
					t.Errorf("not recovered %v after the overload: last point %d ok, %v; server stderr:\n%s",
						recoverLimit, back.Requests, back.Errors, stderr)
					break
				}
			}
			stopped = true
			if err := inst.Stop(); err != nil {
				t.Errorf("server did not exit cleanly on SIGTERM after the overload: %v", err)
			}
		})
	}
}

// firstFailureOr is an until that ends the window at the first failed
// request, or once n in a row have succeeded.
func firstFailureOr(n int) func() until {
	return func() until {
		ok := 0
		return func(success bool) bool {
			if !success {
				return true
			}
			ok++
			return ok >= n
		}
	}
}

// capped is a concurrency-safe writer that keeps the first max bytes, so
// that a server logging every failed accept cannot grow the test's memory.
// It also closes a channel for each text waited on (seen) once the text
// has been written, within the first max bytes.
type capped struct {
	mu    sync.Mutex
	max   int
	buf   bytes.Buffer             // guarded by mu
	waits map[string]chan struct{} // open until their text is in buf; guarded by mu
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	c.check()
	return len(p), nil
}

// seen returns a channel closed once text has been written.
func (c *capped) seen(text string) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waits == nil {
		c.waits = map[string]chan struct{}{}
	}
	w, ok := c.waits[text]
	if !ok {
		w = make(chan struct{})
		c.waits[text] = w
	}
	c.check()
	return w
}

// check closes the channels of the texts now in buf; c.mu is held.
func (c *capped) check() {
	for text, w := range c.waits {
		if bytes.Contains(c.buf.Bytes(), []byte(text)) {
			close(w)
			delete(c.waits, text)
		}
	}
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

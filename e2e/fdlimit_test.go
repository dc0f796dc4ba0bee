package e2e

import (
	"bytes"
	"os"
	"strconv"
	"strings"
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
const recoverLimit = 5 * time.Second

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
			peak := pollFDs(t, inst.Addr(), pid)
			over := sweepExternal(t, target, pools, 32, 300*time.Millisecond, 200*time.Millisecond)[0]
			fd := peak()
			t.Logf("limit %d fds, 32 conns: %d ok, %v; server fds at most %d of %d", limit, over.Requests, over.Errors, fd.Open, fd.Limit)
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
			if !waitLogged(stderr, "too many open files") {
				t.Errorf("server did not log EMFILE; its stderr:\n%s", stderr)
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
				back = sweepExternal(t, target, pools, 2, 300*time.Millisecond, 200*time.Millisecond)[0]
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

// waitLogged waits up to 5s for text to appear in the log.
func waitLogged(log *capped, text string) bool {
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(log.String(), text) {
			return true
		}
	}
	return false
}

// capped is a concurrency-safe writer that keeps the first max bytes, so
// that a server logging every failed accept cannot grow the test's memory.
type capped struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer // guarded by mu
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

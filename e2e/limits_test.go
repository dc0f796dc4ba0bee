package e2e

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/kernelnet"
)

// runDeadline bounds every sweep these tests run: a sweep still running
// then has hung, and the test fails instead of waiting for go test's timeout.
const runDeadline = 60 * time.Second

// sweepExternal runs one point per pool design against the server at addr
// and returns the points in pool order. A sweep that overruns runDeadline
// fails the test as a hang.
func sweepExternal(t *testing.T, srv harness.Server, pools []harness.Pool, conns int, window, opTimeout time.Duration) []harness.Point {
	t.Helper()
	return sweepExternalUntil(t, srv, pools, conns, window, opTimeout, nil)
}

// sweepExternalUntil is sweepExternal with each point's window ended by
// the event next's untils wait for (nil: none), window at the most.
func sweepExternalUntil(t *testing.T, srv harness.Server, pools []harness.Pool, conns int, window, opTimeout time.Duration, next func() until) []harness.Point {
	t.Helper()
	s := &harness.Sweep{
		Servers:  []harness.Server{srv},
		Pools:    pools,
		Settings: oneLevel(conns, 0, window, opTimeout),
	}
	if next != nil {
		endOnEvent(s, next)
	}
	return runSweep(t, s).Points
}

// checkClasses fails unless every failed request of pt is of a class in ok.
func checkClasses(t *testing.T, what string, pt harness.Point, ok ...harness.Class) {
	t.Helper()
	allowed := map[harness.Class]bool{}
	for _, c := range ok {
		allowed[c] = true
	}
	for c, n := range pt.Errors {
		if n > 0 && !allowed[harness.Class(c)] {
			t.Errorf("%s %s: %d failures of class %v, want only %v (first other: %q)",
				what, pt.Pool, n, harness.Class(c), ok, pt.FirstOther)
		}
	}
}

// dialCount follows the conns of one pool as its dialer sees them. A conn
// counts as open from its dial's start until its first Close, so maxOpen is
// the most conns the pool ever had open or dialing: at most MaxConns.
type dialCount struct {
	mu      sync.Mutex
	open    int // dialing or dialed and not yet closed; guarded by mu
	maxOpen int // guarded by mu
}

func (d *dialCount) snapshot() (open, maxOpen int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.open, d.maxOpen
}

// wrap counts the conns dial makes. It keeps them *net.TCPConn underneath,
// so a pool's dead-peer peek still reaches the socket.
func (d *dialCount) wrap(dial func(context.Context) (net.Conn, error)) func(context.Context) (net.Conn, error) {
	return func(ctx context.Context) (net.Conn, error) {
		d.mu.Lock()
		d.open++
		d.maxOpen = max(d.maxOpen, d.open)
		d.mu.Unlock()
		c, err := dial(ctx)
		if err != nil {
			d.closed()
			return nil, err
		}
		return &countedConn{TCPConn: c.(*net.TCPConn), d: d}, nil
	}
}

func (d *dialCount) closed() {
	d.mu.Lock()
	d.open--
	d.mu.Unlock()
}

type countedConn struct {
	*net.TCPConn
	once sync.Once
	d    *dialCount
}

func (c *countedConn) Close() error {
	c.once.Do(c.d.closed)
	return c.TCPConn.Close()
}

// countedPools returns the registered pool designs with their dialers
// counted, one dialCount per design (each design runs one point at a time).
func countedPools() ([]harness.Pool, map[string]*dialCount) {
	counts := map[string]*dialCount{}
	pools := registeredPools()
	for i, pd := range pools {
		d := &dialCount{}
		counts[pd.Name] = d
		pools[i].New = func(cfg pool.Config) (pool.Pool, error) {
			cfg.Dial = d.wrap(cfg.Dial)
			return pd.New(cfg)
		}
	}
	return pools, counts
}

// waitAllClosed waits until every conn counted by d is closed: a pool that
// was closed and got all its conns back must close them all.
func waitAllClosed(t *testing.T, name string, d *dialCount) {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for {
		open, _ := d.snapshot()
		if open == 0 {
			return
		}
		if time.Now().After(end) {
			t.Errorf("%s: %d conns still open or dialing 5s after the pool was closed", name, open)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// oneLevel is the settings of a sweep of one point per server and pool:
// workers workers on a pool of as many conns, one repetition.
func oneLevel(workers int, warmup, window, opTimeout time.Duration) harness.Settings {
	return harness.Settings{
		Workers: []int{workers}, MaxConns: []int{harness.Auto},
		Duration: window, Warmup: warmup, Count: 1, Size: harness.DefaultSize, OpTimeout: opTimeout,
	}
}

// registeredPools passes every registered pool design to the harness as a
// value, as poolbench sweep does.
func registeredPools() []harness.Pool {
	var ps []harness.Pool
	for _, d := range impls.Pools() {
		ps = append(ps, harness.Pool{Name: d.Name, New: d.New})
	}
	return ps
}

// kernelWindow starts a kernelnet window on the server at addr (process
// pid, 0 for none), sampling every interval (0: only at its ends).
func kernelWindow(t *testing.T, addr string, pid int, interval time.Duration) *kernelnet.Window {
	t.Helper()
	r := kernelReader(t, addr, pid)
	w, err := r.Begin(interval)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// pollFDs polls the fds of the server at addr (process pid) every
// millisecond until the returned func is called, which returns the most
// seen at once with the limit; the channel is closed the first time a poll
// sees the headroom at 0.
func pollFDs(t *testing.T, addr string, pid int) (func() kernelnet.FDs, <-chan struct{}) {
	t.Helper()
	r := kernelReader(t, addr, pid)
	stop, done, zero := make(chan struct{}), make(chan kernelnet.FDs), make(chan struct{})
	go func() {
		var peak kernelnet.FDs
		atZero := false
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if fd, err := r.FDs(); err == nil {
				if !atZero && fd.Headroom() == 0 {
					atZero = true
					close(zero)
				}
				peak.Limit = fd.Limit
				peak.Open = max(peak.Open, fd.Open)
			}
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() kernelnet.FDs {
		close(stop)
		return <-done
	}, zero
}

// kernelReader returns a kernelnet Reader for the server at addr (process
// pid, 0 for none).
func kernelReader(t *testing.T, addr string, pid int) *kernelnet.Reader {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	r, err := kernelnet.New(n, pid)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

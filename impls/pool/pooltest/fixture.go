package pooltest

import (
	"fmt"
	"net"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// Time limits of the properties. Inside a bubble they are virtual and cost
// nothing; in real-time properties only a failing pool waits them out.
const (
	// waitLimit is the ctx deadline of a Get that should succeed, and how
	// long the suite waits for anything that should happen.
	waitLimit = 5 * time.Second
	// ctxGrace is how long after its ctx ended a Get may take to return.
	ctxGrace = 2 * time.Second
	// prompt is how soon a Get must return after its ctx is cancelled or
	// its pool closed, in virtual time.
	prompt = 100 * time.Millisecond
)

// fixture is one pool under test with its dialer.
type fixture struct {
	*checkT
	p       pool.Pool
	d       *Dialer
	cfg     pool.Config
	virtual bool          // inside a synctest bubble
	returns chan struct{} // a pending Get returned (buffered 1)
	closed  bool          // the property closed the pool itself
}

// fixture builds a pool from cfg, with a fresh Dialer as cfg.Dial unless cfg
// has one. The pool is closed when the property ends, if the property did
// not close it.
func (c *checkT) fixture(cfg pool.Config) *fixture {
	d := NewDialer(cfg.MaxConns)
	if cfg.Dial == nil {
		cfg.Dial = d.Dial
	}
	return c.fixtureWith(cfg, d)
}

// fixtureWith builds a pool from cfg, whose Dial must be d's.
func (c *checkT) fixtureWith(cfg pool.Config, d *Dialer) *fixture {
	f := &fixture{checkT: c, d: d, cfg: cfg, virtual: self().bubble != 0, returns: make(chan struct{}, 1)}
	c.Cleanup(d.closeAll)
	p, err := c.build(cfg)
	if err != nil {
		c.Fatalf("building the pool with %+v: %v", cfgText(cfg), err)
	}
	f.p = p
	c.Cleanup(func() {
		if !f.closed {
			f.close()
		}
	})
	return f
}

// build calls newPool, turning a panic into an error.
func (c *checkT) build(cfg pool.Config) (p pool.Pool, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("constructor panicked: %v", r)
		}
	}()
	c.setOp("the constructor")
	defer c.setOp("")
	return c.newPool(cfg)
}

// cfgText renders cfg without its Dial func.
func cfgText(cfg pool.Config) string {
	return fmt.Sprintf("{MaxConns:%d MaxIdle:%d IdleTimeout:%v MaxLifetime:%v NoAliveCheck:%v Dial:%s}",
		cfg.MaxConns, cfg.MaxIdle, cfg.IdleTimeout, cfg.MaxLifetime, cfg.NoAliveCheck,
		map[bool]string{true: "nil", false: "set"}[cfg.Dial == nil])
}

// id returns the dialer's id of the conn behind c (0 for nil or unknown).
func (f *fixture) id(c net.Conn) int {
	if c == nil {
		return 0
	}
	return f.d.ID(c)
}

// mustGet runs a Get that must succeed, and returns the conn and its id.
func (f *fixture) mustGet(why string) (net.Conn, int) {
	c, err := f.get(waitLimit)
	if err != nil {
		f.Fatalf("Get (%s): %v", why, err)
	}
	id := f.id(c)
	if id == 0 {
		f.Fatalf("Get (%s) returned %T whose conn the suite cannot identify: wrap conns with "+
			"an Unwrap() net.Conn method or embed them so LocalAddr passes through", why, c)
	}
	return c, id
}

// fill gets n conns, which must all succeed, and returns them held.
func (f *fixture) fill(n int) []net.Conn {
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i], _ = f.mustGet(fmt.Sprintf("conn %d of %d", i+1, n))
	}
	return conns
}

// putAll Puts every conn, which must succeed.
func (f *fixture) putAll(conns []net.Conn) {
	for _, c := range conns {
		f.mustPut(c)
	}
}

// put calls Put and returns its error.
func (f *fixture) put(c net.Conn) error { return f.giveBack("Put", f.p.Put, c) }

// discard calls Discard and returns its error.
func (f *fixture) discard(c net.Conn) error { return f.giveBack("Discard", f.p.Discard, c) }

// mustPut calls Put, which must succeed.
func (f *fixture) mustPut(c net.Conn) { f.must("Put", f.put, c) }

// mustDiscard calls Discard, which must succeed.
func (f *fixture) mustDiscard(c net.Conn) { f.must("Discard", f.discard, c) }

// giveBack calls Put or Discard (op, called name) on c, naming it as the
// call in progress.
func (f *fixture) giveBack(name string, op func(net.Conn) error, c net.Conn) error {
	f.setOp(fmt.Sprintf("%s(conn %d)", name, f.id(c)))
	defer f.setOp("")
	return op(c)
}

// must calls give (put or discard) on c and fails the property on error.
func (f *fixture) must(name string, give func(net.Conn) error, c net.Conn) {
	if err := give(c); err != nil {
		f.Fatalf("%s(conn %d): %v", name, f.id(c), err)
	}
}

// close closes the pool and returns Close's error.
func (f *fixture) close() error {
	f.closed = true
	f.setOp("Close")
	defer f.setOp("")
	return f.p.Close()
}

// settle lets the goroutines started so far run until they block: inside a
// bubble, until every goroutine is durably blocked; in real time, until each
// of ws has returned or has been seen blocked twice in a row (bounded by
// waitLimit; past it, settle returns anyway).
func (f *fixture) settle(ws ...*pending) {
	if f.virtual {
		synctest.Wait()
		return
	}
	deadline := time.Now().Add(waitLimit)
	seen := make(map[int64]int)
	for time.Now().Before(deadline) {
		states := make(map[int64]bool)
		for _, g := range goroutines() {
			states[g.id] = g.blocked()
		}
		all := true
		for _, w := range ws {
			if w.returned() {
				continue
			}
			if states[w.gid] {
				seen[w.gid]++
			} else {
				seen[w.gid] = 0
			}
			if seen[w.gid] < 2 {
				all = false
			}
		}
		if all {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// serve hands back every conn the Gets in ws obtain, as they obtain them,
// until all have returned, and returns the errors of those that failed.
// It fails the property if they are not all done within waitLimit+ctxGrace.
func (f *fixture) serve(ws []*pending) []error {
	timer := time.NewTimer(waitLimit + ctxGrace)
	defer timer.Stop()
	handled := make([]bool, len(ws))
	var errs []error
	for left := len(ws); left > 0; {
		progress := false
		for i, w := range ws {
			if handled[i] || !w.returned() {
				continue
			}
			handled[i], progress = true, true
			left--
			if w.err != nil {
				errs = append(errs, w.err)
			} else {
				f.mustPut(w.conn)
			}
		}
		if progress {
			continue
		}
		select {
		case <-f.returns:
		case <-timer.C:
			f.Fatalf("%d of %d Gets were still waiting %v after every conn was returned (a lost wake-up?)",
				left, len(ws), waitLimit+ctxGrace)
		}
	}
	return errs
}

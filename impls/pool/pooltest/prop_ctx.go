package pooltest

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// errDial is the scripted dial failure.
var errDial = errors.New("pooltest: scripted dial failure")

// checkCancelWhileWaiting: cancelling a parked Get makes it return
// context.Canceled promptly; the slot is not lost.
func checkCancelWhileWaiting(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 1})
	a, aid := f.mustGet("the only conn")
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	w := f.startGetCtx(ctx, cancel)
	f.settle(w)
	if w.returned() {
		f.Fatalf("a Get returned at once with the only conn held: %v", w.err)
	}
	cancel()
	f.settle(w)
	if !w.wait(prompt) {
		f.Fatalf("a waiting Get had not returned %v after its ctx was cancelled", prompt)
	}
	if w.err == nil || !errors.Is(w.err, context.Canceled) {
		f.Errorf("a cancelled waiting Get returned conn %d and error %v, want an error wrapping context.Canceled", f.id(w.conn), w.err)
	}
	f.mustPut(a)
	b, bid := f.mustGet("after the cancel")
	switch dials := f.d.Stats().Dials; {
	case f.caps.NeverReuses && (bid == aid || dials != 2):
		// The cancelled Get must not have kept the slot: the next Get dials.
		f.Errorf("after the cancelled Get, Get returned conn %d after %d dials, want a fresh conn and 2 dials (the pool never reuses)", bid, dials)
	case !f.caps.NeverReuses && (bid != aid || dials != 1):
		f.Errorf("after the cancelled Get, Get returned conn %d after %d dials, want the idle conn %d and 1 dial", bid, dials, aid)
	}
	f.mustPut(b)
}

// checkAcquireTimeout: a waiting Get whose ctx deadline passes returns an
// error wrapping context.DeadlineExceeded, at the deadline.
func checkAcquireTimeout(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 1})
	a, _ := f.mustGet("the only conn")
	const timeout = 100 * time.Millisecond
	start := time.Now()
	conn, err := f.get(timeout)
	took := time.Since(start)
	switch {
	case err == nil:
		f.Errorf("Get returned conn %d with the only conn held", f.id(conn))
	case !errors.Is(err, context.DeadlineExceeded):
		f.Errorf("Get past its deadline returned %q, which is not errors.Is context.DeadlineExceeded", err)
	case took < timeout:
		f.Errorf("Get returned %q after %v, before its %v deadline", err, took, timeout)
	case took > timeout+prompt:
		f.Errorf("Get returned %v after its %v deadline, want within %v", took-timeout, timeout, prompt)
	}
	f.mustPut(a)
}

// checkDialErrorRestoresCapacity: three failed dials each reach their Get
// with the dial's error; then MaxConns Gets succeed at once.
func checkDialErrorRestoresCapacity(c *checkT) {
	const n = 2
	f := c.fixture(pool.Config{MaxConns: n})
	f.d.FailNext(errDial, errDial, errDial)
	for i := range 3 {
		conn, err := f.get(waitLimit)
		if !errors.Is(err, errDial) {
			f.Fatalf("Get %d with a failing dial returned conn %d and error %v, want the dial's error (errors.Is)", i+1, f.id(conn), err)
		}
	}
	for i := range n {
		conn, err := f.get(time.Second)
		if err != nil {
			f.Fatalf("Get %d of %d after 3 failed dials: %v (failed dials did not give back their slots)", i+1, n, err)
		}
		defer f.mustPut(conn)
	}
	if st := f.d.Stats(); st.Dials != 3+n || st.Dialing != 0 {
		f.Errorf("%d dials (%d in flight), want %d", st.Dials, st.Dialing, 3+n)
	}
}

// checkNoStrandedWaiter: two Gets wait behind a dial that then fails; both
// must be served (one dials, the other gets that conn when it comes back).
func checkNoStrandedWaiter(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 1})
	f.d.FailNext(errDial)
	f.d.Hold()
	first := f.dialing(1)
	ws := []*pending{f.startGet(waitLimit)}
	f.settle(ws[0])
	ws = append(ws, f.startGet(waitLimit))
	f.settle(ws...)
	f.d.Release()
	if _, err := f.result(first, waitLimit); !errors.Is(err, errDial) {
		f.Errorf("the Get whose dial failed returned %v, want the dial's error", err)
	}
	if errs := f.serve(ws); len(errs) > 0 {
		f.Errorf("a Get waiting behind the failed dial failed: %v", errs[0])
	}
}

// checkDialOutsideLock: while a dial hangs, Stats, Put, a Get of the idle
// conn, and another Put complete.
func checkDialOutsideLock(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 3})
	a, _ := f.mustGet("first conn")
	b, _ := f.mustGet("second conn")
	f.d.Hold()
	released := false
	defer func() {
		if !released {
			f.d.Release()
		}
	}()
	dialing := f.dialing(1)
	var step atomic.Value
	ops := f.Go(func() {
		step.Store("Stats")
		f.p.Stats()
		step.Store("Put")
		f.mustPut(a)
		step.Store("Get of an idle conn")
		conn, err := f.get(waitLimit)
		if err != nil {
			f.Fatalf("Get with an idle conn while a dial hangs: %v", err)
		}
		step.Store("Put")
		f.mustPut(conn)
		f.mustPut(b)
	})
	// Half of waitLimit: the hanging dial's Get gives up at waitLimit, and a
	// pool that dials under its lock lets go of it then, so the ops must be
	// judged before that or they pass by luck.
	timer := time.NewTimer(waitLimit / 2)
	defer timer.Stop()
	select {
	case <-ops:
		if f.d.Stats().Dials != 3 {
			f.Errorf("Get dialed although conns were idle")
		}
	case <-timer.C:
		if f.d.Stats().Dialing > 1 {
			f.Errorf("with a dial hanging, a Get dialed instead of taking the idle conn, and hung on its dial too")
		} else {
			f.Errorf("with a dial hanging, %s did not complete within %v (is the pool's lock held across Dial?)", step.Load(), waitLimit/2)
		}
	}
	released = true
	f.d.Release()
	if !waitClosed(ops, waitLimit) {
		f.Fatalf("%s still blocked %v after the dial was let go", step.Load(), waitLimit)
	}
	if conn, err := f.result(dialing, waitLimit); err == nil {
		f.mustPut(conn)
	}
}

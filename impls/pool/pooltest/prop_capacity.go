package pooltest

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// checkTotalCap: 4N Gets at once while dials hang, so a pool that counts
// only established conns (not dials in flight) over-dials; then every Get is
// served as conns come back. Real time, because a pool that dials under its
// lock would stall a bubble.
func checkTotalCap(c *checkT) {
	const n = 4
	f := c.fixture(pool.Config{MaxConns: n})
	f.d.Hold()
	ws := make([]*pending, 4*n)
	for i := range ws {
		ws[i] = f.startGet(waitLimit)
	}
	f.settle(ws...)
	if st := f.d.Stats(); st.Dialing > n {
		f.Errorf("%d dials in flight at once with MaxConns %d", st.Dialing, n)
	}
	f.d.Release()

	// N Gets get a conn; the rest wait (or fail fast).
	if !f.d.waitFor(waitLimit, func(s DialerStats) bool { return s.Live+s.Failed >= n }) {
		f.Fatalf("only %d conns dialed within %v of releasing the dials, want %d", f.d.Stats().Live, waitLimit, n)
	}
	f.settle(ws...)
	held := 0
	for _, w := range ws {
		if w.returned() && w.err == nil {
			held++
		}
	}
	if held > n {
		f.Errorf("%d Gets hold a conn at once with MaxConns %d", held, n)
	}
	errs := f.serve(ws)
	for _, err := range errs {
		if !f.caps.FailFast || errors.Is(err, pool.ErrClosed) {
			f.Errorf("a Get failed: %v", err)
			break
		}
	}
	f.capHeld()
}

// capHeld fails the property if any dial broke the cap.
func (f *fixture) capHeld() {
	for _, v := range f.d.Violations() {
		f.Errorf("%s", v)
	}
	if st := f.d.Stats(); st.MaxOpen > f.cfg.MaxConns {
		f.Errorf("up to %d conns were open or dialing at once, MaxConns %d", st.MaxOpen, f.cfg.MaxConns)
	}
}

// checkCapUnderChurn: 64 goroutines doing random Get/Put/Discard; the
// dialer checks the cap at every dial.
func checkCapUnderChurn(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 8})
	f.churn(64, 150)
	f.capHeld()
}

// churn runs workers goroutines of up to ops random Get/hold/Put-or-Discard
// each (stopping early after a second), checking that no conn is held by two
// of them at once.
func (f *fixture) churn(workers, ops int) {
	var held sync.Map // conn id -> *atomic.Bool, set while a worker holds it
	var stop atomic.Bool
	timer := time.AfterFunc(time.Second, func() { stop.Store(true) })
	defer timer.Stop()
	var wg sync.WaitGroup
	var once sync.Once
	fail := func(format string, args ...any) {
		once.Do(func() { f.Errorf(format, args...) })
		stop.Store(true)
	}
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := 0; i < ops && !stop.Load(); i++ {
				f.churnOne(rng, &held, fail)
			}
		})
	}
	wg.Wait()
}

// churnOne is one Get, a short hold, and a Put or a Discard.
func (f *fixture) churnOne(rng *rand.Rand, held *sync.Map, fail func(string, ...any)) {
	// The Get runs on its own goroutine so that one the pool never wakes (a
	// lost wake-up) is a failure, not a hang of the whole property.
	w := f.startGet(waitLimit)
	if !w.wait(waitLimit + ctxGrace) {
		fail("a Get under churn had not returned %v after it began, with conns coming back (a lost wake-up?)",
			waitLimit+ctxGrace)
		return
	}
	conn, err := w.conn, w.err
	if err != nil {
		if !f.caps.FailFast || errors.Is(err, pool.ErrClosed) {
			fail("a Get failed under churn: %v", err)
		}
		return
	}
	id := f.id(conn)
	flag, _ := held.LoadOrStore(id, new(atomic.Bool))
	if !flag.(*atomic.Bool).CompareAndSwap(false, true) {
		fail("conn %d was handed to a second caller while the first still held it", id)
		return
	}
	for range rng.IntN(4) {
		runtime.Gosched()
	}
	flag.(*atomic.Bool).Store(false)
	if rng.IntN(4) == 0 {
		err = f.p.Discard(conn)
	} else {
		err = f.p.Put(conn)
	}
	if err != nil {
		fail("returning conn %d under churn: %v", id, err)
	}
}

// checkFullPoolDoesNotDial: with MaxConns conns held, a Get must not dial;
// it waits (or fails at once, for a FailFast pool). Whether and when it
// gives up is AcquireTimeout's business, so a pool that ignores ctx passes.
func checkFullPoolDoesNotDial(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 2})
	a, _ := f.mustGet("first conn")
	b, _ := f.mustGet("second conn")
	w := f.blocked("a third")
	f.mustPut(a)
	f.release(w)
	f.mustPut(b)
	f.capHeld()
}

// checkIdleBound: MaxIdle 2 of MaxConns 6; returning 6 conns keeps 2 and
// closes 4, each once; the 2 kept are reused.
func checkIdleBound(c *checkT) {
	const n, k = 6, 2
	f := c.fixture(pool.Config{MaxConns: n, MaxIdle: k})
	f.putAll(f.fill(n))
	if st := f.d.Stats(); st.Live != k || st.Closed != n-k || st.DoubleCloses != 0 {
		f.Errorf("after returning %d conns with MaxIdle %d: %d live, %d closed, %d closed twice; want %d live, %d closed, 0 twice",
			n, k, st.Live, st.Closed, st.DoubleCloses, k, n-k)
	}
	for range k {
		conn, _ := f.mustGet("reusing an idle conn")
		defer f.mustPut(conn)
	}
	if d := f.d.Stats().Dials; d != n {
		f.Errorf("taking the %d idle conns dialed %d more times", k, d-n)
	}
}

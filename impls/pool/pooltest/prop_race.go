package pooltest

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// Bounds of the targeted races. Each runs rounds until its time budget is
// spent, never stopping early at a round count, so the odds of hitting a
// window grow with the budget and not with how fast the pool is.
const (
	// raceBudget bounds PutGetRace in real time. The race needs the Get and
	// the Put to run in parallel, so how often it is caught depends on free
	// CPUs: the silenceper peer's test accepts either outcome for it (see
	// impls/peers/silenceper), and no catch rate is claimed here, since no
	// script measures one.
	raceBudget = 3 * time.Second
	// grantBudget bounds CancelGrantRace in real time.
	grantBudget = time.Second
	// raceStuck is how long a Get may still wait after the Put it raced
	// before the suite looks for an idle conn it should have had.
	raceStuck = time.Second
	// spinMax is the longest random busy-wait, in loop iterations (about a
	// microsecond or two), each side of a race takes before acting, so that
	// over many rounds their relative timing sweeps the race window.
	spinMax = 2000
)

// spinSink keeps spin's loop from being optimised away.
var spinSink atomic.Int64

// spin busy-waits for n loop iterations.
func spin(n int) {
	x := 0
	for i := range n {
		x += i
	}
	spinSink.Store(int64(x))
}

// checkPutGetRace: pool size 1; each round one Get races one Put of the only
// conn, with random offsets. A Get that then sleeps while the conn is idle
// (its pool checked for an idle conn, missed the Put, and registered as a
// waiter too late) is a lost wake-up.
func checkPutGetRace(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 1})
	conn, want := f.mustGet("the only conn")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The worker runs round r once start reaches r, and publishes its Get's
	// outcome before setting done to r. start -1 stops it.
	var start, done, gid atomic.Int64
	var got net.Conn
	var gotErr error
	worker := f.Go(func() {
		gid.Store(self().id)
		rng := rand.New(rand.NewPCG(2, 2))
		for r := int64(1); ; r++ {
			for i := 0; start.Load() < r && start.Load() >= 0; i++ {
				if i%64 == 63 {
					runtime.Gosched()
				}
			}
			if start.Load() < 0 {
				return
			}
			spin(rng.IntN(spinMax))
			got, gotErr = f.p.Get(ctx)
			done.Store(r)
		}
	})
	defer func() {
		start.Store(-1)
		cancel()
		if !waitClosed(worker, waitLimit) {
			f.Errorf("the racing Get never returned, even after its ctx was cancelled")
		}
	}()

	rng := rand.New(rand.NewPCG(1, 1))
	begin := time.Now()
	r := int64(1)
	for ; time.Since(begin) < raceBudget; r++ {
		start.Store(r)
		if rng.IntN(2) == 0 {
			runtime.Gosched() // with one P, the only way the worker's Get can start before the Put
		}
		spin(rng.IntN(spinMax))
		f.mustPut(conn)
		if !awaitRound(&done, r) {
			f.lostWakeup(r, &done, gid.Load())
			return
		}
		if gotErr != nil {
			f.Fatalf("round %d: the Get racing a Put failed: %v", r, gotErr)
		}
		if id := f.id(got); id != want {
			f.Fatalf("round %d: the Get racing a Put got conn %d, want the only conn %d", r, id, want)
		}
		conn = got
	}
	f.Logf("%d rounds in %v", r-1, time.Since(begin).Round(time.Millisecond))
	f.mustPut(conn)
}

// awaitRound waits for done to reach r: a short spin, then up to raceStuck.
func awaitRound(done *atomic.Int64, r int64) bool {
	for i := 0; i < 1<<12; i++ {
		if done.Load() >= r {
			return true
		}
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	deadline := time.Now().Add(raceStuck)
	for time.Now().Before(deadline) {
		if done.Load() >= r {
			return true
		}
		time.Sleep(50 * time.Microsecond)
	}
	return done.Load() >= r
}

// asleep waits, up to waitLimit in all, until the worker goroutine gid has
// finished round r (false) or is seen blocked in three looks a millisecond
// apart (true): a Get still running after raceStuck on a starved machine is
// slow, not asleep.
func asleep(done *atomic.Int64, r, gid int64) bool {
	deadline := time.Now().Add(waitLimit)
	for looks := 0; time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if done.Load() >= r {
			return false
		}
		looks++
		for _, g := range goroutines() {
			if g.id == gid && !g.blocked() {
				looks = 0
			}
		}
		if looks >= 3 {
			return done.Load() < r
		}
	}
	return false
}

// lostWakeup looks into a Get that had not returned raceStuck after round
// r's Put. If it is blocked, a probe Get shows whether the conn sat idle
// meanwhile; the probe's conn is then put back, which frees the sleeper in a
// pool whose Get ignores ctx.
func (f *fixture) lostWakeup(r int64, done *atomic.Int64, gid int64) {
	if !asleep(done, r, gid) {
		if done.Load() < r {
			f.Errorf("round %d: a Get that raced a Put neither returned nor blocked within %v", r, waitLimit)
		}
		return
	}
	probe := f.startGet(prompt)
	if !probe.wait(prompt+ctxGrace) || probe.err != nil {
		f.Errorf("round %d: a Get that raced a Put of the only conn was asleep %v later, "+
			"and a probe Get found no idle conn either: the conn was lost", r, raceStuck)
		return
	}
	f.Errorf("round %d: lost wake-up: a Get that raced a Put of the only conn was asleep %v later "+
		"while the conn sat idle (a probe Get took conn %d at once)", r, raceStuck, f.id(probe.conn))
	f.mustPut(probe.conn)
}

// checkCancelGrantRace: pool size 1; each round a Get waits for the only
// conn, then a Put of it races the cancel of the Get's ctx. Whichever wins,
// the conn must end up with the Get or back in the pool.
func checkCancelGrantRace(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 1})
	conn, _ := f.mustGet("the only conn")
	rng := rand.New(rand.NewPCG(3, 3))
	begin := time.Now()
	r := 1
	for ; time.Since(begin) < grantBudget; r++ {
		ctx, cancel := context.WithCancel(context.Background())
		w := f.startGetCtx(ctx, cancel)
		spin(rng.IntN(4 * spinMax))
		held := conn
		put := f.Go(func() { f.mustPut(held) })
		spin(rng.IntN(spinMax / 4))
		cancel()
		if !waitClosed(put, waitLimit) {
			f.Fatalf("round %d: Put did not return within %v", r, waitLimit)
		}
		if !w.wait(waitLimit) {
			f.Fatalf("round %d: a Get had not returned %v after a Put and a cancel", r, waitLimit)
		}
		if w.err == nil {
			conn = w.conn
			continue
		}
		if !errors.Is(w.err, context.Canceled) {
			f.Fatalf("round %d: a cancelled Get returned %v, want context.Canceled", r, w.err)
		}
		var err error
		if conn, err = f.get(waitLimit); err != nil {
			f.Fatalf("round %d: a Get was cancelled as a Put handed it the only conn, and the conn was lost "+
				"(the next Get failed: %v)", r, err)
		}
	}
	f.Logf("%d rounds in %v", r-1, time.Since(begin).Round(time.Millisecond))
	f.mustPut(conn)
	want := 1 // the returned conn stays idle
	if f.caps.NeverReuses {
		want = 0 // Put closed it
	}
	if st := f.d.Stats(); st.Live != want {
		f.Errorf("%d conns open after the races with MaxConns 1 and the conn returned, want %d", st.Live, want)
	}
	f.capHeld()
}

// checkCancelDuringDial: a Get cancelled while its dial hangs returns
// promptly when the pool passes ctx to Dial (DialCtx); and when the dial
// ignores ctx and delivers its conn late, that conn is not leaked: it goes
// to the caller, stays idle, or is closed.
func checkCancelDuringDial(c *checkT) {
	if c.caps.DialCtx {
		f := c.fixture(pool.Config{MaxConns: 1})
		f.d.Hold()
		w := f.dialing(1)
		w.cancel()
		if !w.wait(ctxGrace) {
			f.Errorf("a Get cancelled during its dial had not returned %v later (DialCtx declared)", ctxGrace)
		} else if !errors.Is(w.err, context.Canceled) {
			f.Errorf("a Get cancelled during its dial returned conn %d and error %v, want context.Canceled", f.id(w.conn), w.err)
		}
		f.d.Release()
		if !f.d.waitFor(waitLimit, func(s DialerStats) bool { return s.Dialing == 0 }) {
			f.Fatalf("the cancelled dial was still in flight %v later", waitLimit)
		}
		conn, _ := f.mustGet("after a cancelled dial")
		f.mustPut(conn)
	} else {
		c.Partial("the prompt-return half: the pool does not pass ctx to Dial (DialCtx false)")
	}

	f := c.fixture(pool.Config{MaxConns: 1})
	f.d.IgnoreCtx(true)
	f.d.Hold()
	w := f.dialing(1)
	w.cancel()
	f.settle(w)
	f.d.Release()
	if conn, err := f.result(w, waitLimit); err == nil {
		f.mustPut(conn)
	}
	// A late conn the pool dropped either keeps its slot, and this Get
	// waits in vain, or frees it unclosed, and this Get's dial breaks the
	// cap (MaxConns 1).
	conn, err := f.get(waitLimit)
	if err != nil {
		f.Fatalf("a dial that ignored its cancelled Get delivered a conn late, and the pool lost it: the next Get failed: %v", err)
	}
	f.mustPut(conn)
	f.capHeld()
}

package ring

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// pipes is a minimal dialer of net.Pipe conns for the focused tests below;
// the conformance suite has the thorough one. It counts live conns and
// Close calls per conn, so a double close shows.
type pipes struct {
	dials, live, closes, doubleCloses atomic.Int64
}

type pipeConn struct {
	net.Conn
	peer   net.Conn
	d      *pipes
	closed atomic.Bool
}

func (d *pipes) dial(context.Context) (net.Conn, error) {
	d.dials.Add(1)
	d.live.Add(1)
	a, b := net.Pipe()
	return &pipeConn{Conn: a, peer: b, d: d}, nil
}

func (c *pipeConn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		c.d.doubleCloses.Add(1)
		return net.ErrClosed
	}
	c.d.live.Add(-1)
	c.d.closes.Add(1)
	c.peer.Close()
	return c.Conn.Close()
}

func newTestPool(t *testing.T, cfg pool.Config) (*Pool, *pipes) {
	t.Helper()
	d := &pipes{}
	cfg.Dial = d.dial
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		if n := d.doubleCloses.Load(); n != 0 {
			t.Errorf("%d conns closed twice", n)
		}
	})
	return p.(*Pool), d
}

func mustGet(t *testing.T, p *Pool) net.Conn {
	t.Helper()
	c, err := p.Get(context.Background())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return c
}

func TestFastPathDoesNotAllocate(t *testing.T) {
	for _, cfg := range []pool.Config{
		{MaxConns: 4},
		{MaxConns: 4, IdleTimeout: time.Minute, MaxLifetime: time.Hour},
	} {
		p, _ := newTestPool(t, cfg)
		p.Put(mustGet(t, p)) // dial once, outside the measurement
		ctx := context.Background()
		allocs := testing.AllocsPerRun(1000, func() {
			c, err := p.Get(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Put(c); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("IdleTimeout %v: Get+Put allocates %.1f times", cfg.IdleTimeout, allocs)
		}
	}
}

// TestHandOffIsFIFOAndNewcomersQueue parks three Gets in order on an
// exhausted pool, then checks that returns reach them oldest first and that
// a Get arriving while they wait queues behind them, even though the conn
// it could take passes through the pool.
func TestHandOffIsFIFOAndNewcomersQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, d := newTestPool(t, pool.Config{MaxConns: 1})
		held := mustGet(t, p)

		order := make(chan int, 4)
		var wg sync.WaitGroup
		get := func(id int) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := p.Get(context.Background())
				if err != nil {
					t.Errorf("waiter %d: %v", id, err)
					return
				}
				order <- id
				p.Put(c)
			}()
			synctest.Wait() // parked before the next one starts
		}
		for id := 1; id <= 3; id++ {
			get(id)
		}
		if n := p.lot.Len(); n != 3 {
			t.Fatalf("%d waiters parked, want 3", n)
		}
		// The newcomer starts while the conn is being passed along the queue.
		p.Put(held)
		get(4)
		wg.Wait()
		close(order)
		want := 1
		for id := range order {
			if id != want {
				t.Fatalf("conn reached waiter %d, want %d", id, want)
			}
			want++
		}
		if dials := d.dials.Load(); dials != 1 {
			t.Errorf("%d dials, want 1", dials)
		}
	})
}

// TestCancelRacingPutLosesNothing races a waiter's cancellation with the
// Put that would serve it, many times; every round the conn must end up
// idle (not lost with the cancelled waiter, not dialed twice).
func TestCancelRacingPutLosesNothing(t *testing.T) {
	p, d := newTestPool(t, pool.Config{MaxConns: 1})
	for round := 0; round < 2000; round++ {
		held := mustGet(t, p)
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan net.Conn, 1)
		go func() {
			c, _ := p.Get(ctx)
			got <- c
		}()
		go cancel()
		p.Put(held)
		if c := <-got; c != nil {
			p.Put(c)
		}
		s := p.Stats()
		if s.Open != 1 || s.Idle != 1 || s.InUse != 0 || p.lot.Len() != 0 {
			t.Fatalf("round %d: stats %+v, waiters %d; want the one conn idle", round, s, p.lot.Len())
		}
	}
	if n := d.dials.Load(); n != 1 {
		t.Fatalf("%d dials, want 1", n)
	}
}

func TestMaxIdleBelowPowerOfTwo(t *testing.T) {
	p, d := newTestPool(t, pool.Config{MaxConns: 8, MaxIdle: 3})
	var held []net.Conn
	for range 8 {
		held = append(held, mustGet(t, p))
	}
	for _, c := range held {
		if err := p.Put(c); err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s.Idle != 3 || s.Open != 3 || d.live.Load() != 3 {
		t.Fatalf("after returning 8 with MaxIdle 3: stats %+v, live %d", s, d.live.Load())
	}
}

// TestReaperClosesIdleWithoutTraffic checks the reaper on virtual time: it
// closes each conn once it has been idle past IdleTimeout, keeps the rest,
// re-arms for them, and leaves nothing scheduled once the pool is empty.
func TestReaperClosesIdleWithoutTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, d := newTestPool(t, pool.Config{MaxConns: 4, IdleTimeout: time.Second})
		a, b := mustGet(t, p), mustGet(t, p)
		p.Put(a)
		time.Sleep(600 * time.Millisecond)
		p.Put(b)
		time.Sleep(600 * time.Millisecond) // a is 1.2s idle, b 0.6s
		synctest.Wait()
		if live, s := d.live.Load(), p.Stats(); live != 1 || s.Idle != 1 || s.IdleTimeoutClosed != 1 {
			t.Fatalf("after 1.2s: live %d, stats %+v; want only b left", live, s)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if live, s := d.live.Load(), p.Stats(); live != 0 || s.Open != 0 || s.IdleTimeoutClosed != 2 {
			t.Fatalf("after 2.2s: live %d, stats %+v; want none", live, s)
		}
	})
}

func TestCloseWakesWaitersAndClosesLateReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, d := newTestPool(t, pool.Config{MaxConns: 2})
		a, b := mustGet(t, p), mustGet(t, p)
		p.Put(a)
		a = mustGet(t, p) // reuses a: both conns held, so the next Get parks

		errc := make(chan error, 1)
		go func() {
			_, err := p.Get(context.Background())
			errc <- err
		}()
		synctest.Wait()
		p.Close()
		if err := <-errc; !errors.Is(err, pool.ErrClosed) {
			t.Fatalf("waiter woken by Close: %v, want ErrClosed", err)
		}
		if live := d.live.Load(); live != 2 {
			t.Fatalf("live %d right after Close, want the 2 held", live)
		}
		for _, c := range []net.Conn{a, b} {
			if err := p.Put(c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.Get(context.Background()); !errors.Is(err, pool.ErrClosed) {
			t.Fatalf("Get after Close: %v", err)
		}
		if live, dials := d.live.Load(), d.dials.Load(); live != 0 || dials != 2 {
			t.Fatalf("after returning everything: live %d, dials %d; want 0 and 2", live, dials)
		}
		if err := p.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	})
}

// stallHead plays a Get stalled inside the ring, between claiming the head
// cell and freeing it, as one on a descheduled thread would be. It returns
// the conn that Get took and a func that lets it finish.
func stallHead(t *testing.T, p *Pool) (net.Conn, func()) {
	t.Helper()
	q := p.idle
	pos := q.head.Load()
	if !q.head.CompareAndSwap(pos, pos+1) {
		t.Fatal("could not claim the head cell")
	}
	c := &q.cells[pos&q.mask]
	return c.val.Acquire(), func() { c.seq.Store(pos + q.mask + 1) }
}

// fillBehindStall leaves p (MaxConns 3) with a Get stalled in the ring
// holding one conn, one conn in the hot cell and the ring's next push bound
// for the stalled cell. It returns the stalled Get's conn, the func that
// lets it finish, and a conn the caller holds, whose Put will spill.
func fillBehindStall(t *testing.T, p *Pool) (stalled net.Conn, resume func(), held net.Conn) {
	t.Helper()
	a, b, c := mustGet(t, p), mustGet(t, p), mustGet(t, p)
	for _, x := range []net.Conn{a, b, c} {
		p.Put(x) // a to the hot cell, b and c to the ring
	}
	stalled, resume = stallHead(t, p)   // b's cell
	a, c = mustGet(t, p), mustGet(t, p) // the hot conn, the ring's last
	p.Put(a)                            // hot again
	return stalled, resume, c
}

// TestStalledGetDoesNotCloseConns: a Put that laps round to the cell a
// stalled Get blocks must keep its conn (in the spill) rather than close
// it, and the spill must drain back into the ring once the Get moves on.
func TestStalledGetDoesNotCloseConns(t *testing.T) {
	p, d := newTestPool(t, pool.Config{MaxConns: 3})
	stalled, resume, c := fillBehindStall(t, p)
	if err := p.Put(c); err != nil { // the hot cell is full, c's ring cell is the stalled one's
		t.Fatal(err)
	}
	if s := p.Stats(); d.live.Load() != 3 || s.Idle != 2 || p.spilled.Load() != 1 {
		t.Fatalf("Put behind a stalled Get: live %d, spilled %d, stats %+v; want c kept in the spill",
			d.live.Load(), p.spilled.Load(), s)
	}
	x, y := mustGet(t, p), mustGet(t, p) // the hot conn, then the spilled one
	if p.spilled.Load() != 0 || d.dials.Load() != 3 {
		t.Fatalf("Gets with a hot and a spilled conn: spilled %d, dials %d; want the spilled conn taken", p.spilled.Load(), d.dials.Load())
	}
	p.Put(x)
	p.Put(y) // spilled again: the cell is still blocked
	if p.spilled.Load() != 1 {
		t.Fatalf("spilled %d, want 1 while the cell is still blocked", p.spilled.Load())
	}

	resume()
	if err := p.Put(stalled); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Idle != 3 || p.spilled.Load() != 0 || d.live.Load() != 3 || d.dials.Load() != 3 {
		t.Fatalf("after the stall: spilled %d, live %d, dials %d, stats %+v; want every conn back in the cell and the ring",
			p.spilled.Load(), d.live.Load(), d.dials.Load(), s)
	}
}

// TestReaperSweepsSpill: a conn kept in the spill expires like one in the
// ring or the hot cell, without traffic.
func TestReaperSweepsSpill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, d := newTestPool(t, pool.Config{MaxConns: 3, IdleTimeout: time.Second})
		stalled, resume, c := fillBehindStall(t, p)
		defer resume()
		p.Put(c)
		if p.spilled.Load() != 1 {
			t.Fatalf("spilled %d, want 1", p.spilled.Load())
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if s := p.Stats(); d.live.Load() != 1 || s.Idle != 0 || s.IdleTimeoutClosed != 2 || p.spilled.Load() != 0 {
			t.Fatalf("2s after spilling: live %d, spilled %d, stats %+v; want the hot and the spilled conn reaped",
				d.live.Load(), p.spilled.Load(), s)
		}
		p.Discard(stalled)
	})
}

// TestChurnWithEveryFeature runs Gets (some with short deadlines), Puts and
// Discards from many goroutines on a small pool with MaxIdle below MaxConns
// and short timeouts, so waiters, cancellations, expiry, the reaper and
// the idle bound all interleave; then it checks that nothing leaked.
func TestChurnWithEveryFeature(t *testing.T) {
	p, d := newTestPool(t, pool.Config{MaxConns: 4, MaxIdle: 3, IdleTimeout: time.Millisecond, MaxLifetime: 5 * time.Millisecond})
	const goroutines, ops = 32, 500
	deadline := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < ops && time.Now().Before(deadline); i++ {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if (g+i)%3 == 0 {
					ctx, cancel = context.WithTimeout(ctx, time.Duration(i%5)*100*time.Microsecond)
				}
				c, err := p.Get(ctx)
				cancel()
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("Get: %v", err)
						return
					}
					continue
				}
				if i%7 == 0 {
					err = p.Discard(c)
				} else {
					err = p.Put(c)
				}
				if err != nil {
					t.Errorf("return: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// A Get whose deadline passed mid-dial has returned, but its dial goes
	// on in the background until dialedLate takes the conn: wait for those
	// (bounded) before counting, or the count catches one in flight.
	for end := time.Now().Add(10 * time.Second); p.Stats().Dialing != 0 && time.Now().Before(end); {
		time.Sleep(100 * time.Microsecond)
	}
	s := p.Stats()
	if s.InUse != 0 || s.Dialing != 0 || s.Open != int(d.live.Load()) || s.Idle > 3 || p.lot.Len() != 0 {
		t.Fatalf("after the churn: stats %+v, live %d, waiters %d", s, d.live.Load(), p.lot.Len())
	}
	p.Close()
	if n := d.live.Load(); n != 0 {
		t.Fatalf("%d conns live after Close", n)
	}
}

package mutexlist

import (
	"context"
	"errors"
	"net"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

func newPool(t *testing.T, cfg pool.Config, d *pooltest.Dialer) *Pool {
	t.Helper()
	cfg.Dial = d.Dial
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p.(*Pool)
}

// quiet checks the pool's books once nothing is in flight: no waiter, no
// dial, and every open conn either idle or held.
func (p *Pool) quiet(t *testing.T, d *pooltest.Dialer, held int) {
	t.Helper()
	p.mu.Lock()
	waiters, numOpen, dialing := p.waiters.len(), p.numOpen, p.dialing
	p.mu.Unlock()
	s, ds := p.Stats(), d.Stats()
	if waiters != 0 || dialing != 0 || numOpen != s.Open || s.Open != ds.Live || s.InUse != held {
		t.Fatalf("books off: %d waiters, %d dialing, numOpen %d, stats %+v, dialer live %d, want %d held",
			waiters, dialing, numOpen, s, ds.Live, held)
	}
}

// TestCancelRacingGrant races a waiter's cancel against the grant that would
// wake it, both kinds: a conn from Put and leave to dial from Discard.
// Whichever wins, the conn or the slot must not be lost. It runs on one P,
// where the interleavings below are forced, and on all of them.
func TestCancelRacingGrant(t *testing.T) {
	for _, procs := range []int{1, runtime.GOMAXPROCS(0)} {
		for _, discard := range []bool{false, true} {
			prev := runtime.GOMAXPROCS(procs)
			synctest.Test(t, func(t *testing.T) { cancelRacingGrant(t, discard) })
			runtime.GOMAXPROCS(prev)
		}
	}
}

func cancelRacingGrant(t *testing.T, discard bool) {
	d := pooltest.NewDialer(1)
	p := newPool(t, pool.Config{MaxConns: 1}, d)
	for round := range 300 {
		held, err := p.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		type result struct {
			c   net.Conn
			err error
		}
		res := make(chan result, 1)
		go func() {
			c, err := p.Get(ctx)
			res <- result{c, err}
		}()
		synctest.Wait() // the waiter is parked
		grant := func() {
			give := p.Put
			if discard {
				give = p.Discard
			}
			if err := give(held); err != nil {
				t.Error(err)
			}
		}
		// Vary who goes first. On one P, "cancel, then grant" runs the
		// grant before the woken waiter, which then finds itself granted
		// after its ctx won the select; "cancel, wait, grant" lets the
		// waiter leave the queue itself.
		switch round % 4 {
		case 0:
			cancel()
			grant()
		case 1:
			grant()
			cancel()
		case 2:
			cancel()
			synctest.Wait()
			grant()
		case 3:
			go cancel()
			go grant()
		}
		r := <-res
		cancel()
		switch {
		case r.err == nil:
			p.Put(r.c) // the grant won outright
		case !errors.Is(r.err, context.Canceled):
			t.Fatalf("waiter got %v, want a conn or context.Canceled", r.err)
		}
		synctest.Wait()
		p.quiet(t, d, 0)
	}
}

// TestLateDialGoesToWaiter: a Get gives up on a dial that ignores ctx; the
// conn it brings later goes to the Get parked behind it, with no new dial.
func TestLateDialGoesToWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := pooltest.NewDialer(1)
		d.Hold()
		d.IgnoreCtx(true)
		p := newPool(t, pool.Config{MaxConns: 1}, d)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if _, err := p.Get(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Fatalf("Get = %v after %v, want DeadlineExceeded after 1s", err, time.Since(start))
		}
		got := make(chan net.Conn)
		go func() {
			c, err := p.Get(context.Background())
			if err != nil {
				t.Error(err)
			}
			got <- c
		}()
		synctest.Wait()
		if s := p.Stats(); s.Waits != 1 || s.Dialing != 1 {
			t.Fatalf("second Get did not park behind the abandoned dial: %+v", s)
		}
		d.Release()
		c := <-got
		if id := d.ID(c); id != 1 || d.Stats().Dials != 1 {
			t.Fatalf("waiter got conn %d after %d dials, want the late conn 1", id, d.Stats().Dials)
		}
		p.Put(c)
		p.quiet(t, d, 0)
	})
}

// TestReaperFollowsEarliestExpiry: a conn put idle later may die sooner (by
// MaxLifetime), and the reaper must re-arm for it rather than sleep on.
func TestReaperFollowsEarliestExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := pooltest.NewDialer(2)
		p := newPool(t, pool.Config{MaxConns: 2, IdleTimeout: time.Minute, MaxLifetime: 20 * time.Second}, d)
		ctx := context.Background()
		older, _ := p.Get(ctx)
		time.Sleep(5 * time.Second)
		younger, _ := p.Get(ctx)
		p.Put(younger) // dies at +25s of lifetime
		time.Sleep(time.Second)
		p.Put(older) // put later, dies sooner: at +20s
		time.Sleep(14*time.Second + time.Millisecond)
		synctest.Wait()
		if s := p.Stats(); s.Idle != 1 || s.MaxLifetimeClosed != 1 || s.Expired() != 1 || d.Stats().Live != 1 {
			t.Fatalf("at +20s: %+v, live %d; want the older conn reaped", s, d.Stats().Live)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if s := p.Stats(); s.Idle != 0 || s.MaxLifetimeClosed != 2 || s.Expired() != 2 || d.Stats().Live != 0 {
			t.Fatalf("at +25s: %+v, live %d; want both reaped", s, d.Stats().Live)
		}
	})
}

package chanpool

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
	"github.com/poolbench/poolbench/internal/lease"
)

func newPool(t *testing.T, cfg pool.Config) *Pool {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p.(*Pool)
}

func raw(c net.Conn) net.Conn { return c.(*lease.Conn).Unwrap() }

// TestBadIdleConnsKeepOneToken: a Get that finds two dead idle conns closes
// both and dials once with a token one of them freed, leaving exactly one
// token taken. Dead peers need kernel sockets, so this runs on loopback.
func TestBadIdleConnsKeepOneToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var nd net.Dialer
	p := newPool(t, pool.Config{MaxConns: 2, Dial: func(ctx context.Context) (net.Conn, error) {
		return nd.DialContext(ctx, "tcp", ln.Addr().String())
	}})
	ctx := context.Background()
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	for _, c := range []net.Conn{a, b} {
		(<-accepted).Close()
		// Wait for the FIN, so the pool's peek is bound to see it.
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("read after peer close: %v, want EOF", err)
		}
		c.SetReadDeadline(time.Time{})
	}
	p.Put(a)
	p.Put(b)
	c, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer (<-accepted).Close()
	s := p.Stats()
	if s.DeadPeerClosed != 2 || s.Expired() != 2 || s.Dials != 3 || s.Open != 1 || s.InUse != 1 || p.sem.Taken() != 1 {
		t.Fatalf("after Get over two dead conns: %+v, %d tokens; want 2 closed for a dead peer, 3 dials, 1 open, 1 token", s, p.sem.Taken())
	}
	p.Put(c)
}

// TestSweepKeepsQueueOrder: the reaper takes every idle entry out and sends
// the good ones back; the idle queue must come out in the order it had.
func TestSweepKeepsQueueOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := pooltest.NewDialer(3)
		p := newPool(t, pool.Config{MaxConns: 3, Dial: d.Dial, MaxLifetime: 10 * time.Second})
		ctx := context.Background()
		early, _ := p.Get(ctx) // dies at +10s
		time.Sleep(time.Second)
		first, _ := p.Get(ctx)
		second, _ := p.Get(ctx)
		p.Put(first)
		p.Put(early)
		p.Put(second)
		time.Sleep(9 * time.Second)
		synctest.Wait()
		if s := p.Stats(); s.MaxLifetimeClosed != 1 || s.Expired() != 1 || s.Idle != 2 {
			t.Fatalf("after the sweep at +10s: %+v, want 1 closed for its lifetime, 2 idle", s)
		}
		for _, want := range []net.Conn{first, second} {
			c, _ := p.Get(ctx)
			if raw(c) != raw(want) {
				t.Fatalf("Get returned conn %d, want %d (queue order lost)", d.ID(c), d.ID(want))
			}
			defer p.Put(c)
		}
	})
}

// TestCloseRacingPuts: a Put that sends its conn to the idle channel just
// after Close drained it must close that conn itself. Every conn ends
// closed exactly once.
func TestCloseRacingPuts(t *testing.T) {
	for range 200 {
		d := pooltest.NewDialer(8)
		p := newPool(t, pool.Config{MaxConns: 8, Dial: d.Dial})
		held := make([]net.Conn, 8)
		for i := range held {
			held[i], _ = p.Get(context.Background())
		}
		var wg sync.WaitGroup
		for _, c := range held {
			wg.Go(func() { p.Put(c) })
		}
		wg.Go(func() { p.Close() })
		wg.Wait()
		if s := d.Stats(); s.Live != 0 || s.DoubleCloses != 0 || p.sem.Taken() != 0 {
			t.Fatalf("after Close raced Puts: %d live, %d double closes, %d tokens; want none",
				s.Live, s.DoubleCloses, p.sem.Taken())
		}
	}
}

// TestFreedTokenGoesToOldestWaiter: pooltest's FIFO property hands conns
// over with Put; this hands over slots with Discard (a token Free gives
// on), mixing in a Put, with a newcomer arriving right after each
// hand-over. The runtime must serve the Gets parked on the semaphore's
// hand-off channel in the order they parked, whatever is handed over.
func TestFreedTokenGoesToOldestWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := pooltest.NewDialer(1)
		p := newPool(t, pool.Config{MaxConns: 1, Dial: d.Dial})
		ctx := context.Background()
		held, _ := p.Get(ctx)
		const n = 4
		order := make(chan int, n+1)
		conns := make([]net.Conn, n+1)
		get := func(i int) {
			c, err := p.Get(ctx)
			if err != nil {
				t.Error(err)
			}
			conns[i] = c
			order <- i
		}
		for i := range n {
			go get(i)
			synctest.Wait() // parked, in order
		}
		for i := range n {
			if i%2 == 0 {
				p.Discard(held)
			} else {
				p.Put(held)
			}
			if i == 0 {
				go get(n) // a newcomer, right behind the hand-over
			}
			if got := <-order; got != i {
				t.Fatalf("hand-over %d went to Get %d, want the oldest parked, %d", i, got, i)
			}
			held = conns[i]
		}
		p.Put(held)
		if got := <-order; got != n {
			t.Fatalf("last conn went to %d, want the newcomer", got)
		}
		p.Put(conns[n])
	})
}

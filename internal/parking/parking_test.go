package parking

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/capacity"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/lease"
)

// lot is a Lot with hooks that record what it passes back: Serve grants
// nothing (the tests grant by hand), Offer collects entries.
type lot struct {
	Lot
	slots   capacity.Counter
	stats   counters.Counters
	ledger  lease.Ledger
	offered []*lease.Entry
	drained int
}

func newLot(t *testing.T, slots int) *lot {
	t.Helper()
	l := &lot{}
	l.Serve = func() {}
	l.Offer = func(e *lease.Entry) { l.offered = append(l.offered, e) }
	l.Stats, l.Slots, l.Ledger, l.Name = &l.stats, &l.slots, &l.ledger, "test"
	l.Drain = func() { l.drained++ }
	for range slots {
		if !l.slots.TryReserve(slots) {
			t.Fatal("could not reserve a slot")
		}
	}
	return l
}

type owner struct{}

func (owner) Discard(net.Conn) error { return nil }

func entry(t *testing.T) *lease.Entry {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return lease.NewEntry(owner{}, a, time.Now())
}

// park starts a Park and returns its result channel once it is queued.
func park(l *lot, ctx context.Context, queued int) <-chan Grant {
	ch := make(chan Grant, 1)
	go func() {
		g, err := l.Park(ctx)
		if err != nil {
			g.Err = err
		}
		ch <- g
	}()
	synctest.Wait()
	if l.Len() != queued {
		panic("waiter not queued")
	}
	return ch
}

func TestGrantsOldestFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLot(t, 0)
		ctx := context.Background()
		first, second := park(l, ctx, 1), park(l, ctx, 2)
		if !l.Waiting() {
			t.Fatal("Waiting false with two parked")
		}
		e := entry(t)
		if !l.HandOff(e) {
			t.Fatal("HandOff found no waiter")
		}
		synctest.Wait()
		select {
		case g := <-first:
			if g.Entry != e {
				t.Fatalf("oldest waiter got %+v, want the entry", g)
			}
		default:
			t.Fatal("the oldest waiter was not woken")
		}
		l.Lock()
		l.GrantOldest(Grant{Dial: true})
		l.Unlock()
		if g := <-second; !g.Dial {
			t.Fatalf("second waiter got %+v, want a slot", g)
		}
		if l.Waiting() || l.HandOff(e) {
			t.Fatal("a waiter left after both were served")
		}
		if s := l.stats.Snapshot(); s.Waits != 2 {
			t.Fatalf("Waits %d, want 2", s.Waits)
		}
	})
}

func TestCancelPassesGrantOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLot(t, 1)
		ctx, cancel := context.WithCancel(context.Background())
		ch := park(l, ctx, 1)
		cancel()
		if g := <-ch; !errors.Is(g.Err, context.Canceled) || l.Waiting() {
			t.Fatalf("cancelled Park: %+v, still waiting %v", g, l.Waiting())
		}
		// A grant that lands as the ctx ends is passed on, not lost: take
		// the waiter out by hand as a granter does, cancel, and send only
		// once Park has seen the cancel and is waiting for the send.
		e := entry(t)
		for _, g := range []Grant{{Entry: e}, {Dial: true}} {
			ctx, cancel := context.WithCancel(context.Background())
			ch := park(l, ctx, 1)
			l.Lock()
			w := l.head
			l.remove(w)
			w.grant = g
			l.Unlock()
			cancel()
			synctest.Wait() // Park found itself out of the queue and waits for the send
			w.ready <- struct{}{}
			if got := <-ch; !errors.Is(got.Err, context.Canceled) {
				t.Fatalf("Park with a grant racing its cancel: %+v", got)
			}
		}
		if len(l.offered) != 1 || l.offered[0] != e {
			t.Fatalf("offered %v, want the granted entry", l.offered)
		}
		if n := l.slots.InUse(); n != 0 {
			t.Fatalf("%d slots in use, want the granted slot freed", n)
		}
		if s := l.stats.Snapshot(); s.Cancels != 3 {
			t.Fatalf("Cancels %d, want 3", s.Cancels)
		}
	})
}

func TestCloseWakesEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLot(t, 0)
		a, b := park(l, context.Background(), 1), park(l, context.Background(), 2)
		if err := l.Close(); err != nil || !l.Closed() {
			t.Fatalf("Close: %v, closed %v", err, l.Closed())
		}
		for _, ch := range []<-chan Grant{a, b} {
			if g := <-ch; !errors.Is(g.Err, pool.ErrClosed) {
				t.Fatalf("waiter woken with %+v, want ErrClosed", g)
			}
		}
		if _, err := l.Park(context.Background()); !errors.Is(err, pool.ErrClosed) {
			t.Fatalf("Park after Close: %v", err)
		}
		l.Close()
		if l.drained != 1 {
			t.Fatalf("drained %d times, want once: Close is idempotent", l.drained)
		}
	})
}

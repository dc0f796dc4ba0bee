package parking

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/capacity"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/lease"
)

// lot is a Lot over a toy design: idle conns on a stack, limit slots. Take
// takes from the stack or reserves a slot, after running taking and before
// running took (each once, if set), which let a test step in between a
// Get's announce and its last look, or its last look and what follows, or
// into Serve; Offer collects entries rather than keeping them.
type lot struct {
	Lot
	slots  capacity.Counter
	stats  counters.Counters
	ledger lease.Ledger
	limit  int

	mu      sync.Mutex
	idle    []*lease.Entry
	offered []*lease.Entry
	drained int
	taking  func()
	took    func()
}

func newLot(t *testing.T, limit int) *lot {
	t.Helper()
	l := &lot{limit: limit}
	l.Take = l.take
	l.Offer = func(e *lease.Entry) { l.mu.Lock(); l.offered = append(l.offered, e); l.mu.Unlock() }
	l.Stats, l.Slots, l.Ledger, l.Name = &l.stats, &l.slots, &l.ledger, "test"
	l.Drain = func() { l.drained++ }
	l.Init()
	return l
}

func (l *lot) take() (Grant, bool) {
	if f := l.taking; f != nil {
		l.taking = nil
		f()
	}
	if f := l.took; f != nil {
		l.took = nil
		defer f()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.idle); n > 0 {
		e := l.idle[n-1]
		l.idle = l.idle[:n-1]
		return Grant{Entry: e}, true
	}
	if l.slots.TryReserve(l.limit) {
		return Grant{Dial: true}, true
	}
	return Grant{}, false
}

// fill takes every slot, as conns held by callers.
func (l *lot) fill(t *testing.T) {
	for range l.limit {
		if !l.slots.TryReserve(l.limit) {
			t.Fatal("could not reserve a slot")
		}
	}
}

func (l *lot) makeIdle(e *lease.Entry) { l.mu.Lock(); l.idle = append(l.idle, e); l.mu.Unlock() }

func (l *lot) offers() []*lease.Entry { l.mu.Lock(); defer l.mu.Unlock(); return l.offered }

type owner struct{}

func (owner) Discard(net.Conn) error { return nil }

func entry(t *testing.T) *lease.Entry {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return lease.NewEntry(owner{}, a, time.Now())
}

type result struct {
	g   Grant
	err error
}

// park starts a Park and returns its result channel once it is as far as
// it goes; queued is how many Gets Waiting counts then.
func park(t *testing.T, l *lot, ctx context.Context, queued int) <-chan result {
	t.Helper()
	ch := make(chan result, 1)
	go func() {
		g, err := l.Park(ctx)
		ch <- result{g, err}
	}()
	synctest.Wait()
	if l.Len() != queued {
		t.Fatalf("%d Gets parked, want %d", l.Len(), queued)
	}
	return ch
}

// pending fails the test if ch has a result already.
func pending(t *testing.T, ch <-chan result, who string) {
	t.Helper()
	synctest.Wait()
	select {
	case r := <-ch:
		t.Fatalf("%s returned %+v, want it parked", who, r)
	default:
	}
}

func TestGrantsOldestFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLot(t, 1)
		l.fill(t)
		ctx := context.Background()
		first, second := park(t, l, ctx, 1), park(t, l, ctx, 2)
		e := entry(t)
		if !l.HandOff(e) {
			t.Fatal("HandOff found no waiter")
		}
		if r := <-first; r.g.Entry != e || r.err != nil {
			t.Fatalf("oldest waiter got %+v, want the entry", r)
		}
		pending(t, second, "the second waiter")
		l.FreeSlot()
		if r := <-second; !r.g.Dial {
			t.Fatalf("second waiter got %+v, want a slot", r)
		}
		if l.Waiting() || l.HandOff(e) {
			t.Fatal("a waiter left after both were served")
		}
		if s := l.stats.Snapshot(); s.Waits != 2 || s.Cancels != 0 {
			t.Fatalf("Waits %d, Cancels %d; want 2, 0", s.Waits, s.Cancels)
		}
	})
}

func TestCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLot(t, 1)
		l.fill(t)
		ctx, cancel := context.WithCancel(context.Background())
		ch := park(t, l, ctx, 1)
		cancel()
		if r := <-ch; !errors.Is(r.err, context.Canceled) || l.Waiting() {
			t.Fatalf("cancelled Park: %+v, still waiting %v", r, l.Waiting())
		}
		if s := l.stats.Snapshot(); s.Waits != 1 || s.Cancels != 1 {
			t.Fatalf("Waits %d, Cancels %d; want 1, 1", s.Waits, s.Cancels)
		}
	})
}

// TestCloseWakesEveryWaiter: Close wakes every parked Get with ErrClosed,
// those whose ctx cannot end (a plain receive) and those whose can; none
// counts a cancel, and a Park after Close returns ErrClosed at once.
func TestCloseWakesEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLot(t, 1)
		l.fill(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var chs []<-chan result
		for i := range 4 {
			c := context.Background()
			if i%2 == 1 {
				c = ctx
			}
			chs = append(chs, park(t, l, c, i+1))
		}
		if err := l.Close(); err != nil || !l.Closed() {
			t.Fatalf("Close: %v, closed %v", err, l.Closed())
		}
		for _, ch := range chs {
			if r := <-ch; !errors.Is(r.err, pool.ErrClosed) {
				t.Fatalf("waiter woken with %+v, want ErrClosed", r)
			}
		}
		if _, err := l.Park(context.Background()); !errors.Is(err, pool.ErrClosed) {
			t.Fatalf("Park after Close: %v", err)
		}
		l.Close()
		if l.drained != 1 || l.Waiting() {
			t.Fatalf("drained %d times, waiting %v; want once (Close is idempotent), false", l.drained, l.Waiting())
		}
		if s := l.stats.Snapshot(); s.Cancels != 0 {
			t.Fatalf("Cancels %d after Close, want 0", s.Cancels)
		}
	})
}

// TestNoLostWakeUp forces each race of the protocol (see the package doc)
// step by step. Were a wake-up lost, a Get would sleep with a grant meant
// for it, or a granter wait for a Get that is not coming, every goroutine
// in the bubble would be blocked, and synctest would fail the test.
func TestNoLostWakeUp(t *testing.T) {
	// The conn or slot was there before the Get announced: its last
	// look takes it, and it does not count a wait.
	t.Run("LastLook", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLot(t, 1)
			l.fill(t)
			e := entry(t)
			l.makeIdle(e)
			if g, err := l.Park(context.Background()); g.Entry != e || err != nil {
				t.Fatalf("Park with a conn idle: %+v, %v; want the conn", g, err)
			}
			l.FreeSlot()
			if g, err := l.Park(context.Background()); !g.Dial || err != nil {
				t.Fatalf("Park with a slot free: %+v, %v; want the slot", g, err)
			}
			if s := l.stats.Snapshot(); s.Waits != 0 || l.Waiting() {
				t.Fatalf("Waits %d, waiting %v; want 0, false", s.Waits, l.Waiting())
			}
		})
	})
	// The conn went idle, or the slot free, after the Get's last look:
	// the design reads Waiting after and serves it.
	t.Run("AfterLastLook", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLot(t, 1)
			l.fill(t)
			ch := park(t, l, context.Background(), 1)
			e := entry(t)
			l.makeIdle(e)
			if !l.Waiting() {
				t.Fatal("Waiting false with a Get parked")
			}
			l.Serve()
			if r := <-ch; r.g.Entry != e {
				t.Fatalf("Get parked before the conn went idle got %+v, want the conn", r)
			}
			ch = park(t, l, context.Background(), 1)
			l.FreeSlot()
			if r := <-ch; !r.g.Dial {
				t.Fatalf("Get parked before the slot freed got %+v, want the slot", r)
			}
		})
	})
	// The conn goes idle, or the slot free, right after the Get's last
	// look found nothing, and the design reads Waiting then: it must find
	// the Get announced, and serve it.
	t.Run("PutAfterLastLook", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLot(t, 1)
			l.fill(t)
			e := entry(t)
			put := func() {
				l.makeIdle(e) // a design's keep
				if l.Waiting() {
					l.Serve()
				}
			}
			for _, give := range []func(){put, l.FreeSlot} {
				l.took = func() {
					go give()
					synctest.Wait()
				}
				if g, err := l.Park(context.Background()); g.Entry == nil && !g.Dial || err != nil {
					t.Fatalf("Park whose last look just missed a grant: %+v, %v", g, err)
				}
				synctest.Wait() // give is done
			}
		})
	})
	// A granter commits to the Get between its announce and its Leave,
	// after its last look found a conn: the Get must take the grant and
	// pass the conn on.
	t.Run("CommittedDuringLastLook", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLot(t, 1)
			l.fill(t)
			took, handed := entry(t), entry(t)
			l.makeIdle(took)
			l.taking = func() {
				go l.HandOff(handed)
				synctest.Wait() // committed, and waiting to send
			}
			if g, err := l.Park(context.Background()); g.Entry != handed || err != nil {
				t.Fatalf("Park committed to during its last look: %+v, %v; want the handed conn", g, err)
			}
			if o := l.offers(); len(o) != 1 || o[0] != took {
				t.Fatalf("offered %v, want the conn the last look took", o)
			}
		})
	})
	// The last look finds a conn while an older Get sleeps on wake: the
	// conn is the older Get's, and the newcomer parks.
	t.Run("OlderAsleep", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLot(t, 1)
			l.fill(t)
			old := park(t, l, context.Background(), 1)
			e := entry(t)
			l.makeIdle(e) // and the Put that did so has not read Waiting yet
			young := park(t, l, context.Background(), 1)
			if r := <-old; r.g.Entry != e {
				t.Fatalf("the older Get got %+v, want the conn the newcomer's last look found", r)
			}
			pending(t, young, "the newcomer")
			l.FreeSlot()
			if r := <-young; !r.g.Dial {
				t.Fatalf("the newcomer got %+v, want the slot", r)
			}
		})
	})
	// A grant committed to the Get as its ctx ends is passed on: a conn
	// to Offer, a slot freed (and served to the next Get).
	t.Run("CancelLosesToGrant", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLot(t, 1)
			l.fill(t)
			e := entry(t)
			for _, g := range []Grant{{Entry: e}, {Dial: true}} {
				ctx, cancel := context.WithCancel(context.Background())
				ch := park(t, l, ctx, 1)
				if !l.parked.Commit() { // grant's commit, without its send
					t.Fatal("no Get parked")
				}
				cancel()
				synctest.Wait() // the Get found parked at 0 and waits for the send
				pending(t, ch, "the cancelled Get")
				l.parked.Send(g.value())
				if r := <-ch; !errors.Is(r.err, context.Canceled) {
					t.Fatalf("Park with a grant racing its cancel: %+v", r)
				}
			}
			if o := l.offers(); len(o) != 1 || o[0] != e {
				t.Fatalf("offered %v, want the granted conn", o)
			}
			if n := l.slots.InUse(); n != 0 {
				t.Fatalf("%d slots in use, want the granted slot freed", n)
			}
			if s := l.stats.Snapshot(); s.Cancels != 2 {
				t.Fatalf("Cancels %d, want 2", s.Cancels)
			}
		})
	})
	// Close commits to a Get during its last look, which found a conn or
	// nothing: the Get receives Close's closing and passes the conn on.
	t.Run("CloseDuringLastLook", func(t *testing.T) {
		for _, found := range []bool{true, false} {
			synctest.Test(t, func(t *testing.T) {
				l := newLot(t, 1)
				l.fill(t)
				e := entry(t)
				if found {
					l.makeIdle(e)
				}
				l.taking = func() {
					go l.Close()
					synctest.Wait() // committed, and waiting to send
				}
				if _, err := l.Park(context.Background()); !errors.Is(err, pool.ErrClosed) {
					t.Fatalf("Park across Close (conn found %v): %v, want ErrClosed", found, err)
				}
				if o := l.offers(); found && (len(o) != 1 || o[0] != e) {
					t.Fatalf("offered %v, want the conn the last look took", o)
				}
			})
		}
	})
	// A grant committed before Close swapped parked reaches its Get
	// after Close: the Get returns ErrClosed and passes the grant on.
	t.Run("CommittedBeforeClose", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLot(t, 1)
			l.fill(t)
			ch := park(t, l, context.Background(), 1)
			if !l.parked.Commit() {
				t.Fatal("no Get parked")
			}
			l.Close() // finds parked at 0: sends nothing
			e := entry(t)
			l.parked.Send(e)
			if r := <-ch; !errors.Is(r.err, pool.ErrClosed) {
				t.Fatalf("Get handed a conn across Close: %+v, want ErrClosed", r)
			}
			if o := l.offers(); len(o) != 1 || o[0] != e {
				t.Fatalf("offered %v, want the conn", o)
			}
		})
	})
	// Serve found Waiting true, but the Get left before the grant: the
	// conn goes back through Offer, the slot is freed.
	t.Run("ServeFindsGetGone", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLot(t, 1)
			l.fill(t)
			e := entry(t)
			for _, idle := range []bool{true, false} {
				ctx, cancel := context.WithCancel(context.Background())
				ch := park(t, l, ctx, 1)
				if idle {
					l.makeIdle(e)
				} else {
					l.slots.Release()
				}
				l.taking = func() {
					cancel()
					synctest.Wait() // the Get took itself off parked and left
				}
				l.Serve()
				if r := <-ch; !errors.Is(r.err, context.Canceled) {
					t.Fatalf("Get cancelled inside Serve: %+v", r)
				}
			}
			if o := l.offers(); len(o) != 1 || o[0] != e || l.slots.InUse() != 0 {
				t.Fatalf("offered %v, %d slots in use; want the conn back and the slot freed", o, l.slots.InUse())
			}
		})
	})
}

// TestWakeUpRaces races Gets, some with a ctx that ends, against
// hand-offs, a design's Put (idle, then Serve) and freed slots, round
// after round: every Get that is not cancelled is served, and every conn
// and slot is accounted for.
func TestWakeUpRaces(t *testing.T) {
	const gets, rounds = 6, 300
	l := newLot(t, 2)
	l.Offer = func(e *lease.Entry) { // a design's keep
		if !l.HandOff(e) {
			l.makeIdle(e)
			if l.Waiting() {
				l.Serve()
			}
		}
	}
	l.fill(t)
	conns := []*lease.Entry{entry(t), entry(t)}
	for round := range rounds {
		var wg sync.WaitGroup
		got := make(chan Grant, gets)
		for i := range gets {
			wg.Go(func() {
				ctx := context.Background()
				if i%3 == 2 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, time.Duration(i)*time.Microsecond)
					defer cancel()
				}
				if g, err := l.Park(ctx); err == nil {
					got <- g
				}
			})
		}
		// Two holders return what they hold, one way or another, and
		// each grant a Get takes is given back so too, until every Get
		// is done.
		var gives sync.WaitGroup
		give := func(e *lease.Entry, k int) {
			gives.Go(func() {
				switch {
				case e == nil:
					l.FreeSlot()
				case k%2 == 0:
					l.Offer(e)
				default:
					l.Drop(e) // frees the slot; the conn will not come back
				}
			})
		}
		for k, e := range conns {
			give(e, k+round)
		}
		served := make(chan struct{})
		go func() { wg.Wait(); close(served) }()
		for k, done := 0, false; !done; k++ {
			select {
			case g := <-got:
				give(g.Entry, k)
			case <-served:
				done = true
			}
		}
		for len(got) > 0 { // taken as the last Gets finished
			give((<-got).Entry, 0)
		}
		gives.Wait()
		// Quiet now: every conn and slot is idle or free.
		l.mu.Lock()
		idle := l.idle
		l.idle = nil
		l.mu.Unlock()
		if l.Waiting() || l.slots.InUse() != len(idle) {
			t.Fatalf("round %d: waiting %v, %d slots in use with %d conns idle", round, l.Waiting(), l.slots.InUse(), len(idle))
		}
		conns = conns[:0]
		for _, e := range idle {
			conns = append(conns, e)
		}
		for len(conns) < 2 {
			if !l.slots.TryReserve(2) {
				t.Fatalf("round %d: no slot free", round)
			}
			conns = append(conns, nil) // a slot held, to free
		}
	}
}

package chansem

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/lease"
)

type owner struct{}

func (owner) Discard(net.Conn) error { return nil }

func pipeDial(context.Context) (net.Conn, error) {
	a, b := net.Pipe()
	b.Close()
	return a, nil
}

// TestTokensCapAndFIFO: TryTake stops at the cap; freed tokens go to the
// parked Waits in the order they parked, ahead of a newcomer's TryTake.
func TestTokensCapAndFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var stats counters.Counters
		s := New(2, owner{}, pipeDial, &stats, nil)
		if !s.TryTake() || !s.TryTake() || s.TryTake() {
			t.Fatalf("TryTake at a cap of 2: want two tokens, then none (taken %d)", s.Taken())
		}
		order := make(chan int, 2)
		for i := range 2 {
			go func() {
				if e, err := s.Wait(context.Background(), nil); e != nil || err != nil {
					t.Errorf("Wait %d: %v, %v; want a token", i, e, err)
				}
				order <- i
			}()
			synctest.Wait() // parked before the next one starts
		}
		s.Free()
		synctest.Wait()
		if s.TryTake() {
			t.Fatal("a newcomer took the freed token ahead of two parked Waits")
		}
		s.Free()
		if a, b := <-order, <-order; a != 0 || b != 1 {
			t.Fatalf("Waits served %d then %d, want 0 then 1", a, b)
		}
		if st := stats.Snapshot(); st.Waits != 2 || s.Taken() != 2 {
			t.Fatalf("%d waits, %d tokens taken; want 2 and 2", st.Waits, s.Taken())
		}
	})
}

// TestWaitEnds: a parked Wait returns an entry sent on idle, ctx's error
// (counted as a cancel) and, after Close, pool.ErrClosed; Close is once.
func TestWaitEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var stats counters.Counters
		s := heldSem(&stats)

		idle := make(chan *lease.Entry, 1)
		want := pipeEntry()
		idle <- want
		if e, err := s.Wait(context.Background(), idle); e != want || err != nil {
			t.Fatalf("Wait with an idle entry: %v, %v; want the entry", e, err)
		}

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := s.Wait(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait past its deadline: %v, want DeadlineExceeded", err)
		}
		if st := stats.Snapshot(); st.Cancels != 1 || st.WaitTime != time.Second {
			t.Fatalf("after the deadline: %d cancels, waited %v; want 1, 1s", st.Cancels, st.WaitTime)
		}

		done := make(chan error)
		go func() { _, err := s.Wait(context.Background(), nil); done <- err }()
		synctest.Wait()
		if !s.Close() || s.Close() {
			t.Fatal("Close: want true the first time only")
		}
		if err := <-done; !errors.Is(err, pool.ErrClosed) {
			t.Fatalf("Wait across Close: %v, want ErrClosed", err)
		}
		if _, err := s.Dial(context.Background()); !errors.Is(err, pool.ErrClosed) || s.Taken() != 0 {
			t.Fatalf("Dial after Close: %v with %d tokens taken; want ErrClosed and the token freed", err, s.Taken())
		}
	})
}

// TestCloseWakesEveryWait: Close wakes every parked Wait with ErrClosed,
// those whose ctx cannot end (a plain receive) and those whose can; none
// counts a cancel, and a Wait after Close returns ErrClosed at once.
func TestCloseWakesEveryWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var stats counters.Counters
		s := heldSem(&stats)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		errs := make(chan error, 6)
		for i := range 6 {
			c := context.Background()
			if i%2 == 1 {
				c = ctx
			}
			go func() { _, err := s.Wait(c, nil); errs <- err }()
		}
		synctest.Wait()
		if st := stats.Snapshot(); st.Waits != 6 {
			t.Fatalf("%d waits before Close, want 6", st.Waits)
		}
		s.Close()
		for range 6 {
			if err := <-errs; !errors.Is(err, pool.ErrClosed) {
				t.Fatalf("Wait across Close: %v, want ErrClosed", err)
			}
		}
		if _, err := s.Wait(context.Background(), nil); !errors.Is(err, pool.ErrClosed) {
			t.Fatalf("Wait after Close: %v, want ErrClosed", err)
		}
		if st := stats.Snapshot(); st.Cancels != 0 || s.Taken() != 1 {
			t.Fatalf("after Close: %d cancels, %d tokens taken; want 0 and 1", st.Cancels, s.Taken())
		}
	})
}

// TestHandoffAndCancel: Handoff gives an entry to the Wait parked longest
// and finds none once it has left; a Wait whose ctx ends leaves without
// taking the token Free then frees.
func TestHandoffAndCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var stats counters.Counters
		s := heldSem(&stats)
		want := pipeEntry()
		got := make(chan *lease.Entry, 1)
		go func() { e, _ := s.Wait(context.Background(), nil); got <- e }()
		synctest.Wait()
		if !s.Handoff(want) || <-got != want {
			t.Fatal("Handoff to a parked Wait: the Wait did not get the entry")
		}
		if s.Handoff(want) {
			t.Fatal("Handoff with no Wait parked reported a hand-off")
		}

		ctx, cancel := context.WithCancel(context.Background())
		errs := make(chan error, 1)
		go func() { _, err := s.Wait(ctx, nil); errs <- err }()
		synctest.Wait()
		cancel()
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait whose ctx ended: %v, want Canceled", err)
		}
		s.Free()
		if st := stats.Snapshot(); st.Cancels != 1 || s.Taken() != 0 || s.Waiting() {
			t.Fatalf("after the cancel and Free: %d cancels, %d tokens taken, waiting %v; want 1, 0, false",
				st.Cancels, s.Taken(), s.Waiting())
		}
	})
}

// TestNoLostWakeUp: a Get that parks while a token is being freed, or an
// entry made idle, after the Free or Put looked for a parked Get and found
// none, still gets it. Wait looks at the tokens and the idle channel after
// announcing itself, and Free and a design's Put look for an announced Get
// after freeing or making idle; were a wake-up lost, the Get would sleep
// with the token free or the entry idle, every goroutine in the bubble
// would be blocked, and synctest would fail the test.
func TestNoLostWakeUp(t *testing.T) {
	t.Run("Free", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var stats counters.Counters
			s := heldSem(&stats)
			got := make(chan error, 1)
			s.freeing = func() {
				s.freeing = nil
				go func() {
					e, err := s.Wait(context.Background(), nil)
					if e != nil {
						err = errors.New("got an entry")
					}
					got <- err
				}()
				synctest.Wait() // parked, with the token still taken
			}
			s.Free()
			if err := <-got; err != nil {
				t.Fatalf("Wait parked while Free freed: %v, want a token", err)
			}
			if s.Taken() != 1 || s.TryTake() {
				t.Fatalf("%d tokens taken after the hand-off, want 1 and none free", s.Taken())
			}
		})
	})
	t.Run("FreedFirst", func(t *testing.T) {
		// A token freed after the Get's TryTake failed and before it
		// announced itself, when Free found no Get to give it to.
		synctest.Test(t, func(t *testing.T) {
			var stats counters.Counters
			s := New(1, owner{}, pipeDial, &stats, nil)
			if e, err := s.Wait(context.Background(), nil); e != nil || err != nil || s.Taken() != 1 {
				t.Fatalf("Wait with a token free: %v, %v, %d taken; want the token", e, err, s.Taken())
			}
		})
	})
	t.Run("AfterClose", func(t *testing.T) {
		// An entry handed over by a Put that committed before Close
		// swapped parked: the Get returns ErrClosed, the entry goes to keep.
		synctest.Test(t, func(t *testing.T) {
			var stats counters.Counters
			kept := make(chan *lease.Entry, 1)
			s := New(1, owner{}, pipeDial, &stats, func(e *lease.Entry) { kept <- e })
			s.TryTake()
			errs := make(chan error, 1)
			go func() { _, err := s.Wait(context.Background(), nil); errs <- err }()
			synctest.Wait()
			if !s.parked.Commit() { // Handoff's commit, without its send
				t.Fatal("no Get parked")
			}
			s.Close()
			e := pipeEntry()
			s.parked.Send(e)
			if err := <-errs; !errors.Is(err, pool.ErrClosed) || <-kept != e {
				t.Fatalf("Wait handed an entry across Close: %v, want ErrClosed and the entry kept", err)
			}
		})
	})
	t.Run("Put", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var stats counters.Counters
			s := heldSem(&stats)
			idle := make(chan *lease.Entry, 1)
			want := pipeEntry()
			// A Put, step by step as chanpool's idleOrClose and handIdle
			// take them, with a Get parking between its steps.
			if s.Handoff(want) {
				t.Fatal("Handoff with no Get parked reported a hand-off")
			}
			got := make(chan *lease.Entry, 1)
			go func() { e, _ := s.Wait(context.Background(), idle); got <- e }()
			synctest.Wait()
			idle <- want
			for s.Waiting() {
				if e := <-idle; !s.Handoff(e) {
					t.Fatal("Waiting, but Handoff found no Get")
				}
			}
			if e := <-got; e != want {
				t.Fatalf("Wait parked while the entry went idle: got %v, want the entry", e)
			}
		})
	})
}

// TestWakeUpRaces races Gets that park, one of them on a select (its ctx
// could end), against Puts and Drops, the way chanpool uses a Sem, for the interleavings the
// step-by-step tests above do not force. A lost wake-up shows as in
// TestNoLostWakeUp: every goroutine blocked.
func TestWakeUpRaces(t *testing.T) {
	for range 300 {
		synctest.Test(t, func(t *testing.T) {
			var stats counters.Counters
			s := New(2, owner{}, pipeDial, &stats, nil)
			idle := make(chan *lease.Entry, 2)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			put := func(e *lease.Entry) {
				if s.Handoff(e) {
					return
				}
				idle <- e // never full: at most 2 entries exist
				for s.Waiting() {
					select {
					case e := <-idle:
						if !s.Handoff(e) {
							idle <- e
						}
					default:
						return
					}
				}
			}
			var wg sync.WaitGroup
			for g := range 5 {
				wg.Go(func() {
					c := context.Background()
					if g == 0 {
						c = ctx // a Wait on a select, beside plain receives
					}
					for i := range 3 {
						var e *lease.Entry
						select {
						case e = <-idle:
						default:
							if !s.TryTake() {
								var err error
								if e, err = s.Wait(c, idle); err != nil {
									t.Errorf("Wait: %v", err)
									return
								}
							}
						}
						if e == nil { // a token: dial
							conn, _ := pipeDial(context.Background())
							e = lease.NewEntry(owner{}, conn, time.Now())
						}
						runtime.Gosched()
						if (g+i)%3 == 0 {
							s.Drop(e)
						} else {
							put(e)
						}
					}
				})
			}
			wg.Wait()
			if n := s.Taken(); n != len(idle) {
				t.Fatalf("%d tokens taken with %d entries idle and no Get running", n, len(idle))
			}
		})
	}
}

// heldSem returns a semaphore of one token, taken, so that Wait parks.
func heldSem(stats *counters.Counters) *Sem {
	s := New(1, owner{}, pipeDial, stats, nil)
	s.TryTake()
	return s
}

// pipeEntry returns an entry of ours on a net.Pipe conn.
func pipeEntry() *lease.Entry {
	c, _ := pipeDial(context.Background())
	return lease.NewEntry(owner{}, c, time.Now())
}

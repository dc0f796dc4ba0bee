package chansem

import (
	"context"
	"errors"
	"net"
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
		s := New(1, owner{}, pipeDial, &stats, nil)
		s.TryTake()

		idle := make(chan *lease.Entry, 1)
		c, _ := pipeDial(context.Background())
		want := lease.NewEntry(owner{}, c, time.Now())
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

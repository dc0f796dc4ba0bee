package dialer

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/lease"
)

type owner struct{}

func (owner) Discard(net.Conn) error { return nil }

// slowDial ignores ctx, as a dial stuck in the kernel would, and returns one
// end of a pipe after d.
func slowDial(d time.Duration, peers chan<- net.Conn) func(context.Context) (net.Conn, error) {
	return func(context.Context) (net.Conn, error) {
		time.Sleep(d)
		a, b := net.Pipe()
		peers <- b
		return a, nil
	}
}

func TestAbandonedDialGoesToLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var stats counters.Counters
		peers := make(chan net.Conn, 1)
		late := make(chan *lease.Entry, 1)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		e, err := Dial(ctx, owner{}, slowDial(time.Minute, peers), &stats, func(e *lease.Entry, err error) {
			if err != nil {
				t.Errorf("late got error %v", err)
			}
			late <- e
		})
		if e != nil || !errors.Is(err, ErrAbandoned) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Dial = %v, %v; want ErrAbandoned and DeadlineExceeded", e, err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("Dial returned after %v, want when ctx ended (1s)", waited)
		}
		got := <-late
		if got == nil || time.Since(start) != time.Minute {
			t.Fatalf("late got %v at +%v, want the conn at +1m", got, time.Since(start))
		}
		got.Raw().Close()
		(<-peers).Close()
		s := stats.Snapshot()
		if s.Dials != 1 || s.Cancels != 1 || s.DialErrors != 0 {
			t.Fatalf("stats %+v, want 1 dial, 1 cancel, 0 errors", s)
		}
	})
}

func TestDialOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var stats counters.Counters
		noLate := func(*lease.Entry, error) { t.Error("late called for a delivered dial") }
		peers := make(chan net.Conn, 2)
		// A cancellable ctx whose dial finishes first, and one that cannot end.
		for _, ctx := range []context.Context{t.Context(), context.Background()} {
			e, err := Dial(ctx, owner{}, slowDial(time.Millisecond, peers), &stats, noLate)
			if err != nil || e == nil {
				t.Fatalf("Dial = %v, %v", e, err)
			}
			e.Raw().Close()
			(<-peers).Close()
		}
		boom := errors.New("boom")
		fail := func(context.Context) (net.Conn, error) { return nil, boom }
		if _, err := Dial(context.Background(), owner{}, fail, &stats, noLate); !errors.Is(err, boom) {
			t.Fatalf("failed dial returned %v, want it wrapped", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		honour := func(ctx context.Context) (net.Conn, error) { return nil, ctx.Err() }
		if _, err := Dial(ctx, owner{}, honour, &stats, noLate); !errors.Is(err, context.Canceled) {
			t.Fatalf("Dial with an ended ctx returned %v, want context.Canceled", err)
		}
		s := stats.Snapshot()
		if s.Dials != 3 || s.DialErrors != 1 || s.Cancels != 1 {
			t.Fatalf("stats %+v, want 3 dials, 1 error, 1 cancel (no dial for an ended ctx)", s)
		}
	})
}

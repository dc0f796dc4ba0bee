package reuse

import (
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

// closeCounter counts the Closes of a conn.
type closeCounter struct {
	net.Conn
	closes int
}

func (c *closeCounter) Close() error { c.closes++; return c.Conn.Close() }

func entry() (*lease.Entry, *closeCounter) {
	a, b := net.Pipe()
	b.Close()
	c := &closeCounter{Conn: a}
	return lease.NewEntry(owner{}, c, time.Now()), c
}

// TestReturnedByLifetime: a conn given back past MaxLifetime is closed once
// and counted; one within it is kept with its expiry, and the sweep that
// expiry arms runs.
func TestReturnedByLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var stats counters.Counters
		swept := make(chan struct{}, 1)
		k := New(pool.Config{MaxLifetime: 10 * time.Second}, &stats, func() { swept <- struct{}{} })
		young, yc := entry()
		old, oc := entry()
		time.Sleep(5 * time.Second)
		young.Life.Created = time.Now() // young is born at +5s, old at 0

		time.Sleep(6 * time.Second)
		if _, _, ok := k.Returned(old); ok || oc.closes != 1 || stats.Snapshot().MaxLifetimeClosed != 1 {
			t.Fatalf("old conn back at +11s: kept %v, closed %d times, %+v; want refused, closed once, counted",
				ok, oc.closes, stats.Snapshot())
		}
		at, now, ok := k.Returned(young)
		if !ok || yc.closes != 0 || !at.Equal(young.Life.Created.Add(10*time.Second)) {
			t.Fatalf("young conn back at +11s: kept %v, closed %d, expires at %v; want kept to +15s", ok, yc.closes, at)
		}
		k.Arm(at, now)
		time.Sleep(4*time.Second + time.Millisecond)
		synctest.Wait()
		select {
		case <-swept:
		default:
			t.Fatal("no sweep by the young conn's expiry")
		}
		k.Stop()
	})
}

// TestUntimed: without timeouts Returned keeps every conn with zero times
// and there is no reaper to arm or stop.
func TestUntimed(t *testing.T) {
	var stats counters.Counters
	k := New(pool.Config{}, &stats, func() { t.Error("sweep without a timeout") })
	e, c := entry()
	if at, now, ok := k.Returned(e); !ok || !at.IsZero() || !now.IsZero() || c.closes != 0 {
		t.Fatalf("Returned without timeouts: %v %v %v, %d closes; want kept, zero times", at, now, ok, c.closes)
	}
	k.Arm(time.Time{}, time.Time{})
	k.Stop()
}

// TestDiscard: Discard counts and drops a conn its owner handed out, once;
// a second Discard of it or a foreign conn is refused untouched.
func TestDiscard(t *testing.T) {
	var stats counters.Counters
	var dropped []*lease.Entry
	drop := func(e *lease.Entry) { dropped = append(dropped, e) }
	e, _ := entry()
	c := e.Acquire()
	if err := Discard(owner{}, c, &stats, drop); err != nil || len(dropped) != 1 || dropped[0] != e {
		t.Fatalf("Discard: %v, dropped %v; want the entry dropped", err, dropped)
	}
	if err := Discard(owner{}, c, &stats, drop); !errors.Is(err, pool.ErrNotHeld) {
		t.Fatalf("second Discard: %v, want ErrNotHeld", err)
	}
	raw, _ := net.Pipe()
	defer raw.Close()
	if err := Discard(owner{}, raw, &stats, drop); !errors.Is(err, pool.ErrForeignConn) {
		t.Fatalf("Discard of a foreign conn: %v, want ErrForeignConn", err)
	}
	if n := stats.Snapshot().Discards; n != 1 || len(dropped) != 1 {
		t.Fatalf("%d discards counted, %d dropped; want 1 and 1", n, len(dropped))
	}
}

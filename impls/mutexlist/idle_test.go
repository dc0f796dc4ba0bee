package mutexlist

import (
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
)

func entryAt(created, idleSince time.Time) *lease.Entry {
	e := &lease.Entry{}
	e.Created, e.IdleSince = created, idleSince
	return e
}

func TestIdleListMostRecentFirstAndRecycled(t *testing.T) {
	var il idleList
	t0 := time.Unix(1000, 0)
	a, b, c := entryAt(t0, t0), entryAt(t0, t0), entryAt(t0, t0)
	il.pushFront(a)
	il.pushFront(b)
	if got := il.popFront(); got != b {
		t.Fatal("popFront did not return the most recently pushed entry")
	}
	il.pushFront(c)
	if got := il.popFront(); got != c {
		t.Fatal("popFront did not return the most recently pushed entry")
	}
	if got := il.popFront(); got != a || il.len() != 0 {
		t.Fatalf("popFront = %p, len %d; want a, 0", got, il.len())
	}
	// Two entries were idle at once at most, so two Elements exist; cycling
	// through many more must reuse them.
	for range 100 {
		il.pushFront(a)
		il.pushFront(b)
		il.popFront()
		il.popFront()
	}
	if n := il.l.Len(); n != 2 {
		t.Fatalf("list has %d Elements after cycling, want 2 (recycled)", n)
	}
}

func TestIdleListRemoveExpired(t *testing.T) {
	var il idleList
	t0 := time.Unix(1000, 0)
	const idle, life = 10 * time.Second, time.Minute
	old := entryAt(t0.Add(-time.Hour), t0.Add(5*time.Second))           // lifetime over
	stale := entryAt(t0, t0)                                            // idle too long at t0+11s
	fresh := entryAt(t0.Add(8*time.Second), t0.Add(8*time.Second))      // expires t0+18s+1ns
	lateLife := entryAt(t0.Add(-45*time.Second), t0.Add(9*time.Second)) // lifetime ends t0+15s
	for _, e := range []*lease.Entry{stale, old, fresh, lateLife} {
		il.pushFront(e)
	}
	policy := expiry.New(pool.Config{IdleTimeout: idle, MaxLifetime: life})
	dead, next := il.removeExpired(t0.Add(11*time.Second), policy, nil)
	want := []expiredEntry{{old, expiry.MaxLifetime}, {stale, expiry.IdleTimeout}}
	if len(dead) != 2 || dead[0] != want[0] || dead[1] != want[1] {
		t.Fatalf("removed %v, want old (max lifetime) then stale (idle timeout)", dead)
	}
	if want := t0.Add(15 * time.Second); !next.Equal(want) {
		t.Fatalf("next expiry %v, want lateLife's end of life %v", next, want)
	}
	if il.len() != 2 || il.popFront() != lateLife || il.popFront() != fresh {
		t.Fatal("kept entries lost their most-recent-first order")
	}
}

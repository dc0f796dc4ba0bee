package mutexlist

import (
	"container/list"
	"time"

	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
)

// idleList holds the idle entries, most recently returned first. Get takes
// the front, the conn that was used last: under a light load the same few
// conns stay warm while the rest sit idle until IdleTimeout closes them, so
// the pool shrinks back to what the load needs. Reusing the oldest first
// (a queue) would cycle through every conn and keep them all alive, which is
// why database/sql reuses the most recent conn too.
//
// It is a container/list whose Elements are recycled, because PushFront
// allocates an Element per call and a Get+Put cycle must not allocate. The
// first n Elements hold idle entries; the rest are spares with a nil Value.
// Taking an entry moves its Element to the back, returning one moves a spare
// to the front, and moving an Element does not allocate. Spares are never
// freed, so the list grows to the largest idle count seen, at most MaxIdle.
//
// Guarded by Pool.mu.
type idleList struct {
	l list.List
	n int
}

func (il *idleList) len() int { return il.n }

// pushFront adds e as the most recently returned entry.
func (il *idleList) pushFront(e *lease.Entry) {
	il.n++
	if spare := il.l.Back(); spare != nil && spare.Value == nil {
		spare.Value = e
		il.l.MoveToFront(spare)
		return
	}
	il.l.PushFront(e)
}

// popFront removes and returns the most recently returned entry; il must
// not be empty.
func (il *idleList) popFront() *lease.Entry {
	el := il.l.Front()
	e := el.Value.(*lease.Entry)
	il.free(el)
	return e
}

func (il *idleList) free(el *list.Element) {
	el.Value = nil
	il.l.MoveToBack(el)
	il.n--
}

// expiredEntry is an idle entry the policy refused, and why.
type expiredEntry struct {
	e     *lease.Entry
	cause expiry.Cause
}

// removeExpired removes the entries expired at now, appending them to dead,
// and returns the earliest expiry among the entries it kept (zero if none).
func (il *idleList) removeExpired(now time.Time, policy expiry.Policy, dead []expiredEntry) ([]expiredEntry, time.Time) {
	var next time.Time
	el := il.l.Front()
	for range il.n {
		e, after := el.Value.(*lease.Entry), el.Next()
		if cause := policy.Expired(&e.Life, now); cause != expiry.Fresh {
			dead = append(dead, expiredEntry{e, cause})
			il.free(el)
		} else if at := policy.ExpiresAt(&e.Life); next.IsZero() || at.Before(next) {
			next = at
		}
		el = after
	}
	return dead, next
}

// drain removes every entry, appending them to dst.
func (il *idleList) drain(dst []*lease.Entry) []*lease.Entry {
	for il.n > 0 {
		dst = append(dst, il.popFront())
	}
	return dst
}

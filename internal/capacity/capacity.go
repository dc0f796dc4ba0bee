// Package capacity owns the cap on how many conns a lock-free pool design
// has open or being dialed: one atomic count, taken by compare-and-swap so
// that it never exceeds the cap however many Gets race for the last slot.
// It must not know conns, waiters or how a design wakes them: a design that
// parks Gets checks its own waiters after Release.
package capacity

import "sync/atomic"

// Counter counts the slots in use: conns open plus dials in flight. Its zero
// value is empty. It is one word, so a design can keep it on its own cache
// line beside the other counters of its slow path.
type Counter struct{ n atomic.Int64 }

// TryReserve takes one slot if fewer than limit are in use, reporting
// whether it did. It retries the CAS only while there is room, so a full
// pool fails it with a single load.
func (c *Counter) TryReserve(limit int) bool {
	for n := c.n.Load(); n < int64(limit); n = c.n.Load() {
		if c.n.CompareAndSwap(n, n+1) {
			return true
		}
	}
	return false
}

// Release gives back one slot that TryReserve took.
func (c *Counter) Release() { c.n.Add(-1) }

// InUse is the number of slots taken, for Stats.
func (c *Counter) InUse() int { return int(c.n.Load()) }

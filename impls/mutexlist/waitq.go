package mutexlist

import (
	"sync/atomic"

	"github.com/poolbench/poolbench/internal/lease"
)

// grant is what a parked Get is woken with: a conn handed over by Put (e),
// pool.ErrClosed from Close (err), or, when both are nil, leave to dial in a
// slot that Discard, a failed dial or an expired conn freed and that stays
// reserved for it (counted in numOpen and dialing).
type grant struct {
	e   *lease.Entry
	err error
}

// waiter is a parked Get. It receives exactly one grant on ch from whoever
// took it off the queue under Pool.mu: sent before that unlock (a slot,
// Close's error) or, by Put, as the next thing after it, so a waiter that
// is no longer queued has its grant sent or coming. ch is 1-buffered so no
// send ever blocks, under the lock or not.
type waiter struct {
	ch chan grant

	// Guarded by Pool.mu.
	prev, next *waiter
	queued     bool
}

// waitQueue is the FIFO of parked Gets, intrusive so that parking, granting
// and removing a cancelled waiter from the middle are O(1) and allocate
// nothing. Guarded by Pool.mu.
type waitQueue struct {
	head, tail *waiter
	// parked is the queue's length, written under Pool.mu and read without
	// it too, by a Put deciding whether to yield first.
	parked atomic.Int32
}

func (q *waitQueue) len() int { return int(q.parked.Load()) }

// push queues w as the newest waiter.
func (q *waitQueue) push(w *waiter) {
	w.prev, w.next, w.queued = q.tail, nil, true
	if q.tail != nil {
		q.tail.next = w
	} else {
		q.head = w
	}
	q.tail = w
	q.parked.Add(1)
}

// pop dequeues the oldest waiter, or returns nil.
func (q *waitQueue) pop() *waiter {
	w := q.head
	if w != nil {
		q.remove(w)
	}
	return w
}

// remove dequeues w, which must be queued.
func (q *waitQueue) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		q.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
	q.parked.Add(-1)
}

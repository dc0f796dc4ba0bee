package ring

import (
	"math/bits"
	"sync/atomic"
)

// cacheLine is the padding unit that keeps the queue's two positions, which
// producers and consumers write, off each other's cache line and off the
// read-only fields, so a Put does not invalidate the line a Get spins on.
const cacheLine = 64

// queue is a bounded multi-producer multi-consumer FIFO after Dmitry
// Vyukov's bounded MPMC queue: an array of cells, each with a sequence
// number that says whose turn the cell is, and two 64-bit positions that
// only grow. A producer claims position pos with one CAS on tail when cell
// pos&mask has sequence pos (free for this lap), writes the value and
// publishes it by setting the sequence to pos+1. A consumer claims position
// pos with one CAS on head when the cell has sequence pos+1 (full for this
// lap), reads the value and frees the cell for the next lap by setting the
// sequence to pos+len(cells). Neither side ever waits on a lock; a push
// that finds its cell still full reports the queue full, a pop that finds
// its cell still empty reports it empty.
//
// The positions are 64-bit so they never wrap in practice (at 10^9 pushes a
// second, 584 years), which is what lets the sequence comparisons ignore
// overflow.
//
// limit caps the elements held at once below the power-of-two cell count:
// a push also fails when pos-head >= limit. head only grows, so a stale
// head overstates the count and the cap holds without a counter of its own.
type queue[T any] struct {
	_     [cacheLine]byte // keep tail off whatever precedes the queue
	tail  atomic.Uint64   // next position to push
	_     [cacheLine - 8]byte
	head  atomic.Uint64 // next position to pop
	_     [cacheLine - 8]byte
	cells []cell[T] // read-only after newQueue
	mask  uint64    // len(cells)-1
	limit uint64    // most elements held at once, 0..len(cells)
	_     [cacheLine - 40]byte
}

// queueSpins bounds how often push looks again at a cell whose consumer has
// claimed it but not yet freed it.
const queueSpins = 32

// cell is one slot. val is written only by the producer that claimed the
// cell for this lap and read only by the consumer that claimed it after the
// producer published seq; the atomic seq orders the two, so val needs no
// atomic of its own.
type cell[T any] struct {
	seq atomic.Uint64
	val T
}

// newQueue returns an empty queue that holds at most limit elements in
// limit rounded up to a power of two cells, and at least 2: with one cell
// the sequence a consumer leaves (pos+len) equals the one a producer
// publishes (pos+1), and a full cell would look free. limit must be >= 0;
// a queue of limit 0 is always full and always empty.
func newQueue[T any](limit int) *queue[T] {
	if limit < 0 {
		panic("ring: queue limit must not be negative")
	}
	n := max(uint64(1)<<bits.Len64(uint64(max(limit, 1)-1)), 2)
	q := &queue[T]{cells: make([]cell[T], n), mask: n - 1, limit: uint64(limit)}
	for i := range q.cells {
		q.cells[i].seq.Store(uint64(i))
	}
	return q
}

// push appends v and reports whether there was room for it.
func (q *queue[T]) push(v T) bool {
	pos := q.tail.Load()
	for spins := 0; ; {
		c := &q.cells[pos&q.mask]
		seq := c.seq.Load()
		switch d := int64(seq - pos); {
		case d == 0:
			// The cell is free for this lap. The limit check is only needed
			// when it is below the cell count: otherwise a full queue shows
			// as a cell that is still full from the previous lap.
			if q.limit <= q.mask && pos-q.head.Load() >= q.limit {
				return false
			}
			if q.tail.CompareAndSwap(pos, pos+1) {
				c.val = v
				c.seq.Store(pos + 1)
				return true
			}
			pos = q.tail.Load()
		case d < 0:
			// The cell still holds the element pushed one lap ago. If its
			// consumer has claimed it already (head is past it) and the
			// limit leaves room, that consumer is a few instructions from
			// freeing the cell: look again rather than report full. If it
			// stalls there (its thread descheduled, its goroutine
			// preempted), give up: the cell stays blocked until it runs.
			if h := q.head.Load(); pos-h >= q.limit || pos-h >= uint64(len(q.cells)) || spins >= queueSpins {
				return false
			}
			spins++
			pos = q.tail.Load()
		default:
			// Another producer claimed pos since we loaded tail.
			pos = q.tail.Load()
		}
	}
}

// pop removes and returns the oldest element, or reports false when the
// queue is empty. An element whose producer has claimed its cell but not yet
// published it counts as not there yet.
func (q *queue[T]) pop() (T, bool) {
	pos := q.head.Load()
	for {
		c := &q.cells[pos&q.mask]
		seq := c.seq.Load()
		switch d := int64(seq - (pos + 1)); {
		case d == 0:
			if q.head.CompareAndSwap(pos, pos+1) {
				// val is left in the cell, not zeroed: a pointer store
				// with its write barrier would widen the window in which
				// the cell is claimed but not free, which blocks pushes
				// (see push). The stale reference lives until the cell's
				// next push; at most len(cells) of them.
				v := c.val
				c.seq.Store(pos + q.mask + 1)
				return v, true
			}
			pos = q.head.Load()
		case d < 0:
			var zero T
			return zero, false
		default:
			// Another consumer claimed pos since we loaded head.
			pos = q.head.Load()
		}
	}
}

// len returns how many elements are in the queue, counting claimed pushes
// not yet published and not counting claimed pops. It is exact when no push
// or pop is in flight, and never more than limit.
func (q *queue[T]) len() int {
	// head first: it only grows, so reading it before tail can only
	// overstate, and the clamp below bounds that.
	h := q.head.Load()
	t := q.tail.Load()
	if t <= h {
		return 0
	}
	return int(min(t-h, q.limit))
}

// cap returns the most elements the queue holds at once.
func (q *queue[T]) cap() int { return int(q.limit) }

// Package handoff owns the rendezvous at the bottom of the designs' slow
// paths (parking's Lot under ring and shard, chansem's Sem under chanpool
// and dial): the Gets that wait for a conn, first in first out, the
// granters that hand each of them exactly one value, and Close's news for
// all of them at once. It must not know what a value means (a conn, a slot
// to dial with, a token, Close) nor where a design looks for one before its
// Get waits: the designs send their own sentinels and take their own last
// looks.
//
// A waiting Get receives from one channel, wake, with a plain receive when
// its ctx cannot end. wake is unbuffered: a value goes straight from its
// granter to the Get asleep on wake longest (the runtime serves a channel's
// receivers in the order they came), and the runtime wakes that Get after
// it lets go of the channel's lock, so no lock is held across the wake-up,
// which under exhaustion is every Put's (it is often a futex wake of an
// idle P's thread). Nor does a value name its Get: a granter descheduled
// between committing and sending holds up one value, which the next Get to
// wait for one waits for, not a Get that the granter took out of a queue.
//
// parked counts the Gets that announced they will receive from wake and
// have no value committed to them. A granter takes one off it (Commit) and
// only then sends, so its send never waits for a Get that is not coming; a
// Get leaving without receiving takes itself off (Leave), and if it finds
// parked at 0 a granter has committed to it, so it receives after all.
// Counted so, parked plus the values committed and not yet received is
// always the number of Gets announced and not yet gone, so every send finds
// its Get and every Get that must receive has its value coming.
//
// Lost wake-ups are ruled out with the design's fast path as a pair of
// atomics each side writes and then reads: a Get announces itself before
// it takes a last look at the design's idle conns and capacity, and a
// design that makes a conn idle or frees capacity does so before it reads
// Waiting. One of the two sees the other.
package handoff

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"

	"github.com/poolbench/poolbench/internal/lease"
)

// cacheLine keeps parked and closed, which every fast-path Get and Put
// reads and every waiting Get and granter writes, off the lines of the
// structs a Queue is embedded in.
const cacheLine = 64

// Queue is one pool's waiting Gets. Its zero value is not ready: call Init
// before the pool's first Get.
type Queue struct {
	// wake carries values to waiting Gets; made by Init, read-only
	// afterwards.
	wake chan *lease.Entry

	_ [cacheLine]byte
	// parked counts the Gets announced and not committed to (see the
	// package doc).
	parked atomic.Int64
	// closed is set once, by Close.
	closed atomic.Bool
	_      [cacheLine - 16]byte
}

// Init makes q ready for its first Get.
func (q *Queue) Init() { q.wake = make(chan *lease.Entry) }

// Announce tells granters that the caller, a Get, will receive from wake
// (Receive or C) unless it leaves first (Leave). It comes before the Get's
// last look (see the package doc).
func (q *Queue) Announce() { q.parked.Add(1) }

// Leave takes an announced Get off parked, which it may do unless a
// granter or Close has committed to it: false means one has, and the Get
// must receive the value on its way.
func (q *Queue) Leave() bool { return q.takeOne() }

// Commit takes one announced Get off parked for a granter, which must then
// Send; false means no Get is waiting, and nothing was committed.
func (q *Queue) Commit() bool { return q.takeOne() }

// takeOne takes one off parked unless it is 0: Commit and Leave are the
// same step taken from the two sides, which is what makes every committed
// value find its Get.
func (q *Queue) takeOne() bool {
	for n := q.parked.Load(); n > 0; n = q.parked.Load() {
		if q.parked.CompareAndSwap(n, n-1) {
			return true
		}
	}
	return false
}

// Send gives v to the Get waiting longest, after a Commit. It waits, if
// need be, for an announced Get to reach wake, which it does without
// waiting for anything else.
func (q *Queue) Send(v *lease.Entry) { q.wake <- v }

// Give commits to the Get waiting longest and sends it v, reporting false
// (and giving nothing) when none is waiting. When one is, one give in
// YieldEvery, at random, yields the granter's P first (see Yield).
func (q *Queue) Give(v *lease.Entry) bool {
	if !q.Waiting() {
		return false
	}
	Yield()
	if !q.Commit() {
		return false
	}
	q.Send(v)
	return true
}

// TrySend gives v to a Get asleep on wake, if one is, and reports whether
// it did. Only a Get whose Leave succeeded may call it. The count its Leave
// took off parked is anonymous, as good a commit to a Get asleep as to
// itself: so a Get whose last look found a conn after a Put or a freed
// slot raced it passes the conn to the older Get asleep, and when it did,
// it is counted in parked again, as announced, and looks again.
func (q *Queue) TrySend(v *lease.Entry) bool {
	select {
	case q.wake <- v:
		return true
	default:
		return false
	}
}

// Receive is a waiting Get's sleep, when its ctx cannot end.
func (q *Queue) Receive() *lease.Entry { return <-q.wake }

// C is wake, for a waiting Get to select on beside its ctx.
func (q *Queue) C() <-chan *lease.Entry { return q.wake }

// Waiting reports whether a Get has announced itself and has no value
// committed to it; any goroutine may call it.
func (q *Queue) Waiting() bool { return q.parked.Load() > 0 }

// Len returns how many Gets Waiting counts; any goroutine may call it.
func (q *Queue) Len() int { return int(q.parked.Load()) }

// Close marks q closed and sends closing to every Get announced, reporting
// false when an earlier Close did so already. It commits to all of them at
// once; a Get that announces itself later sees Closed in its last look and
// leaves, so afterwards no Get waits.
func (q *Queue) Close(closing *lease.Entry) bool {
	if !q.closed.CompareAndSwap(false, true) {
		return false
	}
	for range q.parked.Swap(0) {
		q.wake <- closing
	}
	return true
}

// Closed reports whether Close has run; any goroutine may call it.
func (q *Queue) Closed() bool { return q.closed.Load() }

// YieldEvery is how many hand-offs, on average, go by between two in which
// the granter yields its P first (see Yield).
const YieldEvery = 64

// Yield gives up the caller's P, one call in YieldEvery at random. A
// granter about to wake a Get calls it first.
//
// A send readies its Get in the P's runnext slot, ahead of the P's run
// queue, and under exhaustion every goroutine runs Put (readying the next
// Get) and then parks in Get, so the Get it readied runs next, and so on:
// the run queue, where a Get readied earlier was pushed out of runnext
// with its conn, waits until the chain breaks. Nothing broke it but a
// preemption that found runnext empty (with one P), or the mutex the
// waiting Gets used to queue under (with two): without the yield, ring's
// max wait was 115 ms exhausted and 79 ms exhausted-2, about a whole 100
// ms benchmark run (chanpool's, whose runtime-served channel has the same
// chain, 117 and 68 ms; mutexlist's, whose grants go on per-waiter
// channels, 116 ms). Gosched, with no Get readied yet, runs the queue. One
// in 64: 0.14 and 0.9 ms, sec/op within noise of never yielding; one in
// 256 or 1024 left 0.46 and 1.9, 1.6 and 4.1 ms.
func Yield() {
	if rand.Uint32()%YieldEvery == 0 {
		runtime.Gosched()
	}
}

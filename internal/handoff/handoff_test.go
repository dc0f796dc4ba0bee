package handoff

import (
	"testing"
	"testing/synctest"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/internal/lease"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newQueue() *Queue {
	q := new(Queue)
	q.Init()
	return q
}

// waiter announces itself on q and receives, in a goroutine of its own; it
// returns once the goroutine is asleep on the channel.
func waiter(t *testing.T, q *Queue) <-chan *lease.Entry {
	t.Helper()
	got := make(chan *lease.Entry, 1)
	q.Announce()
	go func() { got <- q.Receive() }()
	synctest.Wait()
	return got
}

// TestGiveFirstInFirstOut: values go to the Gets in the order they went to
// sleep, one each, and Give reports false, sending nothing, once none is
// left.
func TestGiveFirstInFirstOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newQueue()
		var gets []<-chan *lease.Entry
		for range 3 {
			gets = append(gets, waiter(t, q))
		}
		if q.Len() != 3 || !q.Waiting() {
			t.Fatalf("Len %d, Waiting %v with 3 Gets asleep", q.Len(), q.Waiting())
		}
		values := []*lease.Entry{new(lease.Entry), new(lease.Entry), new(lease.Entry)}
		for _, v := range values {
			if !q.Give(v) {
				t.Fatal("Give found no Get with one asleep")
			}
		}
		for i, got := range gets {
			if v := <-got; v != values[i] {
				t.Fatalf("Get %d received value %p, want %p (the %d-th given)", i, v, values[i], i)
			}
		}
		if q.Give(new(lease.Entry)) || q.Waiting() || q.Len() != 0 {
			t.Fatalf("Give with no Get left: Waiting %v, Len %d", q.Waiting(), q.Len())
		}
	})
}

// TestLeave: a Get nobody committed to leaves; one a granter committed to
// finds Leave false and receives the value the granter then sends.
func TestLeave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newQueue()
		q.Announce()
		if !q.Leave() || q.Len() != 0 {
			t.Fatalf("Leave with nobody committed: Len %d after, want it to succeed and 0", q.Len())
		}
		q.Announce()
		if !q.Commit() {
			t.Fatal("Commit found no announced Get")
		}
		if q.Leave() {
			t.Fatal("Leave succeeded after a granter committed to the Get")
		}
		v := new(lease.Entry)
		go q.Send(v)
		if got := q.Receive(); got != v {
			t.Fatalf("the committed-to Get received %p, want the granter's %p", got, v)
		}
		if q.Commit() {
			t.Fatal("Commit succeeded with no Get announced")
		}
	})
}

// TestTrySend: a Get whose Leave succeeded passes a value to an older Get
// asleep and counts as announced again; with nobody asleep it keeps the
// value.
func TestTrySend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newQueue()
		q.Announce()
		if !q.Leave() || q.TrySend(new(lease.Entry)) {
			t.Fatal("TrySend delivered with no Get asleep")
		}
		old := waiter(t, q)
		q.Announce() // the newcomer, whose last look found v
		if !q.Leave() {
			t.Fatal("the newcomer's Leave failed with nobody committed")
		}
		v := new(lease.Entry)
		if !q.TrySend(v) {
			t.Fatal("TrySend found no Get asleep with one asleep")
		}
		if got := <-old; got != v {
			t.Fatalf("the Get asleep received %p, want %p", got, v)
		}
		if q.Len() != 1 {
			t.Fatalf("Len %d after the newcomer passed its value on, want 1: the newcomer, still announced", q.Len())
		}
	})
}

// TestClose: Close sends its value to every announced Get, asleep or not
// yet asleep, once; a second Close sends nothing.
func TestClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newQueue()
		asleep := waiter(t, q)
		q.Announce() // announced, still taking its last look
		closing := new(lease.Entry)
		done := make(chan bool)
		go func() { done <- q.Close(closing) }()
		if got := <-asleep; got != closing {
			t.Fatalf("the Get asleep received %p across Close, want closing", got)
		}
		if q.Leave() {
			t.Fatal("the Get announced across Close could leave: Close did not commit to it")
		}
		if got := q.Receive(); got != closing {
			t.Fatalf("the Get announced across Close received %p, want closing", got)
		}
		if !<-done || !q.Closed() || q.Waiting() {
			t.Fatalf("Close: Closed %v, Waiting %v after it", q.Closed(), q.Waiting())
		}
		if q.Close(closing) {
			t.Fatal("a second Close reported that it closed the queue")
		}
	})
}

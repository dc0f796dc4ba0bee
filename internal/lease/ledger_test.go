package lease

import (
	"net"
	"sync"
	"testing"
	"time"
)

// TestLedgerCountsReuses drives three conns through hand-outs the way a pool
// does and checks the ledger's count after each step against the reuses
// that happened.
func TestLedgerCountsReuses(t *testing.T) {
	o := &owner{}
	var l Ledger
	newEntry := func() *Entry { return pipeEntry(t, o) }
	mustRelease := func(c net.Conn) {
		t.Helper()
		if _, err := Release(o, c); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, held int, want uint64) {
		t.Helper()
		if got := l.Reuses(held); got != want {
			t.Fatalf("%s: Reuses(%d) = %d, want %d", what, held, got, want)
		}
	}

	a := newEntry()
	l.Add(a, true)
	ca := a.Acquire()
	check("a dialed and handed to its Get", 1, 0)
	mustRelease(ca)
	check("a returned", 0, 0)
	ca = a.Acquire()
	check("a reused", 1, 1)

	b := newEntry() // a dial whose Get left: its first hand-out is a reuse
	l.Add(b, false)
	check("b dialed for nobody", 1, 1)
	cb := b.Acquire()
	check("b handed to a waiter", 2, 2)

	if _, err := Release(o, ca); err != nil {
		t.Fatal(err)
	}
	if _, err := Release(o, ca); err == nil {
		t.Fatal("double Release succeeded")
	}
	check("a returned, a double Put rejected", 1, 2)
	l.Remove(a) // the pool closes a: its hand-outs stay counted
	l.Remove(a) // removing twice changes nothing
	check("a closed", 1, 2)

	c := newEntry()
	l.Add(c, true)
	cc := c.Acquire()
	mustRelease(cb)
	mustRelease(cc)
	cb, cc = b.Acquire(), c.Acquire()
	check("b and c reused", 2, 4)
	mustRelease(cb)
	l.Remove(b)
	mustRelease(cc)
	check("b closed, c idle", 0, 4)
	l.Remove(c)
	l.Remove(newEntry()) // never added
	check("every conn closed", 0, 4)
}

// TestLedgerConcurrent adds, hands out and removes entries from several
// goroutines at once (run with -race) and checks the total at the end.
func TestLedgerConcurrent(t *testing.T) {
	o := &owner{}
	var l Ledger
	const goroutines, conns, handouts = 4, 20, 30
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range conns {
				a, b := net.Pipe()
				e := NewEntry(o, a, time.Now())
				l.Add(e, true)
				for range handouts {
					if _, err := Release(o, e.Acquire()); err != nil {
						t.Error(err)
						return
					}
					_ = l.Reuses(0)
				}
				l.Remove(e)
				a.Close()
				b.Close()
			}
		}()
	}
	wg.Wait()
	// Each conn was handed out handouts times, the first to its dialing Get.
	if got, want := l.Reuses(0), uint64(goroutines*conns*(handouts-1)); got != want {
		t.Fatalf("Reuses = %d, want %d", got, want)
	}
}

// TestLedgerPlaces: an Entry keeps its index from Add to Remove while
// others come and go and the places grow, At finds it there, and a removed
// Entry's index goes to a later one.
func TestLedgerPlaces(t *testing.T) {
	o := &owner{}
	var l Ledger
	newEntry := func() *Entry { return pipeEntry(t, o) }
	var live []*Entry
	at := map[*Entry]int{}
	check := func(what string) {
		t.Helper()
		for _, e := range live {
			if e.Index() != at[e] || l.At(e.Index()) != e {
				t.Fatalf("%s: entry added at %d has index %d, At gives %p, want %p", what, at[e], e.Index(), l.At(e.Index()), e)
			}
		}
	}
	for range 20 { // past the first two sizes of places
		e := newEntry()
		l.Add(e, true)
		live, at[e] = append(live, e), e.Index()
		check("adding")
	}
	removed := live[5]
	l.Remove(removed)
	live = append(live[:5], live[6:]...)
	check("after a Remove")
	e := newEntry()
	l.Add(e, false)
	if e.Index() != at[removed] {
		t.Fatalf("an Add after a Remove took index %d, want the freed %d", e.Index(), at[removed])
	}
	live, at[e] = append(live, e), e.Index()
	check("after reusing an index")
}

// TestLedgerAtConcurrent: At, without the mutex, finds an Entry its caller
// owns while other goroutines add and remove entries and grow the places
// (run with -race).
func TestLedgerAtConcurrent(t *testing.T) {
	o := &owner{}
	var l Ledger
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	mine := NewEntry(o, a, time.Now())
	l.Add(mine, true)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var added []*Entry
			for range 100 {
				e := NewEntry(o, a, time.Now())
				l.Add(e, true)
				added = append(added, e)
			}
			for _, e := range added {
				l.Remove(e)
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	for {
		if got := l.At(mine.Index()); got != mine {
			t.Fatalf("At(%d) = %p, want %p", mine.Index(), got, mine)
		}
		select {
		case <-done:
			return
		default:
		}
	}
}

// pipeEntry is a new Entry of o over one end of a net.Pipe, both ends
// closed when t ends.
func pipeEntry(t *testing.T, o Owner) *Entry {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return NewEntry(o, a, time.Now())
}

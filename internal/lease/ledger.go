package lease

import (
	"sync"
	"sync/atomic"
)

// Ledger counts a pool's hand-outs without a counter on its fast path. Every
// won Release already bumps its Entry's state, so the hand-outs of an Entry
// are its state plus one while it is held; the Ledger keeps the pool's live
// Entries (added when dialed, removed when closed: rare events, under a
// mutex) and the states of the closed ones, and sums them when asked. A
// design whose Get takes an idle conn with one atomic swap then counts its
// reuses for free, instead of with an atomic add that would cost as much as
// the swap (ring, shard).
//
// Each live Entry keeps one place in the Ledger from Add to Remove (Index),
// and At finds it there without the mutex, so a design can keep an idle
// conn as that small number in an atomic integer (ring's hot cell): Go's
// atomic pointer operations are calls that check for the GC's write
// barrier, its integer ones single instructions.
//
// The zero value is ready to use. Each method takes the Ledger's own mutex,
// never a pool's, so a pool may call them with or without its lock held.
type Ledger struct {
	mu sync.Mutex
	// places holds the live Entries at their indexes, nil where none is.
	// Written under mu; read by At without it, so it is replaced, never
	// grown in place, when it is full: an At that loaded the old one still
	// finds there every Entry it can be asking for (see At).
	places   atomic.Pointer[[]*Entry]
	free     []int  // guarded by mu: the nil places
	released uint64 // guarded by mu: the won Releases of closed Entries
	fresh    uint64 // guarded by mu: hand-outs of a conn to the Get that dialed it
}

// Add records a freshly dialed Entry. handedOut says whether the Get that
// dialed it takes it (that hand-out was a dial, not a reuse); a dial whose
// Get left goes idle or to a waiter, and its first hand-out is a reuse.
func (l *Ledger) Add(e *Entry, handedOut bool) {
	l.mu.Lock()
	places := l.placesLocked()
	if n := len(l.free); n > 0 {
		e.ledgerAt = l.free[n-1]
		l.free = l.free[:n-1]
	} else {
		grown := make([]*Entry, max(2*len(places), 8))
		copy(grown, places)
		for i := len(grown) - 1; i > len(places); i-- {
			l.free = append(l.free, i) // the lowest on top: places fill from the bottom
		}
		e.ledgerAt = len(places)
		places = grown
		l.places.Store(&places)
	}
	places[e.ledgerAt] = e
	if handedOut {
		l.fresh++
	}
	l.mu.Unlock()
}

// Remove records that the pool closed e, which it owns (so e is not held
// and its state no longer moves). An Entry never added is ignored.
func (l *Ledger) Remove(e *Entry) {
	l.mu.Lock()
	if places := l.placesLocked(); e.ledgerAt >= 0 && e.ledgerAt < len(places) && places[e.ledgerAt] == e {
		places[e.ledgerAt] = nil
		l.free = append(l.free, e.ledgerAt)
		e.ledgerAt = -1
		l.released += e.state.Load()
	}
	l.mu.Unlock()
}

// Index returns e's place, which it keeps from Add until Remove. The caller
// must own e, and e must have been added.
func (e *Entry) Index() int { return e.ledgerAt }

// At returns the Entry at index i. The caller must own that Entry or have
// been given i by its owner (through an atomic, say) after the Add that
// placed it: the Entry then cannot have been removed, and the places At
// loads are the ones Add wrote it to or a copy made after.
func (l *Ledger) At(i int) *Entry { return (*l.places.Load())[i] }

// Reuses returns how many hand-outs were reuses (not the dialing Get's own
// conn), given held, the number of conns callers hold now (a pool's InUse).
// Like a pool's gauges it is exact when the pool is quiet: a Release in
// flight may count before the Put that made it has finished.
func (l *Ledger) Reuses(held int) uint64 {
	l.mu.Lock()
	n := l.released + uint64(max(held, 0))
	for _, e := range l.placesLocked() {
		if e != nil {
			n += e.state.Load()
		}
	}
	fresh := l.fresh
	l.mu.Unlock()
	if n < fresh {
		return 0 // not quiet: a held count read before its hand-out landed
	}
	return n - fresh
}

// placesLocked returns the current places (none before the first Add).
// The mutex must be held.
func (l *Ledger) placesLocked() []*Entry {
	if p := l.places.Load(); p != nil {
		return *p
	}
	return nil
}

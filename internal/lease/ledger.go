package lease

import "sync"

// Ledger counts a pool's hand-outs without a counter on its fast path. Every
// won Release already bumps its Entry's state, so the hand-outs of an Entry
// are its state plus one while it is held; the Ledger keeps the pool's live
// Entries (added when dialed, removed when closed: rare events, under a
// mutex) and the states of the closed ones, and sums them when asked. A
// design whose Get takes an idle conn with one atomic swap then counts its
// reuses for free, instead of with an atomic add that would cost as much as
// the swap (ring, shard).
//
// The zero value is ready to use. Each method takes the Ledger's own mutex,
// never a pool's, so a pool may call them with or without its lock held.
type Ledger struct {
	mu       sync.Mutex
	live     []*Entry // guarded by mu; each Entry's ledgerAt is its index
	released uint64   // guarded by mu: the won Releases of closed Entries
	fresh    uint64   // guarded by mu: hand-outs of a conn to the Get that dialed it
}

// Add records a freshly dialed Entry. handedOut says whether the Get that
// dialed it takes it (that hand-out was a dial, not a reuse); a dial whose
// Get left goes idle or to a waiter, and its first hand-out is a reuse.
func (l *Ledger) Add(e *Entry, handedOut bool) {
	l.mu.Lock()
	e.ledgerAt = len(l.live)
	l.live = append(l.live, e)
	if handedOut {
		l.fresh++
	}
	l.mu.Unlock()
}

// Remove records that the pool closed e, which it owns (so e is not held
// and its state no longer moves). An Entry never added is ignored.
func (l *Ledger) Remove(e *Entry) {
	l.mu.Lock()
	if i := e.ledgerAt; i >= 0 && i < len(l.live) && l.live[i] == e {
		last := len(l.live) - 1
		l.live[i] = l.live[last]
		l.live[i].ledgerAt = i
		l.live[last] = nil
		l.live = l.live[:last]
		e.ledgerAt = -1
		l.released += e.state.Load()
	}
	l.mu.Unlock()
}

// Reuses returns how many hand-outs were reuses (not the dialing Get's own
// conn), given held, the number of conns callers hold now (a pool's InUse).
// Like a pool's gauges it is exact when the pool is quiet: a Release in
// flight may count before the Put that made it has finished.
func (l *Ledger) Reuses(held int) uint64 {
	l.mu.Lock()
	n := l.released + uint64(max(held, 0))
	for _, e := range l.live {
		n += e.state.Load()
	}
	fresh := l.fresh
	l.mu.Unlock()
	if n < fresh {
		return 0 // not quiet: a held count read before its hand-out landed
	}
	return n - fresh
}

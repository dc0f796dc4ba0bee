package mutexlist

import (
	"time"

	"github.com/poolbench/poolbench/internal/lease"
)

// sweep closes the idle conns that have expired, without waiting for a Get
// to find them, and re-arms the reaper for the earliest expiry left. It runs
// on the reaper's timer goroutine.
func (p *Pool) sweep() {
	now := time.Now()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	dead, next := p.idle.removeExpired(now, p.keep.Policy, nil)
	for range dead {
		p.freeSlotLocked()
	}
	p.mu.Unlock()
	p.keep.Arm(next, now)
	for _, d := range dead {
		p.keep.Retire(d.e, d.cause)
	}
}

// closeAll closes entries that the pool closes without counting a cause.
func closeAll(entries []*lease.Entry) {
	for _, e := range entries {
		e.Raw().Close()
	}
}

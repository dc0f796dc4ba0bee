package ring

import (
	"time"

	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
)

// The spill keeps idle conns that the ring refused although the pool holds
// fewer than MaxIdle. Vyukov's queue hands out cells strictly in position
// order, so a Get stalled between claiming a cell and freeing it (its thread
// descheduled by the OS, its goroutine stopped for GC) blocks every push
// that laps round to that cell until it runs again. Closing the conns that
// arrive meanwhile would make the next Gets dial: on a loaded machine that
// turned a stall of a few milliseconds into thousands of dials. The spill
// is a mutex-guarded stack that only a stall fills; spilled, read on the
// fast paths, is zero otherwise, and the next successful push moves the
// spill back into the ring.
//
// Pool.spill is guarded by Pool.spillMu; Pool.spilled mirrors
// len(Pool.spill).

// spillOrDrop keeps e, which the ring refused, in the spill if that leaves
// no more than MaxIdle idle, or closes it. It reports whether e was kept
// idle; a Get that parked meanwhile is the caller's to serve, after this
// has added to spilled (see Pool).
func (p *Pool) spillOrDrop(e *lease.Entry) bool {
	p.spillMu.Lock()
	kept := !p.lot.Closed()
	if kept {
		p.spill = append(p.spill, e)
		p.spilled.Add(1)
		// Counted after adding to spilled: a push that read spilled
		// before that has reached the ring by now, and one that reads it
		// after will rebalance.
		if p.idleLen()+len(p.spill) > p.cfg.MaxIdle {
			p.unspillLocked()
			kept = false
		}
	}
	overflow := !kept && !p.lot.Closed()
	p.spillMu.Unlock()
	if !kept {
		p.lot.Drop(e)
		if overflow {
			p.counters.MaxIdle.Add(1)
		}
	}
	return kept
}

// rebalance runs after a successful push found the spill non-empty: it
// moves spilled entries back to the ring while the ring takes them, and
// closes those that a push racing spillOrDrop made one too many.
func (p *Pool) rebalance() {
	for {
		p.spillMu.Lock()
		n := len(p.spill)
		if n == 0 {
			p.spillMu.Unlock()
			return
		}
		over := p.idleLen()+n > p.cfg.MaxIdle
		if !over && !p.idle.push(p.spill[n-1]) {
			p.spillMu.Unlock()
			return // the ring is still blocked
		}
		e, _ := p.unspillLocked()
		p.spillMu.Unlock()
		if over {
			p.lot.Drop(e)
			p.counters.MaxIdle.Add(1)
		}
	}
}

// unspill takes the most recently spilled entry.
func (p *Pool) unspill() (*lease.Entry, bool) {
	p.spillMu.Lock()
	e, ok := p.unspillLocked()
	p.spillMu.Unlock()
	return e, ok
}

// unspillLocked is unspill with spillMu held.
func (p *Pool) unspillLocked() (*lease.Entry, bool) {
	n := len(p.spill)
	if n == 0 {
		return nil, false
	}
	e := p.spill[n-1]
	p.spill[n-1] = nil
	p.spill = p.spill[:n-1]
	p.spilled.Add(-1)
	return e, true
}

// sweepSpill is the reaper's pass over the spill: it closes the expired
// entries and returns the earliest expiry among the others (zero if none).
func (p *Pool) sweepSpill(now time.Time) (next time.Time) {
	for i := 0; ; {
		p.spillMu.Lock()
		if i >= len(p.spill) {
			p.spillMu.Unlock()
			return next
		}
		e := p.spill[i]
		cause := p.policy.Expired(&e.Life, now)
		expired := cause != expiry.Fresh
		if expired {
			last := len(p.spill) - 1
			p.spill[i], p.spill[last] = p.spill[last], nil
			p.spill = p.spill[:last]
			p.spilled.Add(-1)
		} else {
			if at := p.policy.ExpiresAt(&e.Life); next.IsZero() || at.Before(next) {
				next = at
			}
			i++
		}
		p.spillMu.Unlock()
		if expired {
			p.lot.Retire(e, cause)
			p.lot.FreeSlot()
		}
	}
}

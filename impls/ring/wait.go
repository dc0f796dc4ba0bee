package ring

import (
	"github.com/poolbench/poolbench/internal/parking"
)

// takeForWaiter is the Lot's Take: it takes an idle conn for a parked Get,
// the hot cell's or the ring's before the spill's, or else reserves a slot.
// It looks at spilled before it takes the spill's mutex, so that a Get's
// last look under exhaustion takes no lock: a spill that lands after that
// look reads waiters after it (see Pool).
func (p *Pool) takeForWaiter() (parking.Grant, bool) {
	if e, ok := p.takeIdle(); ok {
		return parking.Grant{Entry: e}, true
	}
	if p.spilled.Load() != 0 {
		if e, ok := p.unspill(); ok {
			return parking.Grant{Entry: e}, true
		}
	}
	if p.slots.TryReserve(p.cfg.MaxConns) {
		return parking.Grant{Dial: true}, true
	}
	return parking.Grant{}, false
}

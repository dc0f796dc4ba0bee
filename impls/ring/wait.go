package ring

import (
	"github.com/poolbench/poolbench/internal/parking"
)

// serveLocked is the Lot's Serve (its mutex held): it hands idle conns and
// free slots to the waiters, oldest first, the hot cell's and the ring's
// conns before the spill's.
func (p *Pool) serveLocked() {
	for p.lot.Queued() {
		if e, ok := p.takeIdle(); ok {
			p.lot.GrantOldest(parking.Grant{Entry: e})
		} else if e, ok := p.unspillLocked(); ok {
			p.lot.GrantOldest(parking.Grant{Entry: e})
		} else if p.slots.TryReserve(p.cfg.MaxConns) {
			p.lot.GrantOldest(parking.Grant{Dial: true})
		} else {
			return
		}
	}
}

package shard

import (
	"time"

	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/parking"
)

// serveLocked is the Lot's Serve (its mutex held): it hands idle conns and
// free slots to the waiters, oldest first.
func (p *Pool) serveLocked() {
	for p.lot.Queued() {
		if e := p.take(0); e != nil {
			p.lot.GrantOldest(parking.Grant{Entry: e})
		} else if p.open.TryReserve(p.cfg.MaxConns) {
			p.lot.GrantOldest(parking.Grant{Dial: true})
		} else {
			return
		}
	}
}

// offer keeps an entry the pool owns (to a waiter, a cell, or closed as
// keep decides) and arms the reaper for it.
func (p *Pool) offer(e *lease.Entry) {
	at := p.policy.ExpiresAt(&e.Life) // read while we own e
	if p.keep(e) && !at.IsZero() {
		p.reaper.ArmBy(at, time.Now())
	}
}

package shard

import (
	"time"

	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/parking"
)

// takeForWaiter is the Lot's Take: it takes an idle conn for a parked Get,
// or else reserves a slot.
func (p *Pool) takeForWaiter() (parking.Grant, bool) {
	if e := p.take(0); e != nil {
		return parking.Grant{Entry: e}, true
	}
	if p.open.TryReserve(p.cfg.MaxConns) {
		return parking.Grant{Dial: true}, true
	}
	return parking.Grant{}, false
}

// offer keeps an entry the pool owns (to a waiter, a cell, or closed as
// keep decides) and arms the reaper for it.
func (p *Pool) offer(e *lease.Entry) {
	at := p.policy.ExpiresAt(&e.Life) // read while we own e
	if p.keep(e) && !at.IsZero() {
		p.reaper.ArmBy(at, time.Now())
	}
}

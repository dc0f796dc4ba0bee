// Package reuse carries out the reuse policy's verdicts on the conns of a
// design that keeps conns idle: a conn the policy refuses, on Get, on Put or
// in a sweep, is closed and counted by cause, and one kept idle arms the
// reaper for when it expires. It also owns Discard, the one way a caller
// ends a conn's reuse. It must not know how a design stores idle conns,
// counts its capacity or wakes its waiters: it closes conns, and freeing a
// closed conn's slot is always the caller's.
package reuse

import (
	"net"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
	"github.com/poolbench/poolbench/internal/reaper"
)

// Keeper applies one design's expiry.Policy to its lease entries and counts
// the outcomes in the design's counters. Build it with New; it is read-only
// afterwards, so a design calls it without a lock.
type Keeper struct {
	// Policy is the design's reuse policy: its Get calls OnGet itself, so
	// that the check inlines, and its sweep Expired and ExpiresAt.
	Policy expiry.Policy
	stats  *counters.Counters
	reaper *reaper.Reaper // nil unless Policy.Timed()
}

// New returns the Keeper of cfg, counting into stats. When cfg sets a
// timeout it runs sweep (the design's pass over its idle conns) on a
// reaper armed by Arm.
func New(cfg pool.Config, stats *counters.Counters, sweep func()) Keeper {
	k := Keeper{Policy: expiry.New(cfg), stats: stats}
	if k.Policy.Timed() {
		k.reaper = reaper.New(sweep)
	}
	return k
}

// Returned judges an entry a caller has given back, stamping it idle. If
// the policy refuses it, Returned closes its conn, counts why and returns
// false; the caller frees its slot. Otherwise the caller keeps the entry
// idle (or hands it on) and passes expiresAt and now to Arm. Without a
// timeout it reads no clock and returns zero times.
func (k *Keeper) Returned(e *lease.Entry) (expiresAt, now time.Time, ok bool) {
	if k.Policy.Timed() {
		return k.returnedTimed(e)
	}
	return expiresAt, now, true
}

func (k *Keeper) returnedTimed(e *lease.Entry) (expiresAt, now time.Time, ok bool) {
	now = time.Now()
	expiresAt, cause := k.Policy.Returned(&e.Life, now)
	if cause != expiry.Fresh {
		k.Retire(e, cause)
		return time.Time{}, now, false
	}
	return expiresAt, now, true
}

// Retire closes the conn of an entry the policy refused for cause (on Get,
// where a design calls Policy.OnGet itself so that it inlines, or in its
// sweep) and counts why. The caller owns the entry
// and still holds its slot.
func (k *Keeper) Retire(e *lease.Entry, cause expiry.Cause) {
	e.Raw().Close()
	k.stats.Expired(cause)
}

// Arm makes sure the reaper sweeps by expiresAt, the expiry of an entry just
// made idle (zero when it cannot expire), given the time now.
func (k *Keeper) Arm(expiresAt, now time.Time) {
	if !expiresAt.IsZero() {
		k.reaper.ArmBy(expiresAt, now)
	}
}

// Stop stops the reaper, if there is one; no sweep runs after it returns.
// The design calls it from Close, outside its own locks (a sweep takes them).
func (k *Keeper) Stop() {
	if k.reaper != nil {
		k.reaper.Stop()
	}
}

// Discard takes c back from owner for good: it rejects a conn owner did not
// hand out, or one already returned, as lease.Release does; otherwise it
// counts the discard and passes the entry to drop, which closes the conn
// and frees its slot.
func Discard[O interface {
	lease.Owner
	comparable
}](owner O, c net.Conn, stats *counters.Counters, drop func(*lease.Entry)) error {
	e, err := lease.Release(owner, c)
	if err != nil {
		return err
	}
	stats.Discards.Add(1)
	drop(e)
	return nil
}

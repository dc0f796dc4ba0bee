// Package expiry is the reuse policy every poolbench design applies to its
// conns: IdleTimeout, MaxLifetime and the dead-peer check, read once from a
// pool.Config, so the designs differ only in how they store idle conns.
package expiry

import (
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/lease"
)

// Policy decides whether an entry may be handed out or kept idle.
type Policy struct {
	idleTimeout  time.Duration
	maxLifetime  time.Duration
	noAliveCheck bool
}

// New returns the policy of cfg.
func New(cfg pool.Config) Policy {
	return Policy{idleTimeout: cfg.IdleTimeout, maxLifetime: cfg.MaxLifetime, noAliveCheck: cfg.NoAliveCheck}
}

// Timed reports whether conns can expire, and so whether the pool needs the
// clock and a reaper.
func (p Policy) Timed() bool { return p.idleTimeout > 0 || p.maxLifetime > 0 }

// Now returns the time when Timed and the zero Time otherwise, so a pool
// without timeouts never reads the clock on its fast path.
func (p Policy) Now() time.Time {
	if !p.Timed() {
		return time.Time{}
	}
	return time.Now()
}

// Reusable reports whether idle entry e may be handed out by Get: it has not
// expired and, unless NoAliveCheck, its peer has not closed it (one
// non-blocking peek on a kernel socket). The caller owns e.
func (p Policy) Reusable(e *lease.Entry) bool {
	if p.Timed() && e.Expired(time.Now(), p.idleTimeout, p.maxLifetime) {
		return false
	}
	return p.noAliveCheck || e.Usable()
}

// Returned is called when e comes back at now (from Now). It reports false
// when e is past MaxLifetime and must be closed; otherwise it stamps e idle
// since now and returns when e will expire (zero when never), for the reaper.
// The caller owns e, and must not read it once another goroutine may.
func (p Policy) Returned(e *lease.Entry, now time.Time) (expiresAt time.Time, keep bool) {
	if !p.Timed() {
		return time.Time{}, true
	}
	if e.TooOld(now, p.maxLifetime) {
		return time.Time{}, false
	}
	e.IdleSince = now
	return p.ExpiresAt(e), true
}

// Expired reports whether idle entry e has expired at now.
func (p Policy) Expired(e *lease.Entry, now time.Time) bool {
	return e.Expired(now, p.idleTimeout, p.maxLifetime)
}

// ExpiresAt returns when idle entry e expires, or the zero Time when never.
func (p Policy) ExpiresAt(e *lease.Entry) time.Time {
	return e.ExpiresAt(p.idleTimeout, p.maxLifetime)
}

// Package expiry is the one reuse policy of every poolbench design: it
// decides, from a pool.Config, whether a conn may be handed out again or
// kept idle (IdleTimeout, MaxLifetime, the dead-peer peek) and says why not
// as a Cause, which the designs count in pool.Stats. It owns each conn's
// policy state (Life: its ages and its peer probe). It does not know how a
// design stores idle conns, when it takes locks, or who holds a conn; the
// hand-out state is lease's.
package expiry

import (
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// Cause says why the policy refuses a conn; Fresh means it does not.
type Cause uint8

const (
	// Fresh: the conn may be handed out or kept idle.
	Fresh Cause = iota
	// IdleTimeout: the conn sat idle longer than Config.IdleTimeout.
	IdleTimeout
	// MaxLifetime: the conn is older than Config.MaxLifetime.
	MaxLifetime
	// DeadPeer: the peer closed or reset the conn, or sent bytes nobody
	// asked for, while it was idle.
	DeadPeer
)

// String names the cause as pool.Stats does.
func (c Cause) String() string {
	switch c {
	case Fresh:
		return "fresh"
	case IdleTimeout:
		return "idle timeout"
	case MaxLifetime:
		return "max lifetime"
	case DeadPeer:
		return "dead peer"
	}
	return "unknown cause"
}

// Policy decides whether a conn may be handed out or kept idle. It is a
// small value, read-only after New, so a design keeps it by value and its
// fast-path checks inline.
type Policy struct {
	idleTimeout  time.Duration
	maxLifetime  time.Duration
	timed        bool // either is set; a field, so that OnGet stays cheap enough to inline
	noAliveCheck bool
}

// New returns the policy of cfg.
func New(cfg pool.Config) Policy {
	return Policy{
		idleTimeout:  cfg.IdleTimeout,
		maxLifetime:  cfg.MaxLifetime,
		timed:        cfg.IdleTimeout > 0 || cfg.MaxLifetime > 0,
		noAliveCheck: cfg.NoAliveCheck,
	}
}

// Timed reports whether conns can expire, and so whether the pool needs the
// clock and a reaper.
func (p Policy) Timed() bool { return p.timed }

// Now returns the time when Timed and the zero Time otherwise, so a pool
// without timeouts never reads the clock on its fast path.
func (p Policy) Now() time.Time {
	if !p.Timed() {
		return time.Time{}
	}
	return time.Now()
}

// OnGet decides whether idle conn l may be handed out by Get: Fresh, or
// the reason to close it instead. When there is neither a timeout nor a
// socket to peek at it reads nothing and inlines; otherwise it reads the
// clock (when Timed) and peeks at the socket (unless NoAliveCheck). The
// caller owns l.
func (p Policy) OnGet(l *Life) Cause {
	if !p.timed && (p.noAliveCheck || l.raw == nil) {
		return Fresh
	}
	return p.onGetSlow(l)
}

func (p *Policy) onGetSlow(l *Life) Cause {
	if p.timed {
		if c := p.Expired(l, time.Now()); c != Fresh {
			return c
		}
	}
	if !p.noAliveCheck && !l.PeerAlive() {
		return DeadPeer
	}
	return Fresh
}

// Returned is called when l comes back from its holder at now (from Now).
// It returns MaxLifetime when l is too old to keep; otherwise it stamps l
// idle since now and returns when l will expire (zero when never), for the
// reaper. The caller owns l, and must not read it once another goroutine
// may.
func (p Policy) Returned(l *Life, now time.Time) (expiresAt time.Time, c Cause) {
	if !p.Timed() {
		return time.Time{}, Fresh
	}
	if p.maxLifetime > 0 && now.Sub(l.Created) >= p.maxLifetime {
		return time.Time{}, MaxLifetime
	}
	l.IdleSince = now
	return p.ExpiresAt(l), Fresh
}

// Expired decides whether idle conn l has expired at now, as a reaper asks:
// IdleTimeout when idle strictly longer than IdleTimeout, MaxLifetime when
// at least MaxLifetime old, Fresh otherwise. It does not peek.
func (p Policy) Expired(l *Life, now time.Time) Cause {
	if p.maxLifetime > 0 && now.Sub(l.Created) >= p.maxLifetime {
		return MaxLifetime
	}
	if p.idleTimeout > 0 && now.Sub(l.IdleSince) > p.idleTimeout {
		return IdleTimeout
	}
	return Fresh
}

// ExpiresAt returns the first instant at which Expired is not Fresh for
// idle conn l, or the zero Time when never. A reaper arms its timer for it.
func (p Policy) ExpiresAt(l *Life) time.Time {
	var at time.Time
	if p.idleTimeout > 0 {
		at = l.IdleSince.Add(p.idleTimeout + 1) // Expired wants strictly longer
	}
	if p.maxLifetime > 0 {
		if end := l.Created.Add(p.maxLifetime); at.IsZero() || end.Before(at) {
			at = end
		}
	}
	return at
}

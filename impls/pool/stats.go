package pool

import "time"

// Stats is a snapshot of a pool's state and counters, returned by value.
// Gauges describe the moment of the call; counters only grow.
//
// Every conn a pool closes while it is open is counted once, by cause, as
// database/sql's DBStats does: IdleTimeoutClosed, MaxLifetimeClosed,
// DeadPeerClosed, MaxIdleClosed or Discards. The conns Close closes, and
// those returned after it, are not counted.
type Stats struct {
	// Gauges.
	Open    int // conns established and not yet closed: Idle + InUse
	Idle    int // conns waiting in the pool for reuse
	InUse   int // conns handed out and not yet returned
	Dialing int // dials in flight; Open + Dialing never exceeds MaxConns

	// Counters.
	Dials      uint64 // dials started
	DialErrors uint64 // dials that failed
	Reuses     uint64 // Gets served by an idle or handed-over conn, no dial

	// IdleTimeoutClosed counts idle conns closed because they sat idle
	// longer than Config.IdleTimeout, found by a Get or by the reaper.
	IdleTimeoutClosed uint64
	// MaxLifetimeClosed counts conns closed because they were older than
	// Config.MaxLifetime: idle ones found by a Get or the reaper, and
	// returned ones that Put closed instead of keeping.
	MaxLifetimeClosed uint64
	// DeadPeerClosed counts idle conns that a Get closed instead of
	// handing out because the peek found the peer had closed or reset
	// them, or had sent bytes nobody asked for.
	DeadPeerClosed uint64
	// MaxIdleClosed counts conns returned by Put and closed because
	// Config.MaxIdle conns were already idle and no Get was waiting.
	MaxIdleClosed uint64
	// Discards counts conns closed by Discard, or by Close on the handle a
	// caller held.
	Discards uint64

	Waits    uint64        // Gets that had to wait for a conn
	WaitTime time.Duration // total time Gets spent waiting
	Cancels  uint64        // Gets that ended because their ctx ended
}

// Expired returns the conns closed because the reuse policy refused them:
// IdleTimeoutClosed + MaxLifetimeClosed + DeadPeerClosed.
func (s Stats) Expired() uint64 {
	return s.IdleTimeoutClosed + s.MaxLifetimeClosed + s.DeadPeerClosed
}

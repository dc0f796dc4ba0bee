package pool

import "time"

// Stats is a snapshot of a pool's state and counters, returned by value.
// Gauges describe the moment of the call; counters only grow.
type Stats struct {
	// Gauges.
	Open    int // conns established and not yet closed: Idle + InUse
	Idle    int // conns waiting in the pool for reuse
	InUse   int // conns handed out and not yet returned
	Dialing int // dials in flight; Open + Dialing never exceeds MaxConns

	// Counters.
	Dials      uint64        // dials started
	DialErrors uint64        // dials that failed
	Reuses     uint64        // Gets served by an idle or handed-over conn, no dial
	Expired    uint64        // conns closed for IdleTimeout, MaxLifetime or a dead peer
	Discards   uint64        // conns closed by Discard
	Waits      uint64        // Gets that had to wait for a conn
	WaitTime   time.Duration // total time Gets spent waiting
	Cancels    uint64        // Gets that ended because their ctx ended
}

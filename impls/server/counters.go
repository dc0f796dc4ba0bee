package server

import "sync/atomic"

// Counters is the atomic bookkeeping behind Stats, shared by the designs so
// that every one counts the same events the same way. The zero value is
// ready to use; all methods are safe for concurrent use.
type Counters struct {
	accepted atomic.Uint64
	rejected atomic.Uint64
	active   atomic.Int64
	bytesIn  atomic.Uint64
	bytesOut atomic.Uint64
}

// Admit decides whether a freshly accepted conn may stay open under
// maxConns (0 = no limit). It counts the conn as accepted and active and
// returns true, or counts it as rejected and returns false; the caller then
// closes it. Safe with several acceptors: the slot is taken before the
// check, so two racing conns cannot both take the last one.
func (c *Counters) Admit(maxConns int) bool {
	if n := c.active.Add(1); maxConns > 0 && n > int64(maxConns) {
		c.active.Add(-1)
		c.rejected.Add(1)
		return false
	}
	c.accepted.Add(1)
	return true
}

// Full reports whether maxConns conns are open (never, when maxConns is 0).
// A design with a single acceptor that admits later, on another callback,
// checks Full at accept and calls Reject or Open.
func (c *Counters) Full(maxConns int) bool {
	return maxConns > 0 && c.active.Load() >= int64(maxConns)
}

// Reject counts a conn closed at accept because the server was full.
func (c *Counters) Reject() { c.rejected.Add(1) }

// Open counts an admitted conn as accepted and active.
func (c *Counters) Open() {
	c.active.Add(1)
	c.accepted.Add(1)
}

// Served counts one datagram answered by a connectionless design as
// accepted; nothing stays open, so Active does not move.
func (c *Counters) Served() { c.accepted.Add(1) }

// Closed counts the end of an admitted conn; call it once per Admit that
// returned true, or per Open.
func (c *Counters) Closed() { c.active.Add(-1) }

// In counts n bytes read from a conn.
func (c *Counters) In(n int) { c.bytesIn.Add(uint64(n)) }

// Out counts n bytes written, or queued for writing, to a conn.
func (c *Counters) Out(n int) { c.bytesOut.Add(uint64(n)) }

// Snapshot returns the counters as Stats.
func (c *Counters) Snapshot() Stats {
	return Stats{
		Accepted: c.accepted.Load(),
		Rejected: c.rejected.Load(),
		Active:   c.active.Load(),
		BytesIn:  c.bytesIn.Load(),
		BytesOut: c.bytesOut.Load(),
	}
}

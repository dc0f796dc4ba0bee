// Package lease is the conn bookkeeping that every poolbench design shares:
// an Entry per dialed conn, and the Conn handed to callers, which lets a pool
// reject a foreign conn, a double Put and a stale Put without a map lookup or
// an allocation per Get.
//
// A pool owns an Entry exclusively while it is idle (or being dialed) and
// calls Acquire to hand it out; Put and Discard call Release to take it back.
// Only the hand-out state is atomic; every other field belongs to whoever owns
// the Entry at the moment, so a pool needs no lock to touch it.
package lease

import (
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// Owner is the pool an Entry belongs to. Closing a handed-out Conn calls
// Owner.Discard, so a caller that closes instead of discarding frees the slot.
type Owner interface {
	Discard(c net.Conn) error
}

// handlesPerBlock is how many hand-out handles an Entry allocates at a time.
// Every hand-out gets a handle of its own that is never reused, because a
// caller may keep a handle after returning it: a reused handle would let that
// stale Put, made any number of hand-outs later, take the conn from its
// current holder. A block amortizes the allocation: one per handlesPerBlock
// hand-outs of a conn, not one per Get. A stale handle keeps its block (about
// 2 KiB) alive until it is dropped.
const handlesPerBlock = 64

// Entry is one dialed conn and the pool's bookkeeping for it.
type Entry struct {
	conn  net.Conn
	owner Owner

	// Created is when the conn was dialed. Set once, before first hand-out.
	Created time.Time
	// IdleSince is when the conn was last returned; written by the pool
	// that owns the idle Entry.
	IdleSince time.Time
	// Tag is the owning pool's own per-conn data, such as an adapter's
	// handle on the third-party pool's resource, found again from the
	// Entry that Release returns without a map. It belongs to whoever owns
	// the Entry, like IdleSince.
	Tag any

	// state is gen<<1 | held. gen counts hand-outs; the low bit is set while a
	// caller holds the Entry. The handle of hand-out gen records gen, and
	// Release wins only with a CAS from the state it checked, so two racing
	// Puts cannot both win.
	state atomic.Uint64
	// handles are the unused handles of the current block, for the coming
	// hand-outs. Owned, like IdleSince, by whoever owns the Entry.
	handles []Conn

	raw     syscall.RawConn // nil when conn is not a kernel socket
	peek    func(fd uintptr) bool
	peekBad bool
	buf     [1]byte
}

// NewEntry wraps a freshly dialed conn for owner. now is its creation time.
func NewEntry(owner Owner, c net.Conn, now time.Time) *Entry {
	e := &Entry{conn: c, owner: owner, Created: now, IdleSince: now}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			e.raw = raw
			e.peek = e.peekFD // bound once, so Usable does not allocate
		}
	}
	return e
}

// Raw returns the dialed conn itself, for the pool to close.
func (e *Entry) Raw() net.Conn { return e.conn }

// Acquire marks e held by a new caller and returns the handle to give it.
// The pool must own e exclusively (it was idle or just dialed).
func (e *Entry) Acquire() net.Conn {
	if len(e.handles) == 0 {
		e.handles = make([]Conn, handlesPerBlock)
	}
	h := &e.handles[0]
	e.handles = e.handles[1:]
	gen := e.state.Load()>>1 + 1
	h.Conn, h.entry, h.gen = e.conn, e, gen
	e.state.Store(gen<<1 | 1)
	return h
}

// Release takes back a conn that owner handed out. It fails with
// pool.ErrForeignConn when c is not owner's, and with pool.ErrNotHeld when
// this hand-out was already returned (double Put) or superseded (stale Put);
// in both cases nothing changes. On success the caller owns the Entry.
//
// It is generic in the owner's type (a pool passes its own pointer) so that
// the ownership check is a type assertion and a pointer compare: comparing
// two Owner interface values is a call into the runtime (ifaceeq) on every
// Put, about 20 of the ~280 instructions of ring's uncontended Get+Put.
func Release[O interface {
	Owner
	comparable
}](owner O, c net.Conn) (*Entry, error) {
	l, ok := c.(*Conn)
	if !ok || l == nil {
		return nil, pool.ErrForeignConn
	}
	if o, ok := l.entry.owner.(O); !ok || o != owner {
		return nil, pool.ErrForeignConn
	}
	// A handle is current when the entry is held by the hand-out the handle
	// was made for; the CAS makes one of two racing Releases of it lose.
	st := l.entry.state.Load()
	if st != l.gen<<1|1 || !l.entry.state.CompareAndSwap(st, st&^1) {
		return nil, pool.ErrNotHeld
	}
	return l.entry, nil
}

// Expired reports whether e must not be handed out or kept idle at now:
// idle longer than idleTimeout, or older than maxLifetime (0 disables each).
func (e *Entry) Expired(now time.Time, idleTimeout, maxLifetime time.Duration) bool {
	if idleTimeout > 0 && now.Sub(e.IdleSince) > idleTimeout {
		return true
	}
	return maxLifetime > 0 && now.Sub(e.Created) >= maxLifetime
}

// ExpiresAt returns the first instant at which Expired(t, idleTimeout,
// maxLifetime) holds, or the zero Time when both are 0. A reaper arms its
// timer for it.
func (e *Entry) ExpiresAt(idleTimeout, maxLifetime time.Duration) time.Time {
	var at time.Time
	if idleTimeout > 0 {
		at = e.IdleSince.Add(idleTimeout + 1) // Expired wants strictly longer
	}
	if maxLifetime > 0 {
		if end := e.Created.Add(maxLifetime); at.IsZero() || end.Before(at) {
			at = end
		}
	}
	return at
}

// TooOld reports whether e is older than maxLifetime at now (0 disables).
func (e *Entry) TooOld(now time.Time, maxLifetime time.Duration) bool {
	return maxLifetime > 0 && now.Sub(e.Created) >= maxLifetime
}

// Usable reports whether an idle conn may be handed out: false when its peer
// has closed it, reset it, or sent bytes nobody asked for (a request-response
// conn with unread bytes is out of step). Conns that are not kernel sockets
// are always usable. It costs one non-blocking recv.
func (e *Entry) Usable() bool {
	return e.raw == nil || e.peekUsable()
}

// Peeks reports whether Usable has a socket to peek at; when it has not,
// Usable is always true, and a pool's fast path can skip the call.
func (e *Entry) Peeks() bool { return e.raw != nil }

// peekUsable is Usable for a kernel socket.
func (e *Entry) peekUsable() bool {
	e.peekBad = false
	if err := e.raw.Read(e.peek); err != nil {
		return false
	}
	return !e.peekBad
}

// peekFD always returns true: returning false would make RawConn.Read block
// until the socket is readable, and an idle socket should never be.
func (e *Entry) peekFD(fd uintptr) bool {
	_, _, err := syscall.Recvfrom(int(fd), e.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	// EAGAIN means nothing to read: alive and in step. Anything else is EOF
	// (n == 0), unasked-for bytes (n > 0) or a socket error.
	e.peekBad = err != syscall.EAGAIN && err != syscall.EINTR
	return true
}

// Conn is the handle a caller holds: the dialed conn plus the hand-out it
// belongs to. Reads and writes go straight to the dialed conn.
type Conn struct {
	net.Conn
	entry *Entry
	gen   uint64 // the hand-out this handle was made for; a handle serves one hand-out only
}

// Close returns the conn to its pool as broken (Discard), so a caller that
// closes instead of discarding does not leak the pool's slot. A stale
// handle's Close fails with pool.ErrNotHeld and leaves the conn alone.
func (c *Conn) Close() error { return c.entry.owner.Discard(c) }

// Unwrap returns the dialed conn under the handle.
func (c *Conn) Unwrap() net.Conn { return c.Conn }

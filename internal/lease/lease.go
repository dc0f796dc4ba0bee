// Package lease is the hand-out bookkeeping that every poolbench design
// shares: an Entry per dialed conn, and the Conn handed to callers, which
// lets a pool reject a foreign conn, a double Put and a stale Put without a
// map lookup or an allocation per Get. Whether a conn may be reused is not
// lease's to decide: the Entry carries the conn's expiry.Life, and
// expiry.Policy judges it.
//
// A pool owns an Entry exclusively while it is idle (or being dialed) and
// calls Acquire to hand it out; Put and Discard call Release to take it back.
// Only the hand-out state is atomic; every other field belongs to whoever owns
// the Entry at the moment, so a pool needs no lock to touch it.
package lease

import (
	"net"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/expiry"
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
// hand-outs of a conn, not one per Get. A stale handle keeps its block (1
// KiB with the allocator's header) alive until it is dropped.
const handlesPerBlock = 126

// A handle's tag is its hand-out's generation above indexBits bits that hold
// its index in its block plus one (zero in no handle a block made).
const (
	indexBits = 8
	indexMask = 1<<indexBits - 1
)

// handleBlock is a block of handles and the Entry they belong to. The
// handles hold no pointer: each finds its block from its own address and
// index (Conn.entry). With a pointer to the Entry in every handle, as
// before, a block cost the GC 64 pointers to scan and its refill 64 write
// barriers while a cycle marks, and a Get+Put cost ring 71 cpu-ns against
// 44 with one handle reused (benchstat, 8 interleaved runs): the handles,
// not the pool's atomics, were most of ring's distance from the floor.
type handleBlock struct {
	entry   *Entry
	handles [handlesPerBlock]Conn
}

// Entry is one dialed conn and the pool's bookkeeping for it.
type Entry struct {
	conn  net.Conn
	owner Owner

	// Life is the conn's reuse-policy state (Created, IdleSince, the peer
	// probe), for expiry.Policy; written by the pool that owns the Entry.
	expiry.Life
	// Tag is the owning pool's own per-conn data, such as an adapter's
	// handle on the third-party pool's resource, found again from the
	// Entry that Release returns without a map. It belongs to whoever owns
	// the Entry, like IdleSince.
	Tag any

	// state counts the Releases that won: it is the generation of the
	// current or next hand-out. Acquire stamps the handle it makes with
	// state and writes nothing shared: only the holder's handle carries the
	// current generation, so a handle is current exactly when its gen
	// equals state, and Release wins only with a CAS from gen to gen+1, so
	// two racing Puts cannot both win. No held bit is needed: while the
	// Entry is idle no handle carries state's value yet.
	state atomic.Uint64
	// block holds the handles of the coming hand-outs; they are used from
	// the top down and next counts the unused ones. Owned, like IdleSince,
	// by whoever owns the Entry. Acquire writes no pointer: a pointer store
	// pays the GC's write barrier whenever a cycle is marking, which a Get
	// should not.
	block *handleBlock
	next  int

	// ledgerAt is e's index in its pool's Ledger, guarded by the Ledger.
	ledgerAt int
}

// NewEntry wraps a freshly dialed conn for owner. now is its creation time.
func NewEntry(owner Owner, c net.Conn, now time.Time) *Entry {
	e := &Entry{conn: c, owner: owner}
	e.Life.Init(c, now)
	e.refill()
	return e
}

// Raw returns the dialed conn itself, for the pool to close.
func (e *Entry) Raw() net.Conn { return e.conn }

// Acquire marks e held by a new caller and returns the handle to give it.
// The pool must own e exclusively (it was idle or just dialed).
func (e *Entry) Acquire() net.Conn {
	e.next-- // never below 0: NewEntry and Release refill an empty block
	h := &e.block.handles[e.next]
	// A load, not a store: an atomic store is a locked XCHG on amd64, one
	// of the handful of locked instructions in an uncontended Get+Put (each
	// some 10 ns here, against 24 ns for the whole floor).
	h.tag = e.state.Load()<<indexBits | uint64(e.next+1)
	return h
}

// refill gives e a new block of handles. NewEntry and Release call it, so
// an Entry the pool owns always has a handle ready and Acquire, with no
// call in it, inlines into a pool's Get.
//
//go:noinline
func (e *Entry) refill() {
	b := new(handleBlock)
	b.entry = e
	e.block, e.next = b, handlesPerBlock
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
	if !ok || l == nil || l.tag&indexMask == 0 {
		return nil, pool.ErrForeignConn // not a handle that Acquire made
	}
	e := l.entry()
	if o, ok := e.owner.(O); !ok || o != owner {
		return nil, pool.ErrForeignConn
	}
	// A handle is current when no Release has won since it was made; the
	// CAS makes one of two racing Releases of it lose. The load first keeps
	// a stale Put from taking the line exclusive with a CAS bound to fail.
	gen := l.tag >> indexBits
	if e.state.Load() != gen || !e.state.CompareAndSwap(gen, gen+1) {
		return nil, pool.ErrNotHeld
	}
	if e.next == 0 {
		e.refill() // ours now, as the rest of the Entry
	}
	return e, nil
}

// Conn is the handle a caller holds: the hand-out it belongs to and its
// place in its block, from which it finds the Entry of the dialed conn.
// Reads, writes and the rest of net.Conn go straight to the dialed conn. It
// is one word with no pointer (8 bytes, a 1 KiB block per 126 hand-outs),
// so the GC neither scans handles nor pays write barriers to make them.
type Conn struct {
	tag uint64 // gen<<indexBits | index+1; a handle serves one hand-out only
}

// entry returns the Entry of the block that holds c, which Acquire made:
// c's address less its offset in the block is the block's. The arithmetic
// stays inside one allocation, as unsafe.Pointer's rules (and -race's
// checkptr) require.
func (c *Conn) entry() *Entry {
	i := uintptr(c.tag&indexMask) - 1
	b := (*handleBlock)(unsafe.Pointer(uintptr(unsafe.Pointer(c)) - unsafe.Offsetof(handleBlock{}.handles) - i*unsafe.Sizeof(Conn{})))
	return b.entry
}

func (c *Conn) Read(b []byte) (int, error)         { return c.entry().conn.Read(b) }
func (c *Conn) Write(b []byte) (int, error)        { return c.entry().conn.Write(b) }
func (c *Conn) LocalAddr() net.Addr                { return c.entry().conn.LocalAddr() }
func (c *Conn) RemoteAddr() net.Addr               { return c.entry().conn.RemoteAddr() }
func (c *Conn) SetDeadline(t time.Time) error      { return c.entry().conn.SetDeadline(t) }
func (c *Conn) SetReadDeadline(t time.Time) error  { return c.entry().conn.SetReadDeadline(t) }
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.entry().conn.SetWriteDeadline(t) }

// Close returns the conn to its pool as broken (Discard), so a caller that
// closes instead of discarding does not leak the pool's slot. A stale
// handle's Close fails with pool.ErrNotHeld and leaves the conn alone.
func (c *Conn) Close() error { return c.entry().owner.Discard(c) }

// Unwrap returns the dialed conn under the handle.
func (c *Conn) Unwrap() net.Conn { return c.entry().conn }

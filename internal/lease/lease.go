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
// current holder. A handle is one byte, so a hand-out costs a byte of heap
// and never less: only a handle's address tells it apart, and a handle that
// never dies cannot share its address. A block amortizes the allocation: one
// per handlesPerBlock hand-outs of a conn, 256 bytes for 240 of them. A
// stale handle keeps its block alive until it is dropped.
const handlesPerBlock = 240

// handleBlock is a block of handles, the Entry they belong to and the
// generation of the block's first hand-out; the k-th hand-out from a block
// is generation gen+k, since every hand-out but the latest was released once.
// The handles hold no pointer and nothing per hand-out: each is a byte
// whose value is its own offset in the block, written when the block is
// made, from which it finds the block (Conn.block). Handles of 8 bytes
// that Acquire stamped with their generation, as before, cost 8 bytes of
// heap per Get (a 1 KiB block per 126, a GC cycle per half a million Gets
// with nothing else allocating): ring's uncontended Get+Put took 31.4
// cpu-ns with them against 28.0 with these, shard's 34.3 against 30.2
// (benchstat, 10 interleaved runs).
type handleBlock struct {
	entry   *Entry
	gen     uint64
	handles [handlesPerBlock]Conn
}

// A handle's byte must hold every offset in its block; the block also fills
// the allocator's 256-byte size class exactly, with nothing left over.
var _ [256 - unsafe.Sizeof(handleBlock{})]byte
var _ [unsafe.Sizeof(handleBlock{}) - 256]byte

// handleOffsets is what refill copies into a new block's handles: each
// handle's offset in its block. No handle has offset 0, so a Conn that no
// block made (the zero value) is told apart.
var handleOffsets = func() (offs [handlesPerBlock]Conn) {
	for i := range offs {
		offs[i].at = uint8(unsafe.Offsetof(handleBlock{}.handles) + uintptr(i))
	}
	return offs
}()

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
	// current or next hand-out. Acquire writes nothing shared: only the
	// holder's handle has the current generation (its block's gen plus its
	// place in the block), so a handle is current exactly when its
	// generation equals state, and Release wins only with a CAS from gen to
	// gen+1, so two racing Puts cannot both win. No held bit is needed:
	// while the Entry is idle no handle has state's value yet.
	state atomic.Uint64
	// block holds the handles of the coming hand-outs; they are used in
	// order and next counts the used ones. Owned, like IdleSince, by
	// whoever owns the Entry. Acquire writes no pointer: a pointer store
	// pays the GC's write barrier whenever a cycle is marking, which a Get
	// should not.
	block *handleBlock
	next  int

	// ledgerAt is e's index in its pool's Ledger, written by the Ledger
	// under its mutex; it does not change from Add to Remove, so whoever
	// owns e reads it without the mutex (Index).
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
	// Never past the end: NewEntry and Release refill a used-up block. The
	// handle's generation is implied by its place, so nothing is stored.
	h := &e.block.handles[e.next]
	e.next++
	return h
}

// refill gives e a new block of handles. NewEntry and Release call it, so
// an Entry the pool owns always has a handle ready and Acquire, with no
// call in it, inlines into a pool's Get.
//
//go:noinline
func (e *Entry) refill() {
	b := &handleBlock{entry: e, gen: e.state.Load(), handles: handleOffsets}
	e.block, e.next = b, 0
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
	if !ok || l == nil || l.at == 0 {
		return nil, pool.ErrForeignConn // not a handle that Acquire made
	}
	b := l.block()
	e := b.entry
	if o, ok := e.owner.(O); !ok || o != owner {
		return nil, pool.ErrForeignConn
	}
	// A handle is current when no Release has won since it was made; the
	// CAS makes one of two racing Releases of it lose. The load first keeps
	// a stale Put from taking the line exclusive with a CAS bound to fail.
	gen := b.gen + uint64(uintptr(l.at)-unsafe.Offsetof(handleBlock{}.handles))
	if e.state.Load() != gen || !e.state.CompareAndSwap(gen, gen+1) {
		return nil, pool.ErrNotHeld
	}
	if e.next == handlesPerBlock {
		e.refill() // ours now, as the rest of the Entry
	}
	return e, nil
}

// Conn is the handle a caller holds. Its address is the hand-out (a
// handle serves one only), and its one byte is its offset in its block,
// from which it finds the block, the hand-out's generation and the Entry of
// the dialed conn. Reads, writes and the rest of net.Conn go straight to
// the dialed conn. It holds no pointer, so the GC neither scans handles nor
// pays write barriers to make them.
type Conn struct {
	at uint8 // offset in its block; 0 in a Conn that no block made
}

// block returns the block that holds c, which Acquire made: c's address
// less its offset. The arithmetic stays inside one allocation, as
// unsafe.Pointer's rules (and -race's checkptr) require.
func (c *Conn) block() *handleBlock {
	return (*handleBlock)(unsafe.Pointer(uintptr(unsafe.Pointer(c)) - uintptr(c.at)))
}

// entry returns the Entry of the dialed conn c was handed out for.
func (c *Conn) entry() *Entry { return c.block().entry }

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

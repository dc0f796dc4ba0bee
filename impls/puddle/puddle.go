// Package puddle adapts github.com/jackc/puddle/v2 (v2.2.3), the generic
// resource pool under pgx's pgxpool, to pool.Pool, so poolbench can measure
// it next to its own designs and run it through the same conformance suite.
//
// Puddle bounds the pool with a FIFO semaphore of MaxSize tokens and keeps
// idle resources on a stack under a mutex; a dial runs on a goroutine of its
// own, so a cancelled Acquire returns at once while the dial finishes and
// its conn goes idle. The adapter adds what pool.Pool asks for and puddle
// leaves to its caller, each on top of puddle's own API:
//
//   - idle timeout, max lifetime and the dead-peer check on Get, and max
//     lifetime on Put, decided by expiry.Policy as in every design of ours:
//     a stale conn is closed and Acquire is called again;
//   - rejection of a double or stale Put with lease (puddle itself panics);
//   - a Discard that has closed the conn and freed its slot when it
//     returns: it closes the conn itself and hijacks the resource, where
//     puddle's Destroy closes on a goroutine and frees the slot after;
//   - a Close that does not wait for held conns (puddle's does) and wakes
//     Gets parked in Acquire (puddle's leaves them parked until a Release).
//
// It adds no MaxIdle (puddle keeps every returned resource) and no reaper:
// puddle has none, and one built on AcquireAllIdle would be the adapter's
// design, not puddle's; it also takes every idle conn at once, which makes
// concurrent Gets dial. See Caps.
package puddle

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	puddlev2 "github.com/jackc/puddle/v2"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/expiry"
	"github.com/poolbench/poolbench/internal/lease"
)

// Caps is what the adapter can express for pooltest.
var Caps = pool.Capabilities{
	MaxIdle:     false, // no knob: puddle keeps every returned conn idle
	IdleTimeout: true,  // checked on Get by expiry.Policy
	Reaper:      false, // puddle has none; see the package doc
	MaxLifetime: true,  // checked on Get and Put by expiry.Policy
	FIFO:        true,  // Acquire queues on x/sync/semaphore, which is FIFO and lets no TryAcquire barge
	DialCtx:     true,  // Acquire stops waiting for a dial when its ctx ends; the dial goes on, its conn goes idle
	DoublePut:   pool.ReturnsError,
	StalePut:    pool.ReturnsError,
	Stats:       true,
}

// resource is a puddle resource holding one conn's lease entry. The entry's
// Tag points back at it once it has been handed out.
type resource = puddlev2.Resource[*lease.Entry]

// Pool is the adapter. Create it with New.
type Pool struct {
	cfg    pool.Config
	policy expiry.Policy
	pp     *puddlev2.Pool[*lease.Entry]

	// closing ends when Close is called. Get acquires with it (or with a
	// ctx merged with it), so Close wakes Gets parked in puddle.
	closing        context.Context
	close          context.CancelFunc
	closed         atomic.Bool
	upstreamClosed atomic.Bool // puddle's Close has been called; see Close
	counters       counters.Counters
	fresh          atomic.Uint64 // Gets served by the conn their own Acquire dialed
}

// New returns a puddle-backed pool for cfg, or an error wrapping
// pool.ErrInvalidConfig.
func New(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, fmt.Errorf("puddle: %w", err)
	}
	if err := Caps.Check(cfg); err != nil {
		return nil, fmt.Errorf("puddle: %w", err)
	}
	if cfg.MaxConns > 1<<31-1 {
		return nil, fmt.Errorf("puddle: %w: MaxConns %d does not fit puddle's int32 MaxSize", pool.ErrInvalidConfig, cfg.MaxConns)
	}
	p := &Pool{cfg: cfg, policy: expiry.New(cfg)}
	p.closing, p.close = context.WithCancel(context.Background())
	p.pp, err = puddlev2.NewPool(&puddlev2.Config[*lease.Entry]{
		Constructor: p.construct,
		Destructor:  func(e *lease.Entry) { e.Raw().Close() },
		MaxSize:     int32(cfg.MaxConns),
	})
	if err != nil {
		return nil, fmt.Errorf("puddle: %w: %v", pool.ErrInvalidConfig, err)
	}
	return p, nil
}

// construct is puddle's Constructor: it dials and wraps the conn in a lease
// entry. puddle calls it on a goroutine of its own, outside its lock, with a
// ctx that carries the Get's values and ends only when puddle is closed.
func (p *Pool) construct(ctx context.Context) (*lease.Entry, error) {
	p.counters.Dials.Add(1)
	c, err := p.cfg.Dial(ctx)
	if err == nil && c == nil {
		err = errors.New("Dial returned neither a conn nor an error")
	}
	if err != nil {
		p.counters.DialErrors.Add(1)
		return nil, fmt.Errorf("puddle: dial: %w", err)
	}
	return lease.NewEntry(p, c, time.Now()), nil
}

// Get acquires a conn from puddle, closing and replacing stale ones.
func (p *Pool) Get(ctx context.Context) (net.Conn, error) {
	if p.closed.Load() {
		return nil, pool.ErrClosed
	}
	actx, stop := p.acquireCtx(ctx)
	defer stop()
	var start counters.Start
	if ctx.Done() != nil {
		start = counters.WaitStart() // for a cancelled wait, which puddle does not time
	}
	for {
		r, err := p.pp.Acquire(actx)
		if err != nil {
			switch {
			case p.closed.Load() || errors.Is(err, puddlev2.ErrClosedPool):
				return nil, pool.ErrClosed
			case ctx.Err() != nil:
				p.counters.Waits.Add(1)
				p.counters.Waited(start)
				return nil, fmt.Errorf("puddle: acquire: %w", ctx.Err())
			}
			return nil, err // the dial's error, already wrapped by construct
		}
		e := r.Value()
		if p.closed.Load() {
			p.destroy(r)
			p.closeUpstreamIfDrained()
			return nil, pool.ErrClosed
		}
		if e.Tag == nil {
			// Never handed out: dialed by this Acquire (or by one that
			// gave up on it and left it idle).
			e.Tag = r
			p.fresh.Add(1)
			return e.Acquire(), nil
		}
		if cause := p.policy.OnGet(&e.Life); cause != expiry.Fresh {
			p.counters.Expired(cause)
			p.destroy(r)
			continue
		}
		p.counters.Reuses.Add(1)
		return e.Acquire(), nil
	}
}

// acquireCtx returns the ctx to acquire with: one that also ends when the
// pool closes. context.Background needs no merging and costs nothing; any
// other ctx costs a derived ctx and an AfterFunc registration per Get, the
// adapter's price for waking Gets that puddle would leave parked.
func (p *Pool) acquireCtx(ctx context.Context) (context.Context, func()) {
	if ctx == context.Background() {
		return p.closing, func() {}
	}
	merged, cancel := context.WithCancel(ctx)
	unregister := context.AfterFunc(p.closing, cancel)
	return merged, func() {
		unregister()
		cancel()
	}
}

// destroy closes an acquired resource's conn and takes it out of puddle.
// It closes the conn itself and then hijacks the resource, instead of
// puddle's Destroy, because Destroy closes on a goroutine and frees the slot
// only after that: a Discard would return with the conn still open.
func (p *Pool) destroy(r *resource) {
	r.Value().Raw().Close()
	r.Hijack()
}

// Put returns c to puddle. See pool.Pool.
func (p *Pool) Put(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	r := e.Tag.(*resource)
	if p.closed.Load() {
		p.destroy(r)
		p.closeUpstreamIfDrained()
		return nil
	}
	// Returned stamps e idle before Release hands it to puddle: while we
	// hold r, e is ours.
	if _, cause := p.policy.Returned(&e.Life, p.policy.Now()); cause != expiry.Fresh {
		p.counters.Expired(cause)
		p.destroy(r)
		return nil
	}
	r.Release()
	return nil
}

// Discard closes c and frees its slot. See pool.Pool.
func (p *Pool) Discard(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	p.counters.Discards.Add(1)
	p.destroy(e.Tag.(*resource))
	if p.closed.Load() {
		p.closeUpstreamIfDrained()
	}
	return nil
}

// Close closes the idle conns, wakes parked Gets with pool.ErrClosed and
// makes later Puts close their conns.
//
// Puddle's own Close blocks until every held conn is back, which
// pool.Pool's Close must not do, so the adapter closes the idle conns itself
// and calls puddle's Close once nothing is held: here if nothing is, else
// from the Put or Discard that returns the last held conn. A dial in flight
// is the exception: when its caller has left, puddle parks its conn idle
// with no adapter code on the way, so only puddle's Close can catch it, and
// it runs on a goroutine that ends when that dial and every held conn are
// back.
func (p *Pool) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	p.close()
	for _, r := range p.pp.AcquireAllIdle() {
		p.destroy(r)
	}
	if st := p.pp.Stat(); st.ConstructingResources() > 0 {
		if p.upstreamClosed.CompareAndSwap(false, true) {
			go p.pp.Close()
		}
		return nil
	}
	p.closeUpstreamIfDrained()
	return nil
}

// closeUpstreamIfDrained calls puddle's Close, once, when no conn is held
// or being dialed, so that it returns at once.
func (p *Pool) closeUpstreamIfDrained() {
	if st := p.pp.Stat(); st.AcquiredResources() > 0 || st.ConstructingResources() > 0 {
		return
	}
	if p.upstreamClosed.CompareAndSwap(false, true) {
		p.pp.Close()
	}
}

// Stats maps puddle's Stat onto pool.Stats. Puddle times only the
// acquires that succeed, and counts a dial as a wait, so Waits are puddle's
// "empty acquires" less the Gets that dialed, plus the Gets the adapter saw
// fail on their ctx (a Get cancelled during its dial counts too), and
// WaitTime is puddle's wait time, which includes the time of the dials,
// plus the adapter's timing of those failed Gets.
func (p *Pool) Stats() pool.Stats {
	st := p.pp.Stat()
	s := p.counters.Snapshot()
	s.Idle = int(st.IdleResources())
	s.InUse = int(st.AcquiredResources())
	s.Dialing = int(st.ConstructingResources())
	s.Open = s.Idle + s.InUse
	s.Waits += uint64(max(st.EmptyAcquireCount()-int64(p.fresh.Load()), 0))
	s.WaitTime += st.EmptyAcquireWaitTime()
	s.Cancels = uint64(st.CanceledAcquireCount())
	return s
}

package pooltest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/lease"
)

// bug selects one deliberate defect of refPool; correct has none. Each bug
// is one small deviation from the correct code, so the mutation test shows
// which property catches which defect.
type bug int

const (
	correct                bug = iota
	noCap                      // Get dials whenever no conn is idle
	lostWakeup                 // Put keeps the conn idle and wakes no waiter
	racyWait                   // Get drops the lock between finding no idle conn and queueing (silenceper's window)
	noIdleExpiry               // IdleTimeout is ignored, on Get and by the reaper
	noReuse                    // Put closes every conn
	ignoreCtx                  // a waiting Get ignores its ctx
	discardLeaksSlot           // Discard closes the conn but keeps its slot
	closeLeaksIdle             // Close forgets the idle conns
	doubleHandout              // Get hands out an idle conn without taking it off the idle list
	dialUnderLock              // Dial runs with the pool's lock held
	lifoWaiters                // the newest waiter is served first
	doublePutAccepted          // a second Put of a hand-out is taken as a Put
	statsDrift                 // a hand-over to a waiter is not counted in Reuses
	noMaxLifetime              // MaxLifetime is ignored
	noAliveCheck               // idle conns are never checked for a dead peer
	cancelLosesGrant           // a waiter cancelled just as it was handed a conn drops the conn
	dialErrorLeaksSlot         // a failed dial keeps its slot
	closeKeepsWaiters          // Close does not wake waiting Gets
	reaperOutlivesClose        // Close does not stop the reaper goroutine
	wakerRaces                 // Put keeps the conn idle and wakes the oldest waiter to race newcomers for it
	idleUnbounded              // MaxIdle is ignored: every returned conn is kept idle
	discardKeepsIdle           // Discard puts the conn back idle instead of closing it
	lateConnLost               // a conn whose dial ends after its Get's ctx did is dropped, unclosed, its slot kept
	dialErrorStrandsWaiter     // a failed dial frees its slot but does not hand it to a waiter
	staleRing4                 // hand-outs told apart by a ring of 4 handles: a stale Put 4k hand-outs late is taken
	noValidate                 // the constructor accepts MaxIdle > MaxConns and negative durations
	putAfterCloseKeeps         // a conn returned after Close is kept idle, open
	acceptsUnsupported         // the pool cannot honour MaxLifetime yet its constructor accepts it (caps say no MaxLifetime)

	// The seed design's bugs: the classic mutex + list pool,
	// NewPool(max, timeoutSeconds, dial), as commonly written.
	seedCounter      // a count of conns left, decremented on every Get and never incremented
	seedCondMutex    // waits on a condition variable under another mutex than the one guarding the count
	seedClose        // Close closes only the first idle conn, panics on an empty list, wakes no waiter
	seedWholeSeconds // idle expiry compared in whole seconds
	// The seed's other bugs are planted above: dialUnderLock,
	// dialErrorLeaksSlot, noAliveCheck, doublePutAccepted.

	// Bugs that hang, for the watchdog's test.
	putLeaksLock // Put returns with the pool's lock held
	spinningWait // a waiting Get spins (yielding) instead of blocking, until stopSpinning
	closeWaits   // Close blocks until every conn handed out is returned
)

// stopSpinning ends every spinningWait loop, so a test does not leave a
// goroutine burning a CPU behind it.
var stopSpinning atomic.Bool

// refPool is the suite's reference pool: a mutex, a LIFO idle stack, a FIFO
// queue of waiters, a reaper goroutine, lease for misuse detection. It is
// deliberately plain; its job is to pass every property (bug == correct)
// and to fail the right ones with one bug planted.
type refPool struct {
	cfg     pool.Config
	bug     bug
	stop    chan struct{} // closed by Close; stops the reaper
	done    chan struct{} // closed when the reaper exits
	drained chan struct{} // closed when no conn is in use after Close (closeWaits)

	mu sync.Mutex
	// Guarded by mu.
	idle    []*lease.Entry // most recently returned last
	waiters []*waiter      // longest waiting first
	open    int            // conns open or being dialed
	closed  bool
	stats   pool.Stats                // counters; gauges are computed by Stats
	handles map[net.Conn]*lease.Entry // hand-outs, kept only for doublePutAccepted and staleRing4
	handGen map[net.Conn]int          // each hand-out's number on its entry, for staleRing4
	current map[*lease.Entry]net.Conn // each entry's latest hand-out, for staleRing4
	gens    map[*lease.Entry]int      // hand-outs of each entry so far, for staleRing4
	gets    int                       // Gets so far, for seedCounter
	cond    *sync.Cond                // seedCondMutex: signalled by Put, waited on under condMu
	condMu  sync.Mutex                // seedCondMutex: not mu
}

// waiter is a parked Get; its channel receives exactly one grant.
type waiter struct{ ch chan grant }

// grant is what a waiter is given: a conn, a slot to dial in, or an error.
type grant struct {
	e     *lease.Entry
	slot  bool
	retry bool // wakerRaces: look for an idle conn again
	err   error
}

func newRefPool(cfg pool.Config, b bug) (pool.Pool, error) {
	if b != noValidate || cfg.Dial == nil || cfg.MaxConns <= 0 {
		var err error
		if cfg, err = cfg.Normalized(); err != nil {
			return nil, err
		}
	}
	if b != acceptsUnsupported {
		if err := refCaps(b).Check(cfg); err != nil {
			return nil, err
		}
	}
	if cfg.MaxIdle <= 0 {
		cfg.MaxIdle = cfg.MaxConns
	}
	p := &refPool{cfg: cfg, bug: b, stop: make(chan struct{}), done: make(chan struct{}),
		drained: make(chan struct{}), handles: make(map[net.Conn]*lease.Entry),
		handGen: make(map[net.Conn]int), gens: make(map[*lease.Entry]int), current: make(map[*lease.Entry]net.Conn)}
	p.cond = sync.NewCond(&p.condMu)
	if every := min(nonZero(cfg.IdleTimeout), nonZero(cfg.MaxLifetime)) / 4; every > 0 {
		go p.reap(every)
	} else {
		close(p.done)
	}
	return p, nil
}

func nonZero(d time.Duration) time.Duration {
	if d == 0 {
		return 1 << 62
	}
	return d
}

func (p *refPool) Get(ctx context.Context) (net.Conn, error) { return p.get(ctx, false) }

// get is Get; a waiter woken to race for a conn (wakerRaces) calls it again
// with front set, to queue ahead of later waiters.
func (p *refPool) get(ctx context.Context, front bool) (net.Conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, pool.ErrClosed
	}
	p.gets++
	seedOut := p.bug == seedCounter && p.gets > p.cfg.MaxConns // the seed's count ran out for good
	for len(p.idle) > 0 && !seedOut {
		e := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if cause := p.expired(e, true); cause != nil {
			p.closeLocked(e, cause)
			continue
		}
		if p.bug == doubleHandout {
			p.idle = append(p.idle, e) // still listed as idle while handed out
		}
		p.stats.Reuses++
		c := p.handOutLocked(e)
		p.mu.Unlock()
		return c, nil
	}
	if (p.open < p.cfg.MaxConns || p.bug == noCap) && !seedOut {
		p.open++
		return p.dial(ctx) // unlocks
	}
	if p.bug == seedCondMutex {
		// The seed's wait: the count is checked under mu, the wait is
		// under condMu, so a Signal between the two is lost. The window
		// is a few instructions wide; a yield widens it so that the race
		// finds it within its budget, as racyWait's sleep does.
		p.mu.Unlock()
		runtime.Gosched()
		p.condMu.Lock()
		p.cond.Wait()
		p.condMu.Unlock()
		return p.get(ctx, front)
	}
	if p.bug == racyWait {
		// The window silenceper/pool has, widened so a Put lands in it often.
		p.mu.Unlock()
		time.Sleep(10 * time.Microsecond)
		p.mu.Lock()
	}
	w := &waiter{ch: make(chan grant, 1)}
	if p.bug == lifoWaiters || front {
		p.waiters = append([]*waiter{w}, p.waiters...)
	} else {
		p.waiters = append(p.waiters, w)
	}
	p.stats.Waits++
	start := time.Now()
	p.mu.Unlock()

	var g grant
	switch p.bug {
	case ignoreCtx:
		g = <-w.ch
	case spinningWait:
		for !stopSpinning.Load() {
			select {
			case g = <-w.ch:
			default:
				runtime.Gosched()
				continue
			}
			break
		}
		if stopSpinning.Load() {
			return nil, errors.New("refpool: stopped spinning")
		}
	default:
		select {
		case g = <-w.ch:
		case <-ctx.Done():
			p.mu.Lock()
			p.stats.WaitTime += time.Since(start)
			p.stats.Cancels++
			if !p.dequeueLocked(w) && p.bug != cancelLosesGrant {
				p.passOnLocked(<-w.ch) // granted meanwhile: pass it on
			}
			p.mu.Unlock()
			return nil, fmt.Errorf("refpool: waiting for a conn: %w", ctx.Err())
		}
	}
	p.mu.Lock()
	p.stats.WaitTime += time.Since(start)
	switch {
	case g.err != nil:
		p.mu.Unlock()
		return nil, g.err
	case g.slot:
		return p.dial(ctx) // unlocks
	case g.retry:
		p.mu.Unlock()
		return p.get(ctx, true)
	}
	if p.bug != statsDrift {
		p.stats.Reuses++
	}
	c := p.handOutLocked(g.e)
	p.mu.Unlock()
	return c, nil
}

// dial dials in a slot already counted in open. Called with mu held; it
// unlocks (except under dialUnderLock, where it unlocks after the dial).
func (p *refPool) dial(ctx context.Context) (net.Conn, error) {
	p.stats.Dials++
	p.stats.Dialing++
	if p.bug != dialUnderLock {
		p.mu.Unlock()
	}
	conn, err := p.cfg.Dial(ctx)
	if p.bug != dialUnderLock {
		p.mu.Lock()
	}
	defer p.mu.Unlock()
	p.stats.Dialing--
	if err != nil {
		p.stats.DialErrors++
		switch p.bug {
		case dialErrorLeaksSlot:
		case dialErrorStrandsWaiter:
			p.open--
		default:
			p.freeSlotLocked()
		}
		return nil, err
	}
	if p.closed {
		conn.Close()
		p.freeSlotLocked()
		return nil, pool.ErrClosed
	}
	if p.bug == lateConnLost && ctx.Err() != nil {
		return nil, ctx.Err() // the conn stays open and keeps its slot
	}
	return p.handOutLocked(lease.NewEntry(p, conn, time.Now())), nil
}

func (p *refPool) handOutLocked(e *lease.Entry) net.Conn {
	p.stats.InUse++
	c := e.Acquire()
	if p.bug == doublePutAccepted || p.bug == staleRing4 {
		p.handles[c] = e
		p.gens[e]++
		p.handGen[c] = p.gens[e]
		p.current[e] = c
	}
	return c
}

// dequeueLocked removes w from the queue; false means it was granted already.
func (p *refPool) dequeueLocked(w *waiter) bool {
	for i, x := range p.waiters {
		if x == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			return true
		}
	}
	return false
}

// passOnLocked gives a grant its waiter no longer wants to the next one.
func (p *refPool) passOnLocked(g grant) {
	switch {
	case g.e != nil:
		p.returnLocked(g.e)
	case g.slot:
		p.freeSlotLocked()
	}
}

// freeSlotLocked hands a freed slot to the first waiter, or frees it.
func (p *refPool) freeSlotLocked() {
	if len(p.waiters) > 0 && !p.closed {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		w.ch <- grant{slot: true}
		return
	}
	p.open--
}

// closeLocked closes an entry the pool owns and frees its slot; cause, when
// not nil, is the Stats counter of why it closes.
func (p *refPool) closeLocked(e *lease.Entry, cause *uint64) {
	e.Raw().Close()
	if cause != nil {
		*cause++
	}
	p.freeSlotLocked()
}

// idleTooLong reports whether a conn idle for d is past IdleTimeout; the
// seed design compared whole seconds.
func (p *refPool) idleTooLong(d time.Duration) bool {
	if p.bug == seedWholeSeconds {
		return int(d/time.Second) > int(p.cfg.IdleTimeout/time.Second)
	}
	return d > p.cfg.IdleTimeout
}

// expired returns the Stats counter of the reason an owned entry must not be
// handed out or kept, or nil when it may; onGet adds the dead-peer peek.
func (p *refPool) expired(e *lease.Entry, onGet bool) *uint64 {
	now := time.Now()
	switch {
	case p.bug != noMaxLifetime && p.cfg.MaxLifetime > 0 && now.Sub(e.Created) >= p.cfg.MaxLifetime:
		return &p.stats.MaxLifetimeClosed
	case p.bug != noIdleExpiry && p.cfg.IdleTimeout > 0 && p.idleTooLong(now.Sub(e.IdleSince)):
		return &p.stats.IdleTimeoutClosed
	case onGet && !p.cfg.NoAliveCheck && p.bug != noAliveCheck && !e.PeerAlive():
		return &p.stats.DeadPeerClosed
	}
	return nil
}

func (p *refPool) Put(c net.Conn) error {
	e, err := lease.Release(p, c)
	p.mu.Lock()
	if p.bug != putLeaksLock {
		defer p.mu.Unlock()
	}
	if err != nil {
		if !errors.Is(err, pool.ErrNotHeld) || !p.takesBack(c) {
			return err
		}
		e = p.handles[c]
	}
	p.stats.InUse--
	p.returnLocked(e)
	if p.bug == seedCondMutex {
		p.condMu.Lock()
		p.cond.Signal()
		p.condMu.Unlock()
	}
	return nil
}

// takesBack reports whether a Put that lease refused as not held is taken
// anyway: any under doublePutAccepted; under staleRing4, a stale one made a
// multiple of 4 hand-outs late while the entry is held, which then takes
// the entry from its current holder.
func (p *refPool) takesBack(c net.Conn) bool {
	switch p.bug {
	case doublePutAccepted:
		return true
	case staleRing4:
		e, ok := p.handles[c]
		if !ok || (p.gens[e]-p.handGen[c])%4 != 0 {
			return false
		}
		_, err := lease.Release(p, p.current[e])
		return err == nil
	}
	return false
}

// returnLocked takes back an owned entry: to a waiter, to the idle stack,
// or closed.
func (p *refPool) returnLocked(e *lease.Entry) {
	expired := p.expired(e, false)
	switch {
	case p.closed && p.bug != putAfterCloseKeeps || p.bug == noReuse:
		p.closeLocked(e, nil)
	case expired != nil:
		p.closeLocked(e, expired)
	case len(p.waiters) > 0 && p.bug == wakerRaces:
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		e.IdleSince = time.Now()
		p.idle = append(p.idle, e)
		w.ch <- grant{retry: true}
	case len(p.waiters) > 0 && p.bug != lostWakeup:
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		w.ch <- grant{e: e}
	case len(p.idle) >= p.cfg.MaxIdle && p.bug != idleUnbounded:
		p.closeLocked(e, &p.stats.MaxIdleClosed)
	default:
		e.IdleSince = time.Now()
		p.idle = append(p.idle, e)
	}
}

func (p *refPool) Discard(c net.Conn) error {
	e, err := lease.Release(p, c)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.InUse--
	p.stats.Discards++
	if p.bug == discardKeepsIdle {
		p.returnLocked(e)
		return nil
	}
	e.Raw().Close()
	if p.bug != discardLeaksSlot {
		p.freeSlotLocked()
	}
	return nil
}

func (p *refPool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	if p.bug == seedClose {
		p.closeLocked(p.idle[0], nil) // panics on an empty list, as the seed's does
		p.idle = nil
		p.mu.Unlock()
		close(p.stop)
		<-p.done
		return nil
	}
	if p.bug != closeKeepsWaiters {
		for _, w := range p.waiters {
			w.ch <- grant{err: pool.ErrClosed}
		}
		p.waiters = nil
	}
	if p.bug != closeLeaksIdle {
		for _, e := range p.idle {
			p.closeLocked(e, nil)
		}
		p.idle = nil
	}
	inUse := p.stats.InUse
	p.mu.Unlock()
	close(p.stop)
	if p.bug != reaperOutlivesClose {
		<-p.done
	}
	if p.bug == closeWaits && inUse > 0 {
		<-p.drained
	}
	return nil
}

func (p *refPool) Stats() pool.Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Idle = len(p.idle)
	s.Open = s.Idle + s.InUse
	return s
}

// reap closes expired idle conns every tick until Close.
func (p *refPool) reap(every time.Duration) {
	defer close(p.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if p.bug == reaperOutlivesClose {
			<-tick.C
		} else {
			select {
			case <-tick.C:
			case <-p.stop:
				return
			}
		}
		p.mu.Lock()
		kept := p.idle[:0]
		for _, e := range p.idle {
			if cause := p.expired(e, false); cause != nil {
				p.closeLocked(e, cause)
			} else {
				kept = append(kept, e)
			}
		}
		p.idle = kept
		p.mu.Unlock()
	}
}

// refCaps is what refPool declares with bug b: everything, except that
// acceptsUnsupported declares no MaxLifetime (and then accepts one).
func refCaps(b bug) pool.Capabilities {
	caps := pool.Full
	if b == acceptsUnsupported {
		caps.MaxLifetime = false
	}
	return caps
}

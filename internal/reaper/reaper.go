// Package reaper closes a pool's expired idle conns without traffic. It runs
// the pool's sweep on one timer that is armed only while the pool holds idle
// conns that can expire: a pool with no timeouts, or with nothing idle, has no
// pending timer and no goroutine, and no sweep runs after Stop returns, so
// nothing outlives the pool's Close.
package reaper

import (
	"sync"
	"sync/atomic"
	"time"
)

// Reaper runs a pool's sweep by the earliest deadline it was armed for.
//
// The protocol with the pool: whenever a conn goes idle, the pool calls
// ArmBy with the instant that conn expires; the sweep closes what has
// expired and calls ArmBy for the earliest expiry among the conns it kept.
// Reaper disarms before each sweep, so a conn that goes idle during a sweep
// arms the timer itself, and none is left unwatched.
type Reaper struct {
	sweep func()
	t     *time.Timer

	// run is held for a whole sweep, so Stop can wait for one in progress.
	// Lock order: run, then the pool's own locks, then mu.
	run sync.Mutex

	// mu serialises arming, so wake and the timer's schedule change together.
	mu sync.Mutex
	// wake is when the timer fires, in Unix nanoseconds, 0 when disarmed.
	// Written under mu; read without it by ArmBy's fast path.
	wake    atomic.Int64
	stopped bool // guarded by mu
}

// New returns a disarmed Reaper that runs sweep on the timer's goroutine. The
// timer is made here, once, so that arming it never allocates.
func New(sweep func()) *Reaper {
	r := &Reaper{sweep: sweep}
	r.t = time.AfterFunc(time.Hour, r.fire)
	r.t.Stop()
	return r
}

// ArmBy makes sure a sweep starts no later than deadline; now is the current
// time. When the timer is already due by then it costs one atomic load.
// After Stop it does nothing.
func (r *Reaper) ArmBy(deadline, now time.Time) {
	d := deadline.UnixNano()
	if w := r.wake.Load(); w != 0 && w <= d {
		return
	}
	r.mu.Lock()
	if w := r.wake.Load(); !r.stopped && (w == 0 || d < w) {
		r.wake.Store(d)
		r.t.Reset(deadline.Sub(now))
	}
	r.mu.Unlock()
}

// Stop disarms the timer for good and waits for a sweep in progress to end.
// The pool must not hold a lock that its sweep takes.
func (r *Reaper) Stop() {
	r.run.Lock()
	r.mu.Lock()
	r.stopped = true
	r.wake.Store(0)
	r.t.Stop()
	r.mu.Unlock()
	r.run.Unlock()
}

func (r *Reaper) fire() {
	r.run.Lock()
	defer r.run.Unlock()
	r.mu.Lock()
	stopped := r.stopped
	r.wake.Store(0)
	r.mu.Unlock()
	if !stopped {
		r.sweep()
	}
}

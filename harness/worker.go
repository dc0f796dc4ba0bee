package harness

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// getBackoff is how long a worker pauses after a failed Get, so that a dead
// server costs a few thousand failed dials a second, not a busy loop.
const getBackoff = time.Millisecond

// load is what the workers of one point share. Times are offsets from base,
// read with time.Since(base): one monotonic clock read, no allocation.
type load struct {
	pool pool.Pool
	// ctx ends when the sweep is interrupted or the point overruns; Get
	// waits on it and workers stop when it ends.
	ctx  context.Context
	base time.Time
	// from and to bound the measurement window [from, to): a request
	// counts when it completes inside it. Before from is the warm-up; workers stop at to.
	from, to time.Duration
	// endEarly, when it closes inside the window, ends the window then
	// (Sweep.EndWhen): drive records the moment in ended, written before
	// stopped is set and read after the workers have stopped. Workers stop
	// as they do at to, and a request that ends after stopped counts
	// neither way. ctx is not cancelled for it: a Get cut short would look
	// like a failure to whoever watches the pool (a Restart's record).
	endEarly <-chan struct{}
	ended    time.Duration
	stopped  atomic.Bool
	// interval is each worker's send interval in the open-loop model;
	// 0 means closed loop (send as soon as the previous echo is back).
	interval time.Duration
	workers  int
	// opTimeout is the deadline set on the conn for one request's write and read.
	opTimeout time.Duration
	// at is the wall-clock time the load is scheduled to start (a shard's
	// slot); zero means now. late is how much later it started.
	at   time.Time
	late time.Duration
	// records has one entry per worker, written only by that worker.
	records []workerRecord
}

// workerRecord is what one worker completed in the window, for the
// point's fairness (Jain's index over done) and longest stall.
type workerRecord struct {
	done  int64         // successful requests completed in the window
	last  time.Duration // when the last of them completed
	stall time.Duration // the longest gap between completions so far
	_     [40]byte      // keep neighbouring workers' records off one cache line
}

// complete records a success that completed at t inside the window.
func (r *workerRecord) complete(t, from time.Duration) {
	r.stall = max(r.stall, t-max(r.last, from))
	r.last = t
	r.done++
}

// jain is Jain's fairness index over the workers' completed requests:
// (sum x)^2 / (n sum x^2); 0 when none completed.
func jain(rs []workerRecord) float64 {
	var sum, sq float64
	for _, r := range rs {
		x := float64(r.done)
		sum += x
		sq += x * x
	}
	if sq == 0 {
		return 0
	}
	return sum * sum / (float64(len(rs)) * sq)
}

// longestStall is the longest time any worker went without completing a
// request inside the window [from, to), its end included: a worker that
// completed nothing stalled the whole window.
func longestStall(rs []workerRecord, from, to time.Duration) time.Duration {
	var longest time.Duration
	for _, r := range rs {
		longest = max(longest, r.stall, to-max(r.last, from))
	}
	return longest
}

// worker runs requests until the window ends or ctx ends, recording into
// sh each success that completes in the window and each failure that
// completes before its end. It allocates nothing per request.
func (l *load) worker(id int, x exchanger, sh *shard) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	seq := uint64(id) << 40 // distinct per worker, so a crossed echo is caught
	// Open loop: worker id's sends are due at next, next+interval, ...; the
	// first is staggered so the workers' schedules interleave evenly.
	next := l.interval * time.Duration(id) / time.Duration(l.workers)
	for l.ctx.Err() == nil {
		now := time.Since(l.base)
		if now >= l.to || l.stopped.Load() {
			return
		}
		start := now
		if l.interval > 0 {
			if next >= l.to {
				return
			}
			if next > now {
				if !l.sleep(timer, next-now) {
					return
				}
				now = time.Since(l.base)
			}
			// Latency counts from the intended send time, so a stall that
			// delays later sends shows in their latency instead of being
			// hidden by sending less (coordinated omission).
			start = next
			next += l.interval
		}
		seq++
		if !l.request(x, sh, &l.records[id], seq, start, now) && !l.sleep(timer, getBackoff) {
			return
		}
	}
}

// request does one Get, exchange, Put (or Discard) and records it in sh
// and, when it succeeded in the window, in rec. start is when its latency
// counts from, getAt when Get was called. It returns false when Get failed.
func (l *load) request(x exchanger, sh *shard, rec *workerRecord, seq uint64, start, getAt time.Duration) bool {
	c, err := l.pool.Get(l.ctx)
	got := time.Since(l.base)
	if err != nil {
		if got < l.to && l.ctx.Err() == nil && !l.stopped.Load() {
			sh.fail(err)
		}
		return false
	}
	keep := false
	if err = c.SetDeadline(l.base.Add(got + l.opTimeout)); err == nil {
		keep, err = x.exchange(c, seq)
	}
	if err != nil {
		// Counted before the Discard, which can end the window
		// (Sweep.EndWhen's watcher of the first failure): the failure that
		// ended it belongs in it, and counted after, it lost the race with
		// stopped.
		l.outcome(sh, rec, err, start, getAt, got)
		_ = l.pool.Discard(c)
		return true
	}
	if !keep {
		_ = l.pool.Discard(c)
	} else {
		err = l.pool.Put(c)
	}
	l.outcome(sh, rec, err, start, getAt, got)
	return true
}

// outcome records a request that got its conn at got and ends now, with err
// (nil: it succeeded): a failure counts from the start, a success inside
// the window, and neither once the window is over.
func (l *load) outcome(sh *shard, rec *workerRecord, err error, start, getAt, got time.Duration) {
	done := time.Since(l.base)
	switch {
	case done >= l.to, l.stopped.Load():
	case err != nil:
		// Failures count from the start, warm-up included: a dial refused
		// while the pool fills is as much a failure as one in the window.
		sh.fail(err)
	case done >= l.from:
		sh.ok(done-start, got-getAt)
		rec.complete(done, l.from)
	}
}

// sleep waits d on timer; false when ctx ended first.
func (l *load) sleep(timer *time.Timer, d time.Duration) bool {
	return sleepTimer(l.ctx, timer, d)
}

// sleepTimer waits d on timer (stopped or fired, so Reset is safe), or until
// ctx ends; it reports whether the full d passed. Reusing one timer keeps a
// worker's waits free of allocations.
func sleepTimer(ctx context.Context, timer *time.Timer, d time.Duration) bool {
	timer.Reset(d)
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		timer.Stop()
		return false
	}
}

package harness

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// maxPhaseRequests bounds each worker's requests in one phase, so a phase
// ends by count even if its clock misbehaves.
const maxPhaseRequests = 1 << 20

// phaseLoad is one phase of a scenario (the fill before a restart, the
// resume after it): one worker per exchanger loops Get, exchange,
// Put or Discard for a fixed time and counts what happened. Unlike a
// sweep point it keeps no latency histogram: a scenario asks how many
// requests failed and when the first succeeded, not how fast they were.
type phaseLoad struct {
	pool      pool.Pool
	xs        []exchanger
	opTimeout time.Duration
	// stale, when set, names the conns dialed before a restart; a Get that
	// hands one out is counted.
	stale *connLedger
}

// phaseOut is what one phase measured.
type phaseOut struct {
	ok, failures, stale int64
	firstOK             time.Duration // from the phase's start; valid when ok > 0
}

// run runs the phase for d and returns once every worker has stopped; its
// error is ctx's when ctx ended.
func (l phaseLoad) run(ctx context.Context, d time.Duration) (phaseOut, error) {
	base := time.Now()
	end := base.Add(d)
	// A worker blocked in Get (a dial) past the end stops by this deadline;
	// one blocked in an exchange by its conn's.
	lctx, cancel := context.WithDeadline(ctx, end.Add(l.opTimeout))
	defer cancel()
	var ok, failures, stale atomic.Int64
	firstOK := atomic.Int64{}
	firstOK.Store(int64(d + l.opTimeout + time.Hour))
	var wg sync.WaitGroup
	for i, x := range l.xs {
		wg.Go(func() {
			timer := time.NewTimer(time.Hour)
			timer.Stop()
			seq := uint64(i) << 40
			for n := 0; n < maxPhaseRequests && lctx.Err() == nil && time.Now().Before(end); n++ {
				seq++
				c, err := l.pool.Get(lctx)
				if err != nil {
					if lctx.Err() == nil {
						failures.Add(1)
					}
					if !sleepTimer(lctx, timer, getBackoff) {
						return
					}
					continue
				}
				if l.stale != nil && l.stale.takeStale(c) {
					stale.Add(1)
				}
				keep := false
				if err = c.SetDeadline(time.Now().Add(l.opTimeout)); err == nil {
					keep, err = x.exchange(c, seq)
				}
				if err != nil || !keep {
					_ = l.pool.Discard(c)
				} else {
					err = l.pool.Put(c)
				}
				if err != nil {
					failures.Add(1)
					continue
				}
				ok.Add(1)
				at := int64(time.Since(base))
				for cur := firstOK.Load(); at < cur && !firstOK.CompareAndSwap(cur, at); cur = firstOK.Load() {
				}
			}
		})
	}
	wg.Wait()
	out := phaseOut{ok: ok.Load(), failures: failures.Load(), stale: stale.Load(), firstOK: time.Duration(firstOK.Load())}
	return out, ctx.Err()
}

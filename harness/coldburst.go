package harness

import (
	"cmp"
	"context"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ColdBurstResult is one burst's measurement.
type ColdBurstResult struct {
	// Served is from the release of the burst until the last of its
	// callers had its request answered.
	Served time.Duration
	// AcquireP99 and AcquireMax are the 99th percentile and the maximum of
	// the time a caller spent in Get (exact, over the Burst callers).
	AcquireP99, AcquireMax time.Duration
	// PeakDials is the most dials in flight at once; a pool that keeps
	// its cap never exceeds MaxConns.
	PeakDials int
	// Dials is every dial the pool started.
	Dials int
	// Failures are callers whose request failed.
	Failures int
}

// OverCap reports whether the pool had more dials in flight than its cap.
func (r ColdBurstResult) OverCap(maxConns int) bool { return r.PeakDials > maxConns }

// coldBurst runs p, one burst of ColdBurst: p.size.workers callers at
// once on an empty pool of p.size.maxConns conns, each dial costing
// p.dial, on a server of its own. Each caller does one request (Get,
// exchange, Put) and stops. Dials are counted in the pool's Dial, so that
// pools without counters are measured the same way.
func (s *Sweep) coldBurst(ctx context.Context, p planned) (pt ColdBurstPoint, err error) {
	var inFlight, peak, dials atomic.Int64
	r, err := s.newRig(ctx, p, p.srv.Launch, p.size.workers, func(dial dialFunc) dialFunc {
		return func(ctx context.Context) (net.Conn, error) {
			dials.Add(1)
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			raise(&peak, n)
			if err := sleepCtx(ctx, p.dial); err != nil {
				return nil, err
			}
			return dial(ctx)
		}
	})
	if err != nil {
		return pt, err
	}
	defer func() { err = cmp.Or(err, r.close()) }()
	maxConns, burst, opTimeout, pl := p.size.maxConns, p.size.workers, s.OpTimeout, r.pool
	// Every caller waits at most for all MaxConns dials in series plus
	// every request in series: the slowest pool still finishes.
	bound := time.Duration(maxConns)*p.dial + time.Duration(burst)*opTimeout/10 + opTimeout
	bctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	acquire := make([]time.Duration, burst)
	var failures atomic.Int64
	var last atomic.Int64
	release := make(chan struct{})
	var ready, wg sync.WaitGroup
	ready.Add(burst)
	var base time.Time
	for i, x := range r.xs {
		wg.Go(func() {
			ready.Done()
			<-release
			c, err := pl.Get(bctx)
			acquire[i] = time.Since(base)
			if err == nil {
				keep := false
				if err = c.SetDeadline(time.Now().Add(opTimeout)); err == nil {
					keep, err = x.exchange(c, uint64(i)<<40)
				}
				if err != nil || !keep {
					_ = pl.Discard(c)
				} else {
					err = pl.Put(c)
				}
			}
			if err != nil {
				failures.Add(1)
				return
			}
			raise(&last, int64(time.Since(base)))
		})
	}
	ready.Wait()
	base = time.Now()
	close(release)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return pt, err
	}
	slices.Sort(acquire)
	pt = ColdBurstPoint{Server: p.srv.Name, Pool: p.pool.Name, MaxConns: maxConns, Burst: burst, DialDelay: p.dial, Rep: p.rep}
	pt.ColdBurstResult = ColdBurstResult{
		Served:     time.Duration(last.Load()),
		AcquireP99: acquire[(len(acquire)*99+99)/100-1],
		AcquireMax: acquire[len(acquire)-1],
		PeakDials:  int(peak.Load()),
		Dials:      int(dials.Load()),
		Failures:   int(failures.Load()),
	}
	return pt, nil
}

// raise sets a to v if v is larger.
func raise(a *atomic.Int64, v int64) {
	for cur := a.Load(); v > cur && !a.CompareAndSwap(cur, v); cur = a.Load() {
	}
}

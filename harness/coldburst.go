package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/server"
)

// ColdBurst is the dial-storm scenario: an empty pool of MaxConns conns
// gets Burst Gets at once, and every dial costs DialDelay (the handshake's
// round trip across a real network). It shows the pool's dial policy: a
// pool that dials one conn at a time under its lock serves the burst in
// MaxConns x DialDelay; one that dials in parallel in about DialDelay; one
// that dials past its cap opens more conns than MaxConns.
//
// Each of the Burst callers does one request (Get, exchange, Put) and
// stops. Dials are counted in the pool's Dial, so that pools without
// counters are measured the same way.
type ColdBurst struct {
	Launch   Launcher
	Protocol server.Protocol
	New      func(pool.Config) (pool.Pool, error)
	MaxConns int
	// Burst is the callers at once; it should be at least 4 x MaxConns.
	Burst     int
	DialDelay time.Duration
	Size      int           // message bytes; 0 means DefaultSize
	OpTimeout time.Duration // one request's deadline, and a dial's; 0 means DefaultOpTimeout
}

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

// Run runs one burst on a server it launches and stops, through a fresh pool.
func (b ColdBurst) Run(ctx context.Context) (res ColdBurstResult, err error) {
	switch {
	case b.New == nil || b.Launch == nil:
		return res, errors.New("cold burst: a pool constructor and a server launcher are required")
	case b.MaxConns < 1 || b.Burst < 1:
		return res, fmt.Errorf("cold burst: MaxConns %d and burst %d, want both >= 1", b.MaxConns, b.Burst)
	case b.DialDelay < 0:
		return res, fmt.Errorf("cold burst: dial delay %v, want >= 0", b.DialDelay)
	}
	size, opTimeout := orDefaultInt(b.Size, DefaultSize), orDefault(b.OpTimeout, DefaultOpTimeout)
	inst, err := b.Launch.Launch(ctx)
	if err != nil {
		return res, fmt.Errorf("server: %w", err)
	}
	defer func() {
		if serr := inst.Stop(); serr != nil && err == nil {
			err = fmt.Errorf("server: %w", serr)
		}
	}()
	addr := inst.Addr()
	dialer := &net.Dialer{Timeout: opTimeout}
	var inFlight, peak, dials atomic.Int64
	p, err := b.New(pool.Config{
		Dial: func(ctx context.Context) (net.Conn, error) {
			dials.Add(1)
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for cur := peak.Load(); n > cur && !peak.CompareAndSwap(cur, n); cur = peak.Load() {
			}
			if err := sleepCtx(ctx, b.DialDelay); err != nil {
				return nil, err
			}
			return dialer.DialContext(ctx, network(b.Protocol), addr)
		},
		MaxConns: b.MaxConns,
	})
	if err != nil {
		return res, fmt.Errorf("pool: %w", err)
	}
	defer p.Close()

	xs := make([]exchanger, b.Burst)
	for i := range xs {
		if xs[i], err = newExchanger(b.Protocol, size, addr); err != nil {
			return res, err
		}
	}
	// Every caller waits at most for all MaxConns dials in series plus
	// every request in series: the slowest pool still finishes.
	bound := time.Duration(b.MaxConns)*b.DialDelay + time.Duration(b.Burst)*opTimeout/10 + opTimeout
	bctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	acquire := make([]time.Duration, b.Burst)
	var failures atomic.Int64
	var last atomic.Int64
	release := make(chan struct{})
	var ready, wg sync.WaitGroup
	ready.Add(b.Burst)
	var base time.Time
	for i, x := range xs {
		wg.Go(func() {
			ready.Done()
			<-release
			c, err := p.Get(bctx)
			acquire[i] = time.Since(base)
			if err == nil {
				keep := false
				if err = c.SetDeadline(time.Now().Add(opTimeout)); err == nil {
					keep, err = x.exchange(c, uint64(i)<<40)
				}
				if err != nil || !keep {
					_ = p.Discard(c)
				} else {
					err = p.Put(c)
				}
			}
			if err != nil {
				failures.Add(1)
				return
			}
			done := int64(time.Since(base))
			for cur := last.Load(); done > cur && !last.CompareAndSwap(cur, done); cur = last.Load() {
			}
		})
	}
	ready.Wait()
	base = time.Now()
	close(release)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	slices.Sort(acquire)
	res = ColdBurstResult{
		Served:     time.Duration(last.Load()),
		AcquireP99: acquire[(len(acquire)*99+99)/100-1],
		AcquireMax: acquire[len(acquire)-1],
		PeakDials:  int(peak.Load()),
		Dials:      int(dials.Load()),
		Failures:   int(failures.Load()),
	}
	return res, nil
}

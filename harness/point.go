package harness

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/faults"
	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/kernelnet"
)

// Point is the measurement of one server, pool design, pool size and
// worker level in one repetition.
type Point struct {
	Server   string // server design name
	Pool     string // pool design name
	Workers  int    // concurrent workers sharing the pool
	MaxConns int    // the pool's MaxConns
	Rep      int    // repetition, from 1
	// Size is the message size in bytes of a point of a Sizes sweep, its
	// name's size key; 0 when the sweep used Settings.Size for every point.
	Size int
	// ServerClosed is set when the server closed each conn first, after
	// its echo (Sweep.ServerCloses).
	ServerClosed bool

	Requests int64         // successful requests completed in the window
	Window   time.Duration // length of the measurement window
	Latency  Latency       // of the successful requests
	Errors   ErrorCounts   // failed requests, warm-up included, by class
	Dials    uint64        // dials the pool started, warm-up included (counted by the harness's Dial)
	// Filled is the conns the pool had dialed successfully by the end of
	// the window, up to the most the point can use (min(Workers,
	// MaxConns)). Below that the pool never filled inside the window: a
	// slow dial policy, not the steady state the point measures (Unfilled).
	Filled int
	// Wait is the time the window's successful requests spent in Get:
	// Mean, the percentiles, and Waited, the share of them that waited
	// (results.WaitThreshold or longer: dialed or parked).
	Wait Wait
	// Fairness is Jain's index over the workers' completed requests in
	// the window: 1 when every worker completed as many, 1/Workers when
	// one completed them all.
	Fairness float64
	// Stall is the longest time any worker went without completing a
	// request inside the window.
	Stall time.Duration
	CPU   time.Duration // client CPU (user+system) per successful request
	// RSSPerConn is the server's resident memory growth from its idle
	// baseline to the end of the window, per conn, in bytes; HasRSS is
	// false when the server is not a child process.
	RSSPerConn float64
	HasRSS     bool
	// WindowDials is the dials the pool started inside the window (Dials
	// counts the warm-up's too): what not pooling costs, per second, is
	// WindowDials / Window.
	WindowDials uint64
	// Kernel is what the kernel held for the server over the point,
	// warm-up included (TIME_WAIT by side, peaks of CLOSE_WAIT, SYN_RECV, ephemeral ports and
	// the server's fds, and how far the listen counters moved); HasKernel
	// is false for a server not started here as a process of its own.
	Kernel    kernelnet.Point
	HasKernel bool
	// Restart is what the callers saw of the server's restart, when the
	// sweep ran under Restart; nil otherwise.
	Restart *RestartResult
	// FirstOther is the text of the first error of class Other, if any.
	FirstOther string

	// Under Shard: the latency histogram, written beside the result for
	// poolbench merge; the window by this host's wall clock; and how much
	// later than scheduled the load began. Hist is nil otherwise.
	Hist                   *hdrhistogram.Histogram
	WindowStart, WindowEnd time.Time
	StartErr               time.Duration
}

// Wait is how long the successful requests of a point spent in Get.
type Wait struct {
	Mean, P50, P99, Max time.Duration
	Waited              float64 // share that waited, 0 to 1
}

// Unfilled reports whether the pool never reached the conns the point
// needed inside the window; its throughput and latency then measure the
// fill, not the design under load, and the report says so instead of
// ranking them.
func (p Point) Unfilled() bool { return p.Filled < min(p.Workers, p.MaxConns) }

// ReqPerSec is the point's throughput: successful requests per second.
func (p Point) ReqPerSec() float64 {
	if p.Window <= 0 {
		return 0
	}
	return float64(p.Requests) / p.Window.Seconds()
}

// ErrorCounts counts failed requests by Class.
type ErrorCounts [numClasses]int64

// Total returns the number of failed requests.
func (e ErrorCounts) Total() int64 {
	var n int64
	for _, v := range e {
		n += v
	}
	return n
}

// String is the counts as the progress line shows them: "0 errors" or
// "3 errors (2 reset, 1 timeout)".
func (e ErrorCounts) String() string { return errorSummary(e) }

// runPoint launches the server (restarting it under Restart, behind a
// proxy under Fault), loads it through a fresh pool for Warmup+Duration,
// stops it and returns the measurement. Under Shard it runs this shard's
// share of the workers and conns (the names keep the whole point's), and
// starts its load at slot (zero: now).
func (s *Sweep) runPoint(ctx context.Context, p planned, prog *progress, slot time.Time) (pt Point, err error) {
	srv := p.srv
	inst, rp, err := s.launch(ctx, srv)
	if err != nil {
		return pt, fmt.Errorf("server %s: %w", srv.Name, err)
	}
	defer func() {
		if serr := inst.Stop(); serr != nil && err == nil {
			prog.warn("server %s: %v", srv.Name, serr)
		}
	}()
	addr := inst.Addr()
	var proxy *faults.Proxy
	if s.Fault != "" {
		if proxy, err = faults.Start(addr, s.Fault); err != nil {
			return pt, fmt.Errorf("fault proxy: %w", err)
		}
		// Closing the proxy drops every proxied conn before the server stops.
		defer proxy.Close()
		addr = proxy.Addr()
	}
	pid := inst.PID()
	var idleRSS int64
	if pid > 0 {
		idleRSS, _ = rss(pid)
	}

	dialer := &net.Dialer{Timeout: s.OpTimeout}
	dialDelay := s.dialDelay()
	// Dials are counted here, not from the pool's Stats, so that pools
	// without counters (the third-party peers) are measured the same way.
	var dials, opened atomic.Uint64
	var pl pool.Pool
	pl, err = p.pool.New(pool.Config{
		Dial: func(ctx context.Context) (net.Conn, error) {
			dials.Add(1)
			if err := sleepCtx(ctx, dialDelay); err != nil {
				return nil, err
			}
			c, err := dialer.DialContext(ctx, network(srv.Protocol), addr)
			if err == nil {
				opened.Add(1)
			}
			return c, err
		},
		MaxConns: s.Shard.share(p.size.maxConns),
	})
	if err != nil {
		return pt, fmt.Errorf("pool %s: %w", p.pool.Name, err)
	}
	defer pl.Close()
	var endEarly <-chan struct{}
	if s.EndWhen != nil {
		endEarly = s.EndWhen(pl)
	}
	if rp != nil {
		pl = &observedPool{Pool: pl, rec: rp.rec}
	}

	// Everything a worker needs is allocated before the clock starts.
	workers := s.Shard.share(p.size.workers)
	xs := make([]exchanger, workers)
	for i := range xs {
		if xs[i], err = newExchanger(srv.Protocol, cmp.Or(p.msg, s.Size), addr); err != nil {
			return pt, err
		}
		if s.ServerCloses {
			xs[i] = &awaitClose{exchanger: xs[i]}
		}
	}
	l := &load{pool: pl, from: s.Warmup, to: s.Warmup + s.Duration, endEarly: endEarly, workers: workers, opTimeout: s.OpTimeout, at: slot}
	if s.Rate > 0 {
		// Rate is the whole point's: this shard sends its share of it.
		l.interval = time.Duration(float64(p.size.workers) / s.Rate * float64(time.Second))
	}
	var cpu0, cpu1 time.Duration
	var loadedRSS int64
	var filled uint64
	// The kernel is read before the workers start and after they stop:
	// a sock_diag dump of tens of thousands of sockets costs milliseconds of
	// CPU, which must not come out of the measured window. It is asked about
	// the server's own address, not a fault proxy's in front of it.
	kernel := newKernelProbe(kernelPID(inst), inst.Addr())
	kernel.begin()
	var dialsFrom, dialsTo uint64
	total, perWorker := l.drive(ctx, xs, func() {
		dialsFrom = dials.Load()
		cpu0 = cpuTime()
	}, func() {
		filled = opened.Load()
		cpu1 = cpuTime()
		dialsTo = dials.Load()
		if pid := inst.PID(); pid > 0 {
			loadedRSS, _ = rss(pid)
		}
	})
	kernel.end()
	if err := ctx.Err(); err != nil {
		return pt, err
	}
	pt = Point{
		Server: srv.Name, Pool: p.pool.Name, Workers: p.size.workers, MaxConns: p.size.maxConns, Rep: p.rep, Size: p.msg, ServerClosed: s.ServerCloses,
		Requests: total.ops, Window: l.end() - l.from, Latency: total.latency(), Errors: total.errs,
		Dials: dials.Load(), WindowDials: dialsTo - dialsFrom, Filled: int(min(filled, uint64(min(workers, s.Shard.share(p.size.maxConns))))), Wait: total.wait(),
		Fairness: jain(perWorker), Stall: longestStall(perWorker, l.from, l.end()),
	}
	if s.Shard.sharded() {
		s.shardPoint(&pt, l, total.hist, prog)
	}
	if total.ops > 0 {
		pt.CPU = (cpu1 - cpu0) / time.Duration(total.ops)
	}
	if pid > 0 && idleRSS > 0 && loadedRSS > 0 {
		pt.HasRSS = true
		pt.RSSPerConn = float64(max(loadedRSS-idleRSS, 0)) / float64(min(workers, s.Shard.share(p.size.maxConns)))
	}
	pt.Kernel, pt.HasKernel = kernel.point()
	if total.other != nil {
		pt.FirstOther = total.other.Error()
	}
	if rp != nil {
		// Stop before reading: the restart may still be pending, and the
		// result is final only once it is not.
		rr := rp.finish(srv.Name, p.pool.Name, p.size.workers, p.size.maxConns)
		pt.Restart = &rr
		prog.restart(rr)
	}
	return pt, nil
}

// dialDelay is the wait added to every dial: DialDelay, or under a
// latency fault that latency.
func (s *Sweep) dialDelay() time.Duration {
	if s.DialDelay > 0 || s.Fault == "" {
		return s.DialDelay
	}
	if f, err := faults.ParseSpec(s.Fault); err == nil && f.Kind == faults.Latency {
		return f.Duration
	}
	return 0
}

// drive runs one worker per exchanger from now until the window ends,
// calling atFrom and atTo at the window's edges (the CPU and RSS probes),
// and returns the merged tally and each worker's record once every worker
// has stopped.
//
// With l.at set, the workers start then instead of now, and the clock's
// zero is l.at even when they start late: a late start eats the warm-up,
// then the window's head, but the window still ends when scheduled
// (l.late records how late).
func (l *load) drive(ctx context.Context, xs []exchanger, atFrom, atTo func()) (tally, []workerRecord) {
	shards := make([]shard, shardCount(len(xs)))
	for i := range shards {
		shards[i].t = newTally()
	}
	l.workers = len(xs)
	l.records = make([]workerRecord, len(xs))
	l.base = time.Now()
	if !l.at.IsZero() {
		if !sleepUntil(ctx, l.at) {
			return newTally(), l.records
		}
		l.late = lateness(l.at)
		l.base = time.Now().Add(-l.late) // keeps the monotonic reading
	}
	// A worker blocked in a request past the window ends by its conn's
	// deadline; one blocked in Get (a dial) ends by this one.
	lctx, cancel := context.WithDeadline(ctx, l.base.Add(l.to+2*l.opTimeout))
	defer cancel()
	l.ctx = lctx

	var wg sync.WaitGroup
	for i, x := range xs {
		wg.Go(func() { l.worker(i, x, &shards[i%len(shards)]) })
	}
	if sleepUntil(lctx, l.base.Add(l.from)) {
		atFrom()
		if l.waitWindow(lctx) {
			atTo()
		}
	}
	wg.Wait()
	ts := make([]*tally, len(shards))
	for i := range shards {
		ts[i] = &shards[i].t
	}
	return merged(ts), l.records
}

// waitWindow waits for the window's end: l.to, or l.endEarly's close
// (recorded in l.ended); false when ctx ended first.
func (l *load) waitWindow(ctx context.Context) bool {
	timer := time.NewTimer(time.Until(l.base.Add(l.to)))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-l.endEarly:
		l.ended = max(time.Since(l.base), l.from)
		l.stopped.Store(true)
		return true
	case <-ctx.Done():
		return false
	}
}

// end is when the window ended: l.to, or earlier when endEarly closed.
func (l *load) end() time.Duration {
	if l.ended > 0 {
		return l.ended
	}
	return l.to
}

// sleepUntil waits until t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleepCtx waits d, or until ctx ends (returning its error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	if !sleepTimer(ctx, t, d) {
		return ctx.Err()
	}
	return nil
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"

	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/pool"
)

// design is one row group of BenchmarkPool: a registered pool or one of the
// two reference rows, the floor and the FIFO floor.
type design struct {
	name string
	new  func(pool.Config) (pool.Pool, error)
}

// designs is the reference rows followed by every registered pool design.
func designs() []design {
	ds := []design{{name: "floor", new: newFloor}, {name: "fifofloor", new: newFIFOFloor}}
	for _, d := range impls.Pools() {
		ds = append(ds, design{name: d.Name, new: d.New})
	}
	return ds
}

// scenario is one way of loading a pool; see the package doc.
type scenario struct {
	name string
	// maxConns is the pool's MaxConns at the current GOMAXPROCS.
	maxConns func() int
	// parallelism is RunParallel's goroutines per P; 0 runs a plain loop.
	parallelism int
	// exhausted: more goroutines than conns, so Gets wait; their waits are
	// recorded.
	exhausted bool
	// yield: the holder calls runtime.Gosched while it holds the conn.
	yield bool
}

// exhaustedConns is MaxConns in the exhausted scenarios.
const exhaustedConns = 4

var scenarios = []scenario{
	{name: "uncontended", maxConns: func() int { return exhaustedConns }},
	{name: "parallel", maxConns: func() int { return runtime.GOMAXPROCS(0) }, parallelism: 1},
	{name: "exhausted", maxConns: func() int { return exhaustedConns }, parallelism: 32, exhausted: true},
	{name: "exhausted-yield", maxConns: func() int { return exhaustedConns }, parallelism: 32, exhausted: true, yield: true},
}

// BenchmarkPool measures a Get+Put cycle of every design in every scenario:
// BenchmarkPool/impl=NAME/scenario=NAME.
func BenchmarkPool(b *testing.B) {
	for _, d := range designs() {
		b.Run("impl="+d.name, func(b *testing.B) {
			for _, sc := range scenarios {
				b.Run("scenario="+sc.name, func(b *testing.B) {
					skip, err := runScenario(b, d, sc)
					if err != nil {
						b.Fatal(err)
					}
					if skip != "" {
						b.Skip(skip)
					}
				})
			}
		})
	}
}

// runScenario runs b.N Get+Put cycles of sc on a fresh pool of design d. It
// returns a reason instead when the row means nothing for d (its pool is never
// exhausted), and an error when a Get or Put failed or the pool opened more
// than MaxConns conns although it waits when exhausted.
func runScenario(b *testing.B, d design, sc scenario) (skip string, err error) {
	behaviour, err := exhaustionOf(d)
	if err != nil {
		return "", err
	}
	if sc.exhausted && behaviour == dialsPastCap {
		return d.name + " dials past MaxConns instead of waiting, so it is never exhausted and there is no wait to measure", nil
	}
	maxConns := sc.maxConns()
	dialer := &fakeDialer{}
	p, err := d.new(pool.Config{Dial: dialer.dial, MaxConns: maxConns})
	if err != nil {
		return "", err
	}
	// A slowdown is injected only in scripts/gate-power.sh's builds.
	p = injected(d.name, sc.name, p)
	defer p.Close()
	ctx := context.Background()
	if err := warm(ctx, p, maxConns); err != nil {
		return "", err
	}
	var waits *waitRecorder
	var gate *exhaustGate
	if sc.exhausted {
		goroutines := sc.parallelism * runtime.GOMAXPROCS(0) // RunParallel's
		waits = newWaitRecorder(goroutines)
		if gate, err = holdAll(ctx, p, maxConns, goroutines); err != nil {
			return "", err
		}
	}
	var watch *endWatch
	if sc.parallelism > 0 {
		watch = startEndWatch(ctx, p, endStall)
		b.SetParallelism(sc.parallelism)
	}
	retry := behaviour == failsFast
	var first firstError

	b.ReportAllocs()
	b.ResetTimer()
	cpuStart := processCPU(b)
	if sc.parallelism == 0 {
		for range b.N {
			if !cycle(ctx, p, nil, retry, sc.yield, &first) {
				break
			}
		}
	} else {
		b.RunParallel(func(pb *testing.PB) {
			defer watch.leave()
			rec := waits.goroutine()
			gate.arrive(&first)
			for pb.Next() {
				if !cycle(ctx, p, rec, retry, sc.yield, &first) {
					return
				}
			}
		})
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU(b)-cpuStart)/float64(b.N), "cpu-ns/op")
	if watch != nil {
		if _, err := watch.close(); err != nil {
			return "", err
		}
	}

	if err := first.get(); err != nil {
		return "", err
	}
	if waits != nil {
		if err := waits.report(b, b.N); err != nil {
			return "", err
		}
	}
	if n := dialer.maxLive.Load(); behaviour != dialsPastCap && n > int64(maxConns) {
		return "", fmt.Errorf("%s had %d conns open with MaxConns %d", d.name, n, maxConns)
	}
	return "", nil
}

// cycle is one Get, an optional yield while holding the conn, and one Put.
// It records the Get's wait in rec (nil records nothing) and reports whether
// the run may go on. It is never inlined: scripts/gate.sh counts the
// instructions executed inside it (poolbench gate -instructions -collect).
//
//go:noinline
func cycle(ctx context.Context, p pool.Pool, rec *goroutineWaits, retry, yield bool, first *firstError) bool {
	start := rec.start()
	c, err := p.Get(ctx)
	for retry && err != nil && !errors.Is(err, pool.ErrClosed) {
		runtime.Gosched() // a fail-fast pool: try again until a conn is free
		c, err = p.Get(ctx)
	}
	rec.stop(start)
	if err != nil {
		first.set(fmt.Errorf("Get: %w", err))
		return false
	}
	if yield {
		runtime.Gosched()
	}
	if err := p.Put(c); err != nil {
		first.set(fmt.Errorf("Put: %w", err))
		return false
	}
	return true
}

// warm dials n conns and returns them, so the timed loop starts from a full
// idle list and measures the steady state, not the first dials.
func warm(ctx context.Context, p pool.Pool, n int) error {
	held := make([]net.Conn, 0, n)
	for range n {
		c, err := p.Get(ctx)
		if err != nil {
			return fmt.Errorf("warm-up Get: %w", err)
		}
		held = append(held, c)
	}
	for _, c := range held {
		if err := p.Put(c); err != nil {
			return fmt.Errorf("warm-up Put: %w", err)
		}
	}
	return nil
}

// firstError keeps the first error any goroutine reports.
type firstError struct {
	once sync.Once
	err  error
}

func (f *firstError) set(err error) { f.once.Do(func() { f.err = err }) }

// get is called after every goroutine has finished.
func (f *firstError) get() error { return f.err }

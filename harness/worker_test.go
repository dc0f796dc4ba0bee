package harness

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/server"
)

// pipeEcho is an echo server on net.Pipe for tests in virtual time: each
// request takes service, and requests arriving in [stallFrom, stallTo)
// (offsets from base) wait until stallTo, like a server in a GC pause.
type pipeEcho struct {
	base               time.Time
	service            time.Duration
	stallFrom, stallTo time.Duration
	wg                 sync.WaitGroup
}

func (e *pipeEcho) dial(context.Context) (net.Conn, error) {
	client, srv := net.Pipe()
	e.wg.Go(func() {
		defer srv.Close()
		buf := make([]byte, DefaultSize)
		for {
			if _, err := io.ReadFull(srv, buf); err != nil {
				return
			}
			if now := time.Since(e.base); now >= e.stallFrom && now < e.stallTo {
				time.Sleep(e.stallTo - now)
			}
			time.Sleep(e.service)
			if _, err := srv.Write(buf); err != nil {
				return
			}
		}
	})
	return client, nil
}

// runVirtual runs workers for 1.1s of virtual time (0.1s warm-up) against
// a pipeEcho that stalls from 500ms to 700ms, and returns the tally.
func runVirtual(t *testing.T, workers int, interval time.Duration) tally {
	var total tally
	synctest.Test(t, func(t *testing.T) {
		e := &pipeEcho{base: time.Now(), service: time.Millisecond, stallFrom: 500 * time.Millisecond, stallTo: 700 * time.Millisecond}
		p, err := newTestPool(pool.Config{Dial: e.dial, MaxConns: workers})
		if err != nil {
			t.Fatal(err)
		}
		xs := make([]exchanger, workers)
		for i := range xs {
			xs[i] = newEchoClient(DefaultSize)
		}
		l := &load{pool: p, from: 100 * time.Millisecond, to: 1100 * time.Millisecond, interval: interval, opTimeout: time.Second}
		froms, tos := 0, 0
		total, _ = l.drive(t.Context(), xs, func() { froms++ }, func() { tos++ })
		if froms != 1 || tos != 1 {
			t.Errorf("window probes called %d and %d times, want once each", froms, tos)
		}
		p.Close()
		e.wg.Wait()
	})
	return total
}

// near reports whether a histogram value is want to its 3 digits.
func near(got, want time.Duration) bool {
	return got >= want && got <= want+want/1000
}

// TestOpenLoopSchedule: 4 workers at 400 req/s in total send exactly on
// schedule over a 1s window, and the stall shows in the latency of every
// request that was due during it (no coordinated omission).
func TestOpenLoopSchedule(t *testing.T) {
	total := runVirtual(t, 4, 10*time.Millisecond)
	if total.errors() != 0 {
		t.Fatalf("%d errors: %v", total.errors(), total.errs)
	}
	// 100 sends per worker are due in the window; the first few after the
	// stall complete late but still inside it.
	if total.ops < 396 || total.ops > 404 {
		t.Errorf("open loop completed %d requests in the window, want 400 +- 4", total.ops)
	}
	lat := total.latency()
	// Per worker, the sends due during the 200ms stall wait for it: ~17
	// of 100 see more than 50ms. A load generator that timed from the
	// actual send would report ~1ms for all but one of them.
	if lat.P90 < 50*time.Millisecond {
		t.Errorf("open loop p90 = %v, want >= 50ms: the stall is hidden", lat.P90)
	}
	if lat.Max < 195*time.Millisecond || lat.Max > 205*time.Millisecond {
		t.Errorf("open loop max = %v, want ~201ms (stall + service)", lat.Max)
	}
	if !near(lat.P50, time.Millisecond) {
		t.Errorf("open loop p50 = %v, want the 1ms service time", lat.P50)
	}
}

// TestClosedLoop: in the closed loop each worker waits for its echo, so
// the stall costs one slow request per worker and throughput, not tail.
func TestClosedLoop(t *testing.T) {
	total := runVirtual(t, 4, 0)
	if total.errors() != 0 {
		t.Fatalf("%d errors: %v", total.errors(), total.errs)
	}
	// 1ms per request, 800ms of service in the 1s window, 4 workers.
	if total.ops < 3190 || total.ops > 3210 {
		t.Errorf("closed loop completed %d requests, want ~3200", total.ops)
	}
	lat := total.latency()
	if !near(lat.P99, time.Millisecond) || lat.Max < 195*time.Millisecond {
		t.Errorf("closed loop p99 %v, max %v; want 1ms and ~200ms", lat.P99, lat.Max)
	}
}

// TestWindowExcludesWarmup: a request counts only when it completes inside
// the window, so warm-up requests are not in the tally.
func TestWindowExcludesWarmup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := &pipeEcho{base: time.Now(), service: 10 * time.Millisecond}
		p, _ := newTestPool(pool.Config{Dial: e.dial, MaxConns: 1})
		l := &load{pool: p, from: 500 * time.Millisecond, to: 600 * time.Millisecond, opTimeout: time.Second}
		total, _ := l.drive(t.Context(), []exchanger{newEchoClient(DefaultSize)}, func() {}, func() {})
		if total.ops != 10 {
			t.Errorf("%d requests counted in a 100ms window of 10ms requests, want 10", total.ops)
		}
		if d := p.Stats().Dials; d != 1 {
			t.Errorf("%d dials, want 1", d)
		}
		p.Close()
		e.wg.Wait()
	})
}

// TestWarmupFailuresCount: a dial refused during the warm-up is counted,
// while the warm-up's successes are not.
func TestWarmupFailuresCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := &pipeEcho{base: time.Now(), service: 10 * time.Millisecond}
		refused := false
		dial := func(ctx context.Context) (net.Conn, error) {
			if !refused {
				refused = true
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
			}
			return e.dial(ctx)
		}
		p, _ := newTestPool(pool.Config{Dial: dial, MaxConns: 1})
		l := &load{pool: p, from: 500 * time.Millisecond, to: 600 * time.Millisecond, opTimeout: time.Second}
		total, _ := l.drive(t.Context(), []exchanger{newEchoClient(DefaultSize)}, func() {}, func() {})
		if total.errs[Refused] != 1 || total.errors() != 1 {
			t.Errorf("errors %v, want the one refused dial of the warm-up", total.errs)
		}
		if total.ops != 10 {
			t.Errorf("%d requests counted, want the window's 10", total.ops)
		}
		p.Close()
		e.wg.Wait()
	})
}

// TestInterruptStopsWorkers: ending ctx mid-window stops every worker.
func TestInterruptStopsWorkers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := &pipeEcho{base: time.Now(), service: time.Millisecond}
		p, _ := newTestPool(pool.Config{Dial: e.dial, MaxConns: 8})
		xs := make([]exchanger, 8)
		for i := range xs {
			xs[i] = newEchoClient(DefaultSize)
		}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(300*time.Millisecond, cancel)
		l := &load{pool: p, from: 100 * time.Millisecond, to: time.Hour, opTimeout: time.Second}
		start := time.Now()
		tos := 0
		l.drive(ctx, xs, func() {}, func() { tos++ })
		if d := time.Since(start); d > 310*time.Millisecond {
			t.Errorf("workers stopped %v after start, want right after the 300ms interrupt", d)
		}
		if tos != 0 {
			t.Error("window end probe ran for an interrupted window")
		}
		p.Close()
		e.wg.Wait()
	})
}

// benchRequest is one worker's request loop against a loopback server.
// The server is a child process so that its allocations are not counted.
func benchRequest(tb testing.TB, proto server.Protocol) func() {
	inst := startChild(tb, proto)
	p, err := newTestPool(pool.Config{
		Dial: func(ctx context.Context) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", inst.Addr())
		},
		MaxConns: 1,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	x, err := newExchanger(proto, DefaultSize, inst.Addr())
	if err != nil {
		tb.Fatal(err)
	}
	l := &load{pool: p, ctx: context.Background(), base: time.Now(), to: time.Duration(1<<63 - 1), opTimeout: 10 * time.Second, workers: 1}
	sh := &shard{t: newTally()}
	rec := &workerRecord{}
	var seq uint64
	return func() {
		seq++
		now := time.Since(l.base)
		if !l.request(x, sh, rec, seq, now, now) || sh.t.errors() != 0 {
			tb.Fatalf("request %d failed: %v", seq, sh.t.errs)
		}
	}
}

// BenchmarkWorkerLoop measures one worker's Get, write, read, verify, Put
// and record against an echo server on loopback; it must not allocate.
func BenchmarkWorkerLoop(b *testing.B) {
	for _, proto := range []server.Protocol{server.Echo, server.HTTP} {
		b.Run("proto="+string(proto), func(b *testing.B) {
			req := benchRequest(b, proto)
			req() // dial outside the measurement
			b.ReportAllocs()
			for b.Loop() {
				req()
			}
		})
	}
}

// TestFairnessAndStall: on virtual time, 4 workers against an echo that
// stalls from 500ms to 700ms complete as many requests each (Jain's index
// 1) and each goes the 200ms stall (plus one service time) without
// completing one.
func TestFairnessAndStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := &pipeEcho{base: time.Now(), service: time.Millisecond, stallFrom: 500 * time.Millisecond, stallTo: 700 * time.Millisecond}
		p, err := newTestPool(pool.Config{Dial: e.dial, MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		xs := make([]exchanger, 4)
		for i := range xs {
			xs[i] = newEchoClient(DefaultSize)
		}
		l := &load{pool: p, from: 100 * time.Millisecond, to: 1100 * time.Millisecond, opTimeout: time.Second}
		total, recs := l.drive(t.Context(), xs, func() {}, func() {})
		p.Close()
		e.wg.Wait()
		if f := jain(recs); f < 0.99 || f > 1 {
			t.Errorf("fairness %v over %+v, want 1", f, recs)
		}
		if st := longestStall(recs, l.from, l.to); st < 200*time.Millisecond || st > 202*time.Millisecond {
			t.Errorf("longest stall %v, want the 200ms stall plus a service time", st)
		}
		if w := total.wait(); w.Waited != 0 || w.Max >= time.Millisecond {
			t.Errorf("wait %+v: 4 workers on 4 conns never wait for a conn", w)
		}
	})
}

// TestJainAndStall checks the two formulas on records made by hand.
func TestJainAndStall(t *testing.T) {
	ms := time.Millisecond
	even := []workerRecord{{done: 5, last: 90 * ms, stall: 20 * ms}, {done: 5, last: 95 * ms, stall: 10 * ms}}
	if f := jain(even); f != 1 {
		t.Errorf("jain(even) = %v, want 1", f)
	}
	if st := longestStall(even, 0, 100*ms); st != 20*ms {
		t.Errorf("stall(even) = %v, want 20ms", st)
	}
	// One worker did all the work: index 1/n; the other stalled the whole window.
	one := []workerRecord{{done: 10, last: 99 * ms, stall: ms}, {}}
	if f := jain(one); f != 0.5 {
		t.Errorf("jain(one of two) = %v, want 0.5", f)
	}
	if st := longestStall(one, 10*ms, 100*ms); st != 90*ms {
		t.Errorf("stall(one of two) = %v, want the 90ms window", st)
	}
	if f := jain([]workerRecord{{}, {}}); f != 0 {
		t.Errorf("jain(nothing done) = %v, want 0", f)
	}
	var r workerRecord
	r.complete(30*ms, 10*ms)
	r.complete(35*ms, 10*ms)
	if r.done != 2 || r.stall != 20*ms || r.last != 35*ms {
		t.Errorf("record after completions at 30ms and 35ms of a window from 10ms: %+v", r)
	}
}

// TestEndEarly: a window whose endEarly closes at 300ms ends then, in
// virtual time: the end probe runs once, the workers stop at once, and no
// request that ends after the close is counted. A close during the warm-up
// ends the window as soon as the warm-up is over.
func TestEndEarly(t *testing.T) {
	for _, tc := range []struct {
		name         string
		closeAt, end time.Duration
	}{{"in the window", 300 * time.Millisecond, 300 * time.Millisecond}, {"in the warm-up", 50 * time.Millisecond, 100 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := &pipeEcho{base: time.Now(), service: time.Millisecond}
				p, _ := newTestPool(pool.Config{Dial: e.dial, MaxConns: 4})
				xs := make([]exchanger, 4)
				for i := range xs {
					xs[i] = newEchoClient(DefaultSize)
				}
				end := make(chan struct{})
				time.AfterFunc(tc.closeAt, func() { close(end) })
				l := &load{pool: p, from: 100 * time.Millisecond, to: time.Hour, endEarly: end, opTimeout: time.Second}
				start := time.Now()
				tos := 0
				total, _ := l.drive(t.Context(), xs, func() {}, func() { tos++ })
				if d := time.Since(start); d > tc.end+2*time.Millisecond {
					t.Errorf("workers stopped %v after start, want right after %v", d, tc.end)
				}
				if tos != 1 || l.end() != tc.end {
					t.Errorf("end probe ran %d times, window ended at %v; want once, at %v", tos, l.end(), tc.end)
				}
				// 4 workers, 1ms per request: at most 4 per ms of the window,
				// and 4 more that end exactly on its edge (virtual time).
				if most := int64(4*(tc.end-l.from)/time.Millisecond) + 4; total.ops > most || tc.end > l.from && total.ops == 0 {
					t.Errorf("%d requests counted in a %v window of 4 workers at 1ms, want 1 to %d", total.ops, tc.end-l.from, most)
				}
				p.Close()
				e.wg.Wait()
			})
		})
	}
}

// endOnDiscard is a pool whose first Discard ends the load's window, as
// Sweep.EndWhen's watcher of the first failure does, and returns only once
// the window's end has been recorded (l.stopped): the worst interleaving
// for the worker that discarded, which must still count its failure.
type endOnDiscard struct {
	pool.Pool
	l    *load
	once sync.Once
	done chan struct{}
	t    *testing.T
}

func (p *endOnDiscard) Discard(c net.Conn) error {
	p.once.Do(func() {
		close(p.done)
		synctest.Wait() // waitWindow wakes, records the end and waits for the workers
		if !p.l.stopped.Load() {
			p.t.Error("the window's end was not recorded once everything else was blocked")
		}
	})
	return p.Pool.Discard(c)
}

// TestFailureThatEndsWindowCounts: a server that resets every conn after
// 50ms of virtual time; the first failed exchange's Discard ends the
// window, and that failure is in the tally.
func TestFailureThatEndsWindowCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := time.Now()
		dial := func(context.Context) (net.Conn, error) {
			client, srv := net.Pipe()
			go func() {
				defer srv.Close()
				buf := make([]byte, DefaultSize)
				for time.Since(base) < 50*time.Millisecond {
					if _, err := io.ReadFull(srv, buf); err != nil {
						return
					}
					time.Sleep(time.Millisecond)
					if _, err := srv.Write(buf); err != nil {
						return
					}
				}
			}()
			return client, nil
		}
		inner, err := newTestPool(pool.Config{Dial: dial, MaxConns: 1})
		if err != nil {
			t.Fatal(err)
		}
		l := &load{from: 10 * time.Millisecond, to: time.Second, opTimeout: 100 * time.Millisecond}
		p := &endOnDiscard{Pool: inner, l: l, done: make(chan struct{}), t: t}
		l.pool, l.endEarly = p, p.done
		total, _ := l.drive(t.Context(), []exchanger{newEchoClient(DefaultSize)}, func() {}, func() {})
		p.Close()
		var failures int64
		for _, n := range total.errs {
			failures += n
		}
		if failures != 1 || total.ops == 0 {
			t.Errorf("%d failures and %d successes, want 1 failure (the one that ended the window) and some successes", failures, total.ops)
		}
		if got := l.end(); got < 50*time.Millisecond || got >= time.Second {
			t.Errorf("window ended at %v, want at the first failure, after 50ms", got)
		}
	})
}

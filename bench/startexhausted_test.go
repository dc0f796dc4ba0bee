package bench

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// exhaustGate makes an exhausted row start exhausted: it holds every conn
// of the pool until each of RunParallel's goroutines has arrived, so their
// first Gets queue behind the held conns, and the last goroutine to arrive
// puts them back.
//
// Without it a short row was a lottery. 64 goroutines on 2 Ps hold at most 2
// of the 4 conns while none is descheduled holding one, so Gets never
// wait (p99 wait 30-250 ns); once preemption (sysmon's 10 ms, or the OS)
// strands enough holders, Gets park and a FIFO pool stays in that convoy,
// since every Put hands its conn to a parked Get and the putter's next Get
// parks behind the others. At -benchtime 20ms the convoy began at a random
// point of the run or not at all, which was ring's ±82% in exhausted-2 and
// mutexlist's slow and fast processes; at 200ms every design was in it
// (ring 307-627 ns/op against 66-105 at 20ms, p99 wait 56-98 us).
type exhaustGate struct {
	p       pool.Pool
	held    []net.Conn
	want    int64 // RunParallel's goroutines
	arrived atomic.Int64
}

// holdAll takes all n conns of p, which warm left idle, for goroutines
// RunParallel goroutines to queue behind.
func holdAll(ctx context.Context, p pool.Pool, n, goroutines int) (*exhaustGate, error) {
	g := &exhaustGate{p: p, want: int64(goroutines)}
	for range n {
		c, err := p.Get(ctx)
		if err != nil {
			g.release(nil)
			return nil, fmt.Errorf("exhausting the pool: Get: %w", err)
		}
		g.held = append(g.held, c)
	}
	return g, nil
}

// arrive is called by each RunParallel goroutine before its first cycle;
// the last one lets the others settle into their Gets' waits and puts back
// the held conns. A nil gate does nothing.
func (g *exhaustGate) arrive(first *firstError) {
	if g != nil && g.arrived.Add(1) == g.want {
		g.settle()
		g.release(first)
	}
}

// settle returns once the other goroutines have gone as far as they can
// into their first Gets: every one of them parked, as the pool's
// Stats().Waits counts (ours count a wait as it begins), or, for a pool
// that does not count them, no other goroutine running or ready to run; or
// after settleFor in any case, which is what a pool that spins instead of
// parking (the floor) pays: 1% of a 20 ms row.
//
// Arriving is not queueing. A Get on its way to park can be asleep on the
// mutex in front of its pool's queue of waiters (mutexlist's, and ring's
// and shard's parking.Lot until it moved to a hand-off channel), or be
// descheduled before it announces itself, and a Put that looks for waiters
// then finds nobody waiting and keeps its conn idle for the late Gets. A
// lock-free pool need never leave the uncontended regime that follows,
// since no goroutine sleeps holding a conn until one is preempted. Released
// on arrival, 10 of 184 of ring's exhausted-2 rounds (b.N > 100) ran so,
// with not one wait in 1,701 to 75,252 cycles at 37-307 ns/op where the
// others took 326-480, and b.N predicted from them made the next round run
// for 0.1-0.5 s, or a mixture of both regimes; settled, 0 of 141 (shard: 2
// of 141, 0 of 139). Settling took ring 3-20 us, and settleFor when the OS
// descheduled a thread of ours midway.
func (g *exhaustGate) settle() {
	want := uint64(g.want - 1)
	sched := []metrics.Sample{
		{Name: "/sched/goroutines/runnable:goroutines"},
		{Name: "/sched/goroutines/running:goroutines"},
	}
	deadline := time.Now().Add(settleFor)
	for waits, quiet := g.p.Stats().Waits, 0; waits < want && quiet < settleQuiet && time.Now().Before(deadline); {
		runtime.Gosched()
		metrics.Read(sched)
		if w := g.p.Stats().Waits; w != waits {
			waits, quiet = w, 0
		} else if sched[0].Value.Uint64() == 0 && sched[1].Value.Uint64() <= 1 {
			quiet++
		} else {
			quiet = 0
		}
	}
}

// settleQuiet is how many looks in a row, with no new wait counted, must
// find no goroutine running but settle's and none ready to run before
// settle takes the others as parked. Running counts: a Get holding a
// pool's mutex on a thread the OS has descheduled is neither ready nor
// parked, and the Gets asleep on that mutex behind it are not parked
// either (counting only ready goroutines, settle released ring's conns
// with none of its 63 Gets parked, after 15 us of such a pause on this
// shared machine). settleFor bounds settle.
const (
	settleQuiet = 3
	settleFor   = 200 * time.Microsecond
)

// release puts back the held conns, reporting a failed Put to first (nil
// drops it: the row is failing already).
func (g *exhaustGate) release(first *firstError) {
	for _, c := range g.held {
		if err := g.p.Put(c); err != nil && first != nil {
			first.set(fmt.Errorf("Put of a conn held to exhaust the pool: %w", err))
		}
	}
	g.held = nil
}

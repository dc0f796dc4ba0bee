package bench

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"

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
// the last one puts back the held conns. A nil gate does nothing.
func (g *exhaustGate) arrive(first *firstError) {
	if g != nil && g.arrived.Add(1) == g.want {
		g.release(first)
	}
}

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

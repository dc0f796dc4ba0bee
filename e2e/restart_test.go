package e2e

import (
	"testing"
	"time"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/server"
)

// echoServerDesign is the server design the fault tests start: the first
// registered raw-echo design.
func echoServerDesign(t *testing.T) impls.ServerDesign {
	t.Helper()
	for _, d := range impls.Servers() {
		if d.Protocol == server.Echo {
			return d
		}
	}
	t.Fatal("no echo server design registered")
	return impls.ServerDesign{}
}

// TestRestartRecovery runs one short point per registered pool design
// against a real "poolbench serve" child that Sweep.Restart kills
// (SIGKILL) and starts again on the same port mid-point. Every pool must
// recover: requests succeed after the restart, the last failure comes
// before the last success, and failures after the server is back are
// bounded by the stale conns (at most one failed use each) plus the
// requests in flight at that moment. Closed loop keeps every conn busy
// through the restart; open loop at 50 req/s per worker leaves most conns
// idle in the pool across it, to be found stale by the next Get.
func TestRestartRecovery(t *testing.T) {
	const conns = 8
	d := echoServerDesign(t)
	for _, model := range []struct {
		name string
		rate float64
	}{{"closed", 0}, {"open", 50 * conns}} {
		t.Run(model.name, func(t *testing.T) {
			s := &harness.Sweep{
				Servers: []harness.Server{{Name: d.Name, Protocol: d.Protocol, Loops: 1, Launch: harness.Process{
					Path: poolbench, Args: []string{"serve", "-design", d.Name, "-addr", "127.0.0.1:0", "-loops", "1"},
				}}},
				Pools: registeredPools(),
				// The relaunch (exec of poolbench serve) took 200-340ms at load
				// average 25 on 2 cores, leaving a 400ms point no time after it.
				Settings: oneLevel(conns, 100*time.Millisecond, time.Second, time.Second),
				Rate:     model.rate,
				Restart:  harness.Restart{At: 250 * time.Millisecond},
			}
			res, err := s.Run(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Points) != len(s.Pools) {
				t.Fatalf("%d points for %d pools", len(res.Points), len(s.Pools))
			}
			for _, pt := range res.Points {
				if pt.Restart == nil {
					t.Fatalf("%s: point without its restart result", pt.Pool)
				}
				rr := *pt.Restart
				if rr.Pool != pt.Pool || rr.Workers != pt.Workers {
					t.Errorf("point %s/%d carries the restart of %s/%d", pt.Pool, pt.Workers, rr.Pool, rr.Workers)
				}
				t.Logf("%v; whole point: %v", rr, pt.Errors)
				if !rr.Recovered() {
					t.Errorf("%s did not recover: %v", rr.Pool, rr)
				}
				if rr.ErrorsAfter > 2*conns {
					t.Errorf("%s: %d failures after the server was back, want <= %d (one per stale conn plus those in flight)",
						rr.Pool, rr.ErrorsAfter, 2*conns)
				}
			}
		})
	}
}

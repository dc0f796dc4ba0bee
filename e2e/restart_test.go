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
// against a real "poolbench serve" child that harness.Restart kills
// (SIGKILL) and starts again on the same port mid-point. Every pool must
// recover: requests succeed after the restart, the last failure comes
// before the last success, and failures after the server is back are
// bounded by the stale conns (at most one failed use each) plus the
// requests in flight at that moment.
func TestRestartRecovery(t *testing.T) {
	const conns = 8
	d := echoServerDesign(t)
	s := &harness.Sweep{
		Servers: []harness.Server{{Name: d.Name, Protocol: d.Protocol, Loops: 1, Launch: harness.Process{
			Path: poolbench, Args: []string{"serve", "-design", d.Name, "-addr", "127.0.0.1:0", "-loops", "1"},
		}}},
		Pools:     impls.Pools(),
		Conns:     []int{conns},
		Warmup:    100 * time.Millisecond,
		Duration:  500 * time.Millisecond,
		OpTimeout: time.Second,
	}
	r := &harness.Restart{At: 300 * time.Millisecond}
	if err := r.Apply(s); err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	results := r.Results()
	if len(results) != len(impls.Pools()) || len(res.Points) != len(results) {
		t.Fatalf("%d restart results and %d points for %d pools", len(results), len(res.Points), len(impls.Pools()))
	}
	for i, rr := range results {
		pt := res.Points[i]
		t.Logf("%v; point errors %d (%v)", rr, pt.Errors.Total(), pt.Errors)
		if !rr.Recovered() {
			t.Errorf("%s did not recover: %v", rr.Pool, rr)
		}
		if rr.ErrorsAfter > 2*conns {
			t.Errorf("%s: %d failures after the server was back, want <= %d (one per stale conn plus those in flight)",
				rr.Pool, rr.ErrorsAfter, 2*conns)
		}
	}
}

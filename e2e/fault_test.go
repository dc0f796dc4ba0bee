package e2e

import (
	"testing"
	"time"

	"github.com/poolbench/poolbench/harness"
)

// TestSweepThroughFaultProxy runs points under Sweep.Fault against a
// "poolbench serve" child and checks that each fault shows up in what the
// harness measures: latency as a lower bound on every successful
// request's latency, reset_peer as every request failing with a reset,
// timeout as every request failing with a timeout.
func TestSweepThroughFaultProxy(t *testing.T) {
	d := echoServerDesign(t)
	// A request's deadline: 50ms, inside the 200ms window, so that timeout
	// shows; 500ms for the others, which at 50ms timed out some requests
	// through latency=10ms and reset_peer at load average 25 on 2 cores.
	const short, long = 50 * time.Millisecond, 500 * time.Millisecond
	for _, tc := range []struct {
		spec      string
		fail      harness.Class // -1: every request succeeds
		opTimeout time.Duration
	}{
		{"none", -1, long},
		{"latency=10ms", -1, long},
		{"reset_peer", harness.Reset, long},
		{"timeout", harness.Timeout, short},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			s := &harness.Sweep{
				Servers: []harness.Server{{Name: d.Name, Protocol: d.Protocol, Loops: 1, Launch: harness.Process{
					Path: poolbench, Args: []string{"serve", "-design", d.Name, "-addr", "127.0.0.1:0", "-loops", "1"},
				}}},
				Pools:    registeredPools()[:1],
				Settings: oneLevel(2, 0, 200*time.Millisecond, tc.opTimeout),
				Fault:    tc.spec,
			}
			res, err := s.Run(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			pt := res.Points[0]
			t.Logf("%s: %d ok, p50 %v, %v", tc.spec, pt.Requests, pt.Latency.P50, pt.Errors)
			if tc.fail < 0 {
				if pt.Requests == 0 || pt.Errors.Total() != 0 {
					t.Fatalf("%d ok, %v; want only successes", pt.Requests, pt.Errors)
				}
				if tc.spec == "latency=10ms" && pt.Latency.P50 < 10*time.Millisecond {
					t.Errorf("p50 %v through latency=10ms, want >= 10ms", pt.Latency.P50)
				}
				return
			}
			if pt.Requests != 0 || pt.Errors.Total() == 0 || pt.Errors[tc.fail] != pt.Errors.Total() {
				t.Errorf("%d ok, %v; want every request to fail with %v", pt.Requests, pt.Errors, tc.fail)
			}
		})
	}
}

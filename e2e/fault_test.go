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
//
// Each point ends on the event it is about, within 10s: the faults that
// fail requests once requestsSeen requests have failed (the proxy's first
// resets or timeouts), the others once as many in a row have succeeded.
func TestSweepThroughFaultProxy(t *testing.T) {
	d := echoServerDesign(t)
	// A request's deadline: 50ms under the timeout fault, so that it
	// shows; 2s for the others, whose requests must all succeed or reset
	// (at 50ms, at load average 25-33, latency=10ms and reset_peer timed
	// out some requests; the window no longer bounds a request's time).
	const short, long = 50 * time.Millisecond, 2 * time.Second
	const requestsSeen = 16
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
				Settings: oneLevel(2, 0, 10*time.Second, tc.opTimeout),
				Fault:    tc.spec,
			}
			if tc.fail < 0 {
				endOnEvent(s, afterSuccesses(requestsSeen, nil))
			} else {
				endOnEvent(s, afterFailures(requestsSeen, nil))
			}
			pt := runSweep(t, s).Points[0]
			t.Logf("%s: %d ok, p50 %v, %v in %v", tc.spec, pt.Requests, pt.Latency.P50, pt.Errors, pt.Window.Round(time.Millisecond))
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

package e2e

import (
	"testing"
	"time"

	"github.com/poolbench/poolbench/harness"
)

// TestRestartIdleEveryPool runs restart while idle once per registered
// pool design against a real "poolbench serve" child: 8 workers fill the
// pool, go quiet, the server is killed and relaunched on the same port,
// and the load resumes. For every pool, each request that failed after the
// resume is a stale conn it handed out (failures = stale conns: nothing
// else fails), the pool recovers (requests succeed after the resume), and
// recovering takes dials. Which pools hand out stale conns at all is the
// scenario's finding, logged here and written by make scenarios; the unit
// test in harness asserts the two kinds apart (a pool with the dead-peer
// check at 0, fatih at one failure per idle conn).
func TestRestartIdleEveryPool(t *testing.T) {
	d := echoServerDesign(t)
	srv := harness.Process{Path: poolbench, Args: []string{"serve", "-design", d.Name, "-addr", "127.0.0.1:0", "-loops", "1"}}
	anyStale, anyClean := false, false
	for _, pd := range registeredPools() {
		r := harness.IdleRestart{Server: srv, Protocol: d.Protocol, New: pd.New, Workers: 8,
			Fill: 100 * time.Millisecond, Resume: 150 * time.Millisecond, OpTimeout: time.Second}
		res, err := r.Run(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", pd.Name, err)
		}
		t.Logf("%s: %+v", pd.Name, res)
		if res.Failures != res.Stale {
			t.Errorf("%s: %d failures after the resume but %d stale conns handed out; every failure should be a stale conn's", pd.Name, res.Failures, res.Stale)
		}
		if res.OK == 0 || res.Dials == 0 {
			t.Errorf("%s did not recover: %d requests succeeded and %d dials after the resume", pd.Name, res.OK, res.Dials)
		}
		anyStale = anyStale || res.Stale > 0
		anyClean = anyClean || res.Stale == 0
	}
	if !anyStale || !anyClean {
		t.Errorf("no pool handed out a stale conn (%v) or none skipped them all (%v): the scenario tells no pool apart", anyStale, anyClean)
	}
}

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/harness"
)

// TestRestartIdleEveryPool runs restart while idle once per registered
// pool design against a real "poolbench serve" child, as a Sweep under
// Restart.Idle: 8 workers fill the pool, go quiet, the server is killed
// and relaunched on the same port, and the load resumes. For every pool,
// each request that failed after the resume is a stale conn it handed out
// (failures = stale conns: nothing else fails), the pool recovers
// (requests succeed after the resume), and recovering takes dials. Which
// pools hand out stale conns at all is the scenario's finding, logged
// here and written by make scenarios; the unit test in harness asserts
// the two kinds apart (a pool with the dead-peer check at 0, fatih at one
// failure per idle conn).
func TestRestartIdleEveryPool(t *testing.T) {
	d := echoServerDesign(t)
	srv := harness.Process{Path: poolbench, Args: []string{"serve", "-design", d.Name, "-addr", "127.0.0.1:0", "-loops", "1"}}
	pools := registeredPools()
	s := &harness.Sweep{
		Servers: []harness.Server{{Name: d.Name, Protocol: d.Protocol, Launch: srv}},
		Pools:   pools,
		Settings: harness.Settings{Workers: []int{8}, MaxConns: []int{harness.Auto}, Duration: 150 * time.Millisecond,
			Count: 1, Size: harness.DefaultSize, OpTimeout: time.Second},
		Restart: harness.Restart{At: 100 * time.Millisecond, Idle: true},
	}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Idle) != len(pools) {
		t.Fatalf("%d restart-while-idle points for %d pools", len(res.Idle), len(pools))
	}
	anyStale, anyClean := false, false
	for _, pt := range res.Idle {
		t.Logf("%s: %+v", pt.Pool, pt.IdleRestartResult)
		if pt.Failures != pt.Stale {
			t.Errorf("%s: %d failures after the resume but %d stale conns handed out; every failure should be a stale conn's", pt.Pool, pt.Failures, pt.Stale)
		}
		if pt.OK == 0 || pt.Dials == 0 {
			t.Errorf("%s did not recover: %d requests succeeded and %d dials after the resume", pt.Pool, pt.OK, pt.Dials)
		}
		anyStale = anyStale || pt.Stale > 0
		anyClean = anyClean || pt.Stale == 0
	}
	if !anyStale || !anyClean {
		t.Errorf("no pool handed out a stale conn (%v) or none skipped them all (%v): the scenario tells no pool apart", anyStale, anyClean)
	}
}

// TestScenariosOutCheck runs restart while idle and a cold burst into -out
// twice: the same configuration again replaces the file, another
// (-duration 200ms) is refused before the run with exit 2, the file
// untouched.
func TestScenariosOutCheck(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "scenarios.txt")
	args := []string{"sweep", "-servers", "net", "-pools", "ring", "-conns", "2", "-restart", "50ms", "-restart-idle",
		"-duration", "100ms", "-cold-burst", "4", "-dial-delays", "1ms", "-count", "1", "-out", out}
	for run := 1; run <= 2; run++ {
		if r := runPoolbench(t, dir, args...); r.code != 0 {
			t.Fatalf("run %d: exit %d\n%s", run, r.code, r.stderr)
		}
	}
	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"BenchmarkRestartIdle/server=net/pool=ring/maxconns=2/workers=2-", "BenchmarkColdBurst/server=net/pool=ring/maxconns=2/burst=8/dial=1ms-", "duration: 100ms", "restart: 50ms"} {
		if !strings.Contains(string(before), name) {
			t.Errorf("%s lacks %q:\n%s", out, name, before)
		}
	}
	r := runPoolbench(t, dir, append(args, "-duration", "200ms")...)
	if r.code != 2 || !strings.Contains(r.stderr, "holds results of another configuration") || !strings.Contains(r.stderr, "duration is 100ms there, 200ms in this run") {
		t.Errorf("another configuration: exit %d, want 2 naming the duration\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "restart-idle net/") {
		t.Errorf("the refused sweep ran points:\n%s", r.stderr)
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Errorf("the refused sweep changed %s", out)
	}
}

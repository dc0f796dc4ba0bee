package harness

import (
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/server"
)

// TestIdleRestartSeparatesPools runs the restart-while-idle scenario on a
// pool whose Get peeks at idle conns (mutexlist) and on one that does not
// (fatih): the first hands out no stale conn and no request fails; the
// second hands out every idle conn once, and each of those requests fails.
func TestIdleRestartSeparatesPools(t *testing.T) {
	const workers = 4
	for _, tc := range []struct {
		pool    string
		checked bool
	}{{"mutexlist", true}, {"fatih", false}} {
		t.Run(tc.pool, func(t *testing.T) {
			pd, err := impls.LookupPool(tc.pool)
			if err != nil {
				t.Fatal(err)
			}
			r := IdleRestart{
				Server: childProcess(server.Echo), Protocol: server.Echo, New: pd.New,
				Workers: workers, Fill: 100 * time.Millisecond, Resume: 200 * time.Millisecond,
				OpTimeout: 2 * time.Second,
			}
			res, err := r.Run(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %+v", tc.pool, res)
			if res.Idle < 1 || res.Idle > workers {
				t.Fatalf("%d conns idle at the kill, want 1 to %d", res.Idle, workers)
			}
			if res.OK == 0 || res.FirstOK <= 0 {
				t.Errorf("no request succeeded after the resume: %+v", res)
			}
			if res.Dials < 1 {
				t.Errorf("%d dials after the resume; every conn was stale, so recovering needs at least one", res.Dials)
			}
			if tc.checked {
				if res.Failures != 0 || res.Stale != 0 {
					t.Errorf("pool with the dead-peer check: %d failures, %d stale conns handed out; want 0 and 0", res.Failures, res.Stale)
				}
				return
			}
			if res.Stale == 0 || res.Failures != res.Stale {
				t.Errorf("pool without the check: %d failures, %d stale conns handed out; want failures = stale > 0", res.Failures, res.Stale)
			}
			if res.Stale != int64(res.Idle) {
				t.Errorf("%d stale conns handed out of %d idle at the kill; a pool without the check hands out each once", res.Stale, res.Idle)
			}
		})
	}
}

func TestIdleRestartRejects(t *testing.T) {
	pd, _ := impls.LookupPool("mutexlist")
	ok := IdleRestart{Server: childProcess(server.Echo), Protocol: server.Echo, New: pd.New, Workers: 1, Fill: time.Millisecond, Resume: time.Millisecond}
	for name, r := range map[string]IdleRestart{
		"no pool":    func() IdleRestart { r := ok; r.New = nil; return r }(),
		"no workers": func() IdleRestart { r := ok; r.Workers = 0; return r }(),
		"no fill":    func() IdleRestart { r := ok; r.Fill = 0; return r }(),
		"no -addr":   func() IdleRestart { r := ok; r.Server.Args = nil; return r }(),
	} {
		if _, err := r.Run(t.Context()); err == nil {
			t.Errorf("%s: Run succeeded, want an error", name)
		}
	}
}

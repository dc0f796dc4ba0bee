package harness

import (
	"errors"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/server"
)

// lookupPools returns the named registered pool designs as values.
func lookupPools(t *testing.T, names ...string) []Pool {
	t.Helper()
	var pools []Pool
	for _, name := range names {
		pd, err := impls.LookupPool(name)
		if err != nil {
			t.Fatal(err)
		}
		pools = append(pools, Pool{Name: pd.Name, New: pd.New})
	}
	return pools
}

// idleSweep is a sweep of restart while idle at 4 workers on a child
// server: load 100ms, quiet, kill and relaunch, resume 200ms.
func idleSweep(pools []Pool) *Sweep {
	return &Sweep{
		Servers: []Server{{Name: "child", Protocol: server.Echo, Launch: childProcess(server.Echo)}},
		Pools:   pools,
		Settings: Settings{Workers: []int{4}, MaxConns: []int{Auto}, Duration: 200 * time.Millisecond,
			Count: 1, Size: DefaultSize, OpTimeout: 2 * time.Second},
		Restart: Restart{At: 100 * time.Millisecond, Idle: true},
	}
}

// TestIdleRestartSeparatesPools runs restart while idle on a pool whose
// Get peeks at idle conns (mutexlist) and on one that does not (fatih):
// the first hands out no stale conn and no request fails; the second
// hands out every idle conn once, and each of those requests fails.
func TestIdleRestartSeparatesPools(t *testing.T) {
	const workers = 4
	s := idleSweep(lookupPools(t, "mutexlist", "fatih"))
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Idle) != 2 || len(res.Points) != 0 || len(res.Burst) != 0 {
		t.Fatalf("%d restart-while-idle, %d echo, %d cold-burst points; want 2, 0, 0", len(res.Idle), len(res.Points), len(res.Burst))
	}
	for _, pt := range res.Idle {
		t.Logf("%s: %+v", pt.Pool, pt)
		if pt.Workers != workers || pt.MaxConns != workers || pt.Rep != 1 {
			t.Errorf("%s: workers %d, maxconns %d, rep %d; want %d, %d, 1", pt.Pool, pt.Workers, pt.MaxConns, pt.Rep, workers, workers)
		}
		if pt.Idle < 1 || pt.Idle > workers {
			t.Fatalf("%s: %d conns idle at the kill, want 1 to %d", pt.Pool, pt.Idle, workers)
		}
		if pt.OK == 0 || pt.FirstOK <= 0 {
			t.Errorf("%s: no request succeeded after the resume: %+v", pt.Pool, pt)
		}
		if pt.Dials < 1 {
			t.Errorf("%s: %d dials after the resume; every conn was stale, so recovering needs at least one", pt.Pool, pt.Dials)
		}
		if pt.Pool == "mutexlist" {
			if pt.Failures != 0 || pt.Stale != 0 {
				t.Errorf("pool with the dead-peer check: %d failures, %d stale conns handed out; want 0 and 0", pt.Failures, pt.Stale)
			}
			continue
		}
		if pt.Stale == 0 || pt.Failures != pt.Stale {
			t.Errorf("pool without the check: %d failures, %d stale conns handed out; want failures = stale > 0", pt.Failures, pt.Stale)
		}
		if pt.Stale != int64(pt.Idle) {
			t.Errorf("%d stale conns handed out of %d idle at the kill; a pool without the check hands out each once", pt.Stale, pt.Idle)
		}
	}
}

// TestIdleRestartRejects checks that Validate refuses a restart while idle
// it cannot carry out, naming the field.
func TestIdleRestartRejects(t *testing.T) {
	pools := lookupPools(t, "mutexlist")
	assertRejects(t, func() *Sweep { return idleSweep(pools) }, map[string]rejection{
		"no fill":         {func(s *Sweep) { s.Restart.At = 0 }, "Restart.At"},
		"no -addr":        {func(s *Sweep) { p := s.Servers[0].Launch.(Process); p.Args = nil; s.Servers[0].Launch = p }, "Restart.At"},
		"external server": {func(s *Sweep) { s.Servers[0].Launch = External("127.0.0.1:1") }, "Restart.At"},
		"fault":           {func(s *Sweep) { s.Fault = "latency=1ms" }, "Fault"},
		"open loop":       {func(s *Sweep) { s.Rate = 100 }, "Rate"},
		"too many":        {func(s *Sweep) { s.Servers[0].EventLoop = true; s.Workers = []int{MaxConnsThreaded + 1} }, "Workers"},
	})
}

// rejection is a change to a valid sweep and the field Validate must name.
type rejection struct {
	change func(*Sweep)
	field  string
}

// assertRejects applies each change to a fresh valid sweep and checks that
// Validate names the field.
func assertRejects(t *testing.T, valid func() *Sweep, cases map[string]rejection) {
	t.Helper()
	if err := valid().Validate(); err != nil {
		t.Fatalf("the valid sweep: %v", err)
	}
	for name, tc := range cases {
		s := valid()
		tc.change(s)
		var fe *FieldError
		if err := s.Validate(); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: Validate() = %v, want an error on field %s", name, err, tc.field)
		}
	}
}

package harness

import (
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/server"
)

// burstSweep is a sweep of cold bursts: 16 Gets at once on empty pools of 4
// conns whose dials each take 5ms, on the server at addr.
func burstSweep(addr string, pools []Pool) *Sweep {
	return &Sweep{
		Servers: []Server{{Name: "raw", Protocol: server.Echo, Launch: External(addr)}},
		Pools:   pools,
		Settings: Settings{Workers: []int{4}, MaxConns: []int{Auto}, Duration: time.Millisecond,
			Count: 1, Size: DefaultSize, OpTimeout: 2 * time.Second},
		ColdBurst: ColdBurst{Factor: 4, DialDelays: []time.Duration{5 * time.Millisecond}},
	}
}

// TestColdBurst releases 16 Gets at once on empty pools of 4 conns whose
// dials each take 5ms: a pool that keeps its cap (mutexlist) never has more
// than 4 dials in flight and serves all 16 with 4 dials; fatih/pool, which
// dials whenever it has no idle conn, goes past the cap.
func TestColdBurst(t *testing.T) {
	const maxConns, burst, delay = 4, 16, 5 * time.Millisecond
	srv := startTestServer(t, server.Echo, faultNone)
	res, err := burstSweep(srv.Addr(), lookupPools(t, "mutexlist", "fatih")).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Burst) != 2 || len(res.Points) != 0 {
		t.Fatalf("%d cold bursts and %d echo points, want 2 and 0", len(res.Burst), len(res.Points))
	}
	for _, pt := range res.Burst {
		t.Logf("%s: %+v", pt.Pool, pt)
		if pt.MaxConns != maxConns || pt.Burst != burst || pt.DialDelay != delay {
			t.Errorf("%s: maxconns %d, burst %d, dial %v; want %d, %d, %v", pt.Pool, pt.MaxConns, pt.Burst, pt.DialDelay, maxConns, burst, delay)
		}
		if pt.Failures != 0 {
			t.Errorf("%s: %d of %d requests failed", pt.Pool, pt.Failures, burst)
		}
		if pt.Served < delay || pt.AcquireMax < delay || pt.AcquireP99 > pt.AcquireMax {
			t.Errorf("%s: served in %v, acquire p99 %v max %v: every caller waits at least one %v dial, p99 <= max",
				pt.Pool, pt.Served, pt.AcquireP99, pt.AcquireMax, delay)
		}
		if pt.PeakDials < 1 || pt.PeakDials > pt.Dials {
			t.Errorf("%s: peak %d dials in flight of %d dials", pt.Pool, pt.PeakDials, pt.Dials)
		}
		if pt.Pool == "mutexlist" {
			if pt.OverCap(maxConns) || pt.Dials != maxConns {
				t.Errorf("capped pool: peak %d dials in flight, %d dials; want <= %d and exactly %d", pt.PeakDials, pt.Dials, maxConns, maxConns)
			}
			continue
		}
		if !pt.OverCap(maxConns) {
			t.Errorf("fatih/pool dials on every Get without an idle conn; peak %d dials in flight, want > %d", pt.PeakDials, maxConns)
		}
	}
}

// TestColdBurstRejects checks that Validate refuses a cold burst it cannot
// carry out, naming the field.
func TestColdBurstRejects(t *testing.T) {
	pools := lookupPools(t, "mutexlist")
	assertRejects(t, func() *Sweep { return burstSweep("127.0.0.1:1", pools) }, map[string]rejection{
		"small factor":    {func(s *Sweep) { s.ColdBurst.Factor = 3 }, "ColdBurst"},
		"no delays":       {func(s *Sweep) { s.ColdBurst.DialDelays = nil }, "ColdBurst"},
		"negative delay":  {func(s *Sweep) { s.ColdBurst.DialDelays = []time.Duration{-time.Millisecond} }, "ColdBurst.DialDelays"},
		"slow dial":       {func(s *Sweep) { s.ColdBurst.DialDelays = []time.Duration{2 * MaxDialDelay} }, "ColdBurst.DialDelays"},
		"too many":        {func(s *Sweep) { s.Workers = []int{MaxConnsThreaded/4 + 1} }, "ColdBurst"},
		"restart at load": {func(s *Sweep) { s.Restart.At = time.Millisecond }, "Restart.At"},
		"shards":          {func(s *Sweep) { s.Shard = Shard{Index: 0, Of: 2} }, "Shard"},
	})
}

package harness

import (
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/server"
)

// TestColdBurst releases 16 Gets at once on empty pools of 4 conns whose
// dials each take 5ms: a pool that keeps its cap (mutexlist) never has more
// than 4 dials in flight and serves all 16 with 4 dials; fatih/pool, which
// dials whenever it has no idle conn, goes past the cap.
func TestColdBurst(t *testing.T) {
	const maxConns, burst, delay = 4, 16, 5 * time.Millisecond
	srv := startTestServer(t, server.Echo, faultNone)
	for _, tc := range []struct {
		pool   string
		capped bool
	}{{"mutexlist", true}, {"fatih", false}} {
		t.Run(tc.pool, func(t *testing.T) {
			pd, err := impls.LookupPool(tc.pool)
			if err != nil {
				t.Fatal(err)
			}
			b := ColdBurst{Launch: External(srv.Addr()), Protocol: server.Echo, New: pd.New,
				MaxConns: maxConns, Burst: burst, DialDelay: delay, OpTimeout: 2 * time.Second}
			res, err := b.Run(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %+v", tc.pool, res)
			if res.Failures != 0 {
				t.Errorf("%d of %d requests failed", res.Failures, burst)
			}
			if res.Served < delay || res.AcquireMax < delay || res.AcquireP99 > res.AcquireMax {
				t.Errorf("served in %v, acquire p99 %v max %v: every caller waits at least one %v dial, p99 <= max",
					res.Served, res.AcquireP99, res.AcquireMax, delay)
			}
			if res.PeakDials < 1 || res.PeakDials > res.Dials {
				t.Errorf("peak %d dials in flight of %d dials", res.PeakDials, res.Dials)
			}
			if tc.capped {
				if res.OverCap(maxConns) || res.Dials != maxConns {
					t.Errorf("capped pool: peak %d dials in flight, %d dials; want <= %d and exactly %d", res.PeakDials, res.Dials, maxConns, maxConns)
				}
				return
			}
			if !res.OverCap(maxConns) {
				t.Errorf("fatih/pool dials on every Get without an idle conn; peak %d dials in flight, want > %d", res.PeakDials, maxConns)
			}
		})
	}
}

package harness

import (
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/verdict"
)

// TestSweepDecide runs 8 workers against pools of 2 conns (W/M = 4) with
// Decide: after the 6 repetitions, only the leaders of a question whose
// verdict is unsettled run again, interleaved, never past the cap, and
// every extra point is kept in the results.
func TestSweepDecide(t *testing.T) {
	echo := startTestServer(t, server.Echo, faultNone)
	var pools []Pool
	for _, name := range []string{"mutexlist", "fatih"} {
		pd, err := impls.LookupPool(name)
		if err != nil {
			t.Fatal(err)
		}
		pools = append(pools, Pool{Name: pd.Name, New: pd.New})
	}
	s := &Sweep{
		Servers: []Server{{Name: "raw", Protocol: server.Echo, Launch: inProcess{echo}}},
		Pools:   pools,
		Settings: Settings{
			Workers: []int{8}, MaxConns: []int{2},
			Duration: 30 * time.Millisecond, Warmup: 10 * time.Millisecond, Count: verdict.MinReps,
			Size: DefaultSize, OpTimeout: DefaultOpTimeout,
		},
		Decide: verdict.Cap{Reps: 9},
	}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	reps := map[string][]float64{}
	for _, pt := range res.Points {
		v, _ := headline(pt)
		reps[pt.Pool] = append(reps[pt.Pool], v)
	}
	for pool, vs := range reps {
		if len(vs) < verdict.MinReps || len(vs) > 9 {
			t.Errorf("%s ran %d times, want 6 to 9 (count 6, cap 9)", pool, len(vs))
		}
	}
	v := verdict.Decide(verdict.Lower, []verdict.Sample{{Name: "mutexlist", Values: reps["mutexlist"]}, {Name: "fatih", Values: reps["fatih"]}})
	extra := len(res.Points) - 2*verdict.MinReps
	t.Logf("wait p99 verdict after %d extra points: %s; %+v", extra, v.Status(true), v.Ranked)
	if !v.Settled() && len(reps["mutexlist"]) < 9 && len(reps["fatih"]) < 9 {
		t.Errorf("unsettled verdict stopped before the cap: %d and %d repetitions", len(reps["mutexlist"]), len(reps["fatih"]))
	}
	if v.Settled() && extra > 0 && len(reps[v.Ranked[len(v.Ranked)-1].Name]) > len(reps[v.Ranked[0].Name]) {
		t.Errorf("the worst design, told apart, ran more than the best")
	}
}

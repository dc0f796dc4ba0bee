package bench

import (
	"flag"
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/peers/fatih"
	"github.com/poolbench/poolbench/impls/pool"
)

// TestMain checks for leaked goroutines. It ignores those running before
// the tests start: the registry imports server designs whose libraries start
// goroutines in init (gnet's ants worker pool), which no test here owns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

// smokeRuns is how many Get+Put cycles TestBenchmarkPoolRows runs per row.
const smokeRuns = 200

// TestBenchmarkPoolRows runs every row of BenchmarkPool for a fixed, small
// number of cycles (it asserts behaviour, never speed): each row completes
// its cycles without an error and within MaxConns, an exhausted row reports
// one wait per Get, and only an exhausted row of a pool that dials past
// MaxConns is skipped.
func TestBenchmarkPoolRows(t *testing.T) {
	setBenchtime(t, "200x")
	for _, d := range designs() {
		for _, sc := range scenarios {
			t.Run(d.name+"/"+sc.name, func(t *testing.T) {
				var skip string
				var err error
				r := testing.Benchmark(func(b *testing.B) {
					if skip, err = runScenario(b, d, sc); skip != "" {
						b.Skip(skip)
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				if skip != "" {
					if e, _ := exhaustionOf(d); !sc.exhausted || e != dialsPastCap {
						t.Fatalf("row skipped though the pool is exhausted by it: %s", skip)
					}
					t.Logf("row skipped as designed: %s", skip)
					return
				}
				if r.N != smokeRuns {
					t.Fatalf("ran %d cycles, want %d", r.N, smokeRuns)
				}
				p99, hasP99 := r.Extra["p99-wait-ns"]
				longest, hasMax := r.Extra["max-wait-ns"]
				switch {
				case sc.exhausted && (!hasP99 || !hasMax):
					t.Fatalf("exhausted row reported %v, want p99-wait-ns and max-wait-ns", r.Extra)
				case sc.exhausted && (p99 <= 0 || longest < p99):
					t.Fatalf("p99 wait %v ns and max wait %v ns: want 0 < p99 <= max", p99, longest)
				case !sc.exhausted && (hasP99 || hasMax):
					t.Fatalf("uncontended row reported wait metrics %v", r.Extra)
				}
			})
		}
	}
}

// TestProbeExhaustion checks the probe on the three behaviours it tells
// apart, and that a fail-fast pool's exhausted rows run, retrying its Gets.
func TestProbeExhaustion(t *testing.T) {
	failFast := func(cfg pool.Config) (pool.Pool, error) {
		p, err := newFloor(cfg)
		if err == nil {
			p.(*floor).failFast = true
		}
		return p, err
	}
	for _, tc := range []struct {
		name    string
		newPool func(pool.Config) (pool.Pool, error)
		want    exhaustion
	}{
		{"floor", newFloor, waits},
		{"floor-failfast", failFast, failsFast},
		{"fatih", fatih.New, dialsPastCap},
	} {
		got, err := probeExhaustion(tc.newPool)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s: probe says it %v, want %v", tc.name, got, tc.want)
		}
	}

	setBenchtime(t, "200x")
	d := design{name: "floor-failfast", new: failFast}
	for _, sc := range scenarios {
		var skip string
		var err error
		r := testing.Benchmark(func(b *testing.B) { skip, err = runScenario(b, d, sc) })
		if err != nil || skip != "" || r.N != smokeRuns {
			t.Errorf("%s: a fail-fast pool ran %d cycles (skip %q, error %v), want %d retried to success",
				sc.name, r.N, skip, err, smokeRuns)
		}
	}
}

// setBenchtime sets -test.benchtime, which testing.Benchmark reads, for the
// rest of t.
func setBenchtime(t *testing.T, v string) {
	t.Helper()
	f := flag.Lookup("test.benchtime")
	old := f.Value.String()
	if err := f.Value.Set(v); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Value.Set(old) })
}

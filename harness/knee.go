package harness

import (
	"maps"
	"slices"
	"time"

	"github.com/poolbench/poolbench/results"
)

// Knee is the saturation knee of one server and pool design, over the
// points whose pool never makes a worker wait (MaxConns = Workers).
type Knee struct {
	Server, Pool string
	Workers      int  // the knee's worker level, when Found
	Found        bool // false: no knee within the levels swept
	MaxWorkers   int  // the highest level swept
}

// Knees finds the knee of every (server, pool) in points
// (results.FindKnee), from the median req/s and median p99 of each level
// over its repetitions.
func Knees(points []Point) []Knee {
	type key struct{ server, pool string }
	var order []key
	byKey := map[key]map[int][]Point{}
	for _, p := range points {
		// A sizes sweep's points are about bytes, not the concurrency
		// knee, and mixing their sizes would find none that means anything.
		if p.MaxConns != p.Workers || p.Size > 0 {
			continue
		}
		k := key{p.Server, p.Pool}
		if byKey[k] == nil {
			byKey[k] = map[int][]Point{}
			order = append(order, k)
		}
		byKey[k][p.Workers] = append(byKey[k][p.Workers], p)
	}
	var knees []Knee
	for _, k := range order {
		workers := slices.Sorted(maps.Keys(byKey[k]))
		levels := make([]results.Level, len(workers))
		for i, w := range workers {
			reps := byKey[k][w]
			levels[i] = results.Level{
				Workers:   w,
				ReqPerSec: median(reps, func(p Point) float64 { return p.ReqPerSec() }),
				P99:       time.Duration(median(reps, func(p Point) float64 { return float64(p.Latency.P99) })),
			}
		}
		w, ok := results.FindKnee(levels)
		knees = append(knees, Knee{Server: k.server, Pool: k.pool, Workers: w, Found: ok, MaxWorkers: workers[len(workers)-1]})
	}
	return knees
}

// median returns the median of f over ps (the mean of the middle two for
// an even count).
func median(ps []Point, f func(Point) float64) float64 {
	v := make([]float64, len(ps))
	for i, p := range ps {
		v[i] = f(p)
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

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

// kneeSample is what the knee of its (server, pool) needs of one echo
// point whose pool is as large as its workers: a sweep keeps this much of
// every point it has written.
type kneeSample struct {
	server, pool string
	workers      int
	reqPerSec    float64
	p99          time.Duration
}

// Knees finds the knee of every (server, pool) in points
// (results.FindKnee), from the median req/s and median p99 of each level
// over its repetitions.
func Knees(points []Point) []Knee {
	var samples []kneeSample
	for _, p := range points {
		if k, ok := kneeOf(p); ok {
			samples = append(samples, k)
		}
	}
	return kneesOf(samples)
}

// kneeOf is p's knee sample; false when its pool is smaller than its
// workers, where the knee is not looked for, or when it is a point of a
// sizes sweep: those are about bytes, not the concurrency knee, and mixing
// their sizes would find none that means anything.
func kneeOf(p Point) (kneeSample, bool) {
	return kneeSample{p.Server, p.Pool, p.Workers, p.ReqPerSec(), p.Latency.P99}, p.MaxConns == p.Workers && p.Size == 0
}

func kneesOf(samples []kneeSample) []Knee {
	type key struct{ server, pool string }
	var order []key
	byKey := map[key]map[int][]kneeSample{}
	for _, p := range samples {
		k := key{p.server, p.pool}
		if byKey[k] == nil {
			byKey[k] = map[int][]kneeSample{}
			order = append(order, k)
		}
		byKey[k][p.workers] = append(byKey[k][p.workers], p)
	}
	var knees []Knee
	for _, k := range order {
		workers := slices.Sorted(maps.Keys(byKey[k]))
		levels := make([]results.Level, len(workers))
		for i, w := range workers {
			reps := byKey[k][w]
			levels[i] = results.Level{
				Workers:   w,
				ReqPerSec: median(reps, func(p kneeSample) float64 { return p.reqPerSec }),
				P99:       time.Duration(median(reps, func(p kneeSample) float64 { return float64(p.p99) })),
			}
		}
		w, ok := results.FindKnee(levels)
		knees = append(knees, Knee{Server: k.server, Pool: k.pool, Workers: w, Found: ok, MaxWorkers: workers[len(workers)-1]})
	}
	return knees
}

// median returns the median of f over ps (the mean of the middle two for
// an even count).
func median(ps []kneeSample, f func(kneeSample) float64) float64 {
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

package harness

import (
	"maps"
	"slices"
	"time"
)

// KneeGrowth is the req/s growth below which more concurrency counts as
// buying nothing: the knee is where every higher level stays within it.
const KneeGrowth = 0.05

// Level is one concurrency level's throughput and tail latency, the input
// of FindKnee.
type Level struct {
	Conns     int
	ReqPerSec float64
	P99       time.Duration
}

// FindKnee returns the saturation knee of levels, which must be sorted by
// Conns: the lowest level L beyond which req/s grows less than KneeGrowth
// while p99 keeps rising, that is, every higher level has req/s below
// (1+KneeGrowth) times L's and p99 above L's. ok is false when no level
// qualifies: throughput kept growing (or p99 did not rise) up to the
// highest level, or there are fewer than two levels.
func FindKnee(levels []Level) (conns int, ok bool) {
	for i := 0; i < len(levels)-1; i++ {
		l := levels[i]
		saturated := true
		for _, h := range levels[i+1:] {
			if h.ReqPerSec >= (1+KneeGrowth)*l.ReqPerSec || h.P99 <= l.P99 {
				saturated = false
				break
			}
		}
		if saturated {
			return l.Conns, true
		}
	}
	return 0, false
}

// Knee is the saturation knee of one server and pool design.
type Knee struct {
	Server, Pool string
	Conns        int  // the knee's concurrency level, when Found
	Found        bool // false: no knee within the levels swept
	MaxConns     int  // the highest level swept
}

// Knees finds the knee of every (server, pool) in points, from the median
// req/s and median p99 of each level over its repetitions.
func Knees(points []Point) []Knee {
	type key struct{ server, pool string }
	var order []key
	byKey := map[key]map[int][]Point{}
	for _, p := range points {
		k := key{p.Server, p.Pool}
		if byKey[k] == nil {
			byKey[k] = map[int][]Point{}
			order = append(order, k)
		}
		byKey[k][p.Conns] = append(byKey[k][p.Conns], p)
	}
	var knees []Knee
	for _, k := range order {
		conns := slices.Sorted(maps.Keys(byKey[k]))
		levels := make([]Level, len(conns))
		for i, c := range conns {
			reps := byKey[k][c]
			levels[i] = Level{
				Conns:     c,
				ReqPerSec: median(reps, func(p Point) float64 { return p.ReqPerSec() }),
				P99:       time.Duration(median(reps, func(p Point) float64 { return float64(p.Latency.P99) })),
			}
		}
		c, ok := FindKnee(levels)
		knees = append(knees, Knee{Server: k.server, Pool: k.pool, Conns: c, Found: ok, MaxConns: conns[len(conns)-1]})
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

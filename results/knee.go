package results

import "time"

// KneeGrowth is the req/s growth below which more workers count as buying
// nothing: the knee is where every higher level stays within it.
const KneeGrowth = 0.05

// Level is one worker level's throughput and tail latency, the input of
// FindKnee. The knee is part of the schema because two sides compute it
// from the same Echo points: the sweep's progress log and the report.
type Level struct {
	Workers   int
	ReqPerSec float64
	P99       time.Duration
}

// FindKnee returns the saturation knee of levels, which must be sorted by
// Workers: the lowest level L beyond which req/s grows less than
// KneeGrowth while p99 keeps rising, that is, every higher level has
// req/s below (1+KneeGrowth) times L's and p99 above L's. ok is false when
// no level qualifies: throughput kept growing (or p99 did not rise) up to
// the highest level, or there are fewer than two levels.
func FindKnee(levels []Level) (workers int, ok bool) {
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
			return l.Workers, true
		}
	}
	return 0, false
}

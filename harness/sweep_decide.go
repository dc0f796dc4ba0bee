package harness

import (
	"context"
	"math"

	"github.com/poolbench/poolbench/verdict"
)

// headline is the metric a sweep point is decided on: for a pool smaller
// than its workers the acquire-wait p99 (the wait tail, where hand-off
// order shows), for a pool as large as its workers, where no Get waits,
// the throughput. It is NaN for a point whose pool had not filled inside
// the window, which measured the fill and is not ranked.
func headline(pt Point) (float64, verdict.Better) {
	better := verdict.Higher
	if pt.Workers > pt.MaxConns {
		better = verdict.Lower
	}
	if pt.Unfilled() {
		return math.NaN(), better
	}
	if pt.Workers > pt.MaxConns {
		return float64(pt.Wait.P99), verdict.Lower
	}
	return pt.ReqPerSec(), verdict.Higher
}

// decide runs every trial Count times, interleaved (repetition 1 of every
// trial, then 2, ...; point k of that order at the shard's slot k), then,
// under Decide, repeats the undecided questions' leaders (see Sweep.Decide).
// A sharded sweep repeats nothing: its shards must run the same points.
func (s *Sweep) decide(ctx context.Context, trials []*trial, prog *progress) error {
	k := 0
	for range s.Count {
		for _, t := range trials {
			if err := t.once(ctx, s.Shard.slot(k, s.Warmup+s.Duration)); err != nil {
				return err
			}
			k++
		}
	}
	if s.Decide.Reps <= s.Count || s.Shard.sharded() {
		return nil
	}
	return repeatUndecided(ctx, trials, s.Decide, func() { prog.total++ })
}

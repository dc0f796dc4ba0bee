package harness

import (
	"context"
	"fmt"
	"math"
	"time"

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

// decide repeats the undecided points of res (see Sweep.Decide): for each
// question (server, pool size, workers) whose leading pools' intervals of
// the headline metric overlap, their points run again, interleaved, until
// the verdict is settled or the cap is reached. The repetitions are
// appended to res.Points.
func (s *Sweep) decide(ctx context.Context, res *Results, prog *progress) error {
	type key struct {
		server            string
		workers, maxConns int
	}
	byQ := map[key][]*trial{}
	var order []key
	trials := map[string]*trial{}
	for _, p := range s.plan() {
		if p.rep != 1 {
			continue
		}
		k := key{p.srv.Name, p.size.workers, p.size.maxConns}
		t := &trial{question: fmt.Sprintf("%s/%d/%d", k.server, k.maxConns, k.workers), design: p.pool.Name}
		p := p
		t.run = func(ctx context.Context, rep int) (float64, error) {
			p.rep = rep
			prog.total++                                     // a repetition beyond the plan
			pt, err := s.runPoint(ctx, p, prog, time.Time{}) // no start-at slot: Run skips deciding when sharded
			if err != nil {
				return 0, fmt.Errorf("%s/%s maxconns=%d workers=%d: %w", p.srv.Name, p.pool.Name, p.size.maxConns, p.size.workers, err)
			}
			if ctx.Err() == nil {
				res.Points = append(res.Points, pt)
				prog.point(pt, rep)
			}
			v, _ := headline(pt)
			return v, nil
		}
		if _, ok := byQ[k]; !ok {
			order = append(order, k)
		}
		byQ[k] = append(byQ[k], t)
		trials[t.question+"\x00"+t.design] = t
	}
	for _, pt := range res.Points {
		if t := trials[fmt.Sprintf("%s/%d/%d", pt.Server, pt.MaxConns, pt.Workers)+"\x00"+pt.Pool]; t != nil {
			t.runs++
			if v, _ := headline(pt); !math.IsNaN(v) {
				t.values = append(t.values, v)
			}
		}
	}
	// One time budget for both kinds of question.
	began := time.Now()
	for _, better := range []verdict.Better{verdict.Lower, verdict.Higher} {
		var ts []*trial
		for _, k := range order {
			if (k.workers > k.maxConns) == (better == verdict.Lower) {
				ts = append(ts, byQ[k]...)
			}
		}
		limit := s.Decide
		if limit.Time > 0 {
			if limit.Time -= time.Since(began); limit.Time <= 0 {
				return nil
			}
		}
		if _, err := decideLoop(ctx, ts, 0, better, limit); err != nil {
			return err
		}
	}
	return nil
}

package harness

import (
	"context"
	"math"
	"time"

	"github.com/poolbench/poolbench/verdict"
)

// trial is one planned point (a design at one question: an experiment,
// server and level) across its repetitions: run measures one repetition
// and returns its headline value.
type trial struct {
	point  planned // repetition 1; run gets a copy with its rep
	run    func(ctx context.Context, p planned, slot time.Time) (float64, error)
	values []float64
	// runs counts the repetitions run, including those whose value is
	// NaN (a point that measured nothing to decide on, such as a pool that
	// had not filled): the cap counts runs, the verdict values.
	runs int
	// capped is set when repeatUndecided stopped the trial's question
	// undecided at the cap.
	capped bool
}

// questionState is the state of one question's verdict after the runs.
type questionState struct {
	Verdict verdict.Verdict
	// CapReached is true when the question stopped undecided because the
	// repetition or time cap was reached.
	CapReached bool
}

// once runs t's next repetition at slot (zero: now). Its error is ctx's
// when ctx ended during the run.
func (t *trial) once(ctx context.Context, slot time.Time) error {
	p := t.point
	p.rep = t.runs + 1
	v, err := t.run(ctx, p, slot)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t.runs++
	if !math.IsNaN(v) {
		t.values = append(t.values, v)
	}
	return nil
}

// byQuestion groups trials by question, in the order questions first
// appear.
func byQuestion(trials []*trial) (order []string, groups map[string][]*trial) {
	groups = map[string][]*trial{}
	for _, t := range trials {
		q := t.point.questionKey()
		if _, ok := groups[q]; !ok {
			order = append(order, q)
		}
		groups[q] = append(groups[q], t)
	}
	return order, groups
}

// verdictOf decides one question over its trials.
func verdictOf(ts []*trial) verdict.Verdict {
	samples := make([]verdict.Sample, len(ts))
	for i, t := range ts {
		samples[i] = verdict.Sample{Name: t.point.pool.Name, Values: t.values}
	}
	return verdict.Decide(ts[0].point.better(), samples)
}

// repeatUndecided repeats the leaders (the best design and those tied with
// it) of every question whose verdict is not settled, interleaved, one
// more repetition per round, until each is settled or limit is reached. A
// verdict is settled when it is decided, or when its leaders are tied
// exactly (every repetition of each gave the same value), which more
// repetitions cannot change. before is called before each repetition.
func repeatUndecided(ctx context.Context, trials []*trial, limit verdict.Cap, before func()) error {
	began := time.Now()
	order, groups := byQuestion(trials)
	for {
		var again []*trial
		for _, q := range order {
			ts := groups[q]
			v := verdictOf(ts)
			if v.Settled() {
				continue
			}
			if limit.Reached(maxRuns(ts), began, time.Now()) {
				for _, t := range ts {
					t.capped = true
				}
				continue
			}
			for _, name := range v.Leaders() {
				for _, t := range ts {
					if t.point.pool.Name == name {
						again = append(again, t)
					}
				}
			}
		}
		if len(again) == 0 {
			return nil
		}
		for _, t := range again {
			before()
			if err := t.once(ctx, time.Time{}); err != nil {
				return err
			}
		}
	}
}

// questions lists every question's verdict, in the trials' order.
func questions(trials []*trial, limit verdict.Cap) []Question {
	order, groups := byQuestion(trials)
	qs := make([]Question, len(order))
	for i, q := range order {
		ts := groups[q]
		v := verdictOf(ts)
		qs[i] = Question{Scenario: ts[0].point.exp.String(), Key: q, questionState: questionState{
			Verdict:    v,
			CapReached: !v.Settled() && (ts[0].capped || maxRuns(ts) >= limit.Reps),
		}}
	}
	return qs
}

func maxRuns(ts []*trial) int {
	n := 0
	for _, t := range ts {
		n = max(n, t.runs)
	}
	return n
}

package harness

import (
	"context"
	"math"
	"time"

	"github.com/poolbench/poolbench/verdict"
)

// trial is one design's point of one question (a server, a level): run
// measures one repetition and returns its headline value.
type trial struct {
	question string
	design   string
	run      func(ctx context.Context, rep int) (float64, error)
	values   []float64
	// runs counts the repetitions run, including those whose value is
	// NaN (a point that measured nothing to decide on, such as a pool that
	// had not filled): the cap counts runs, the verdict values.
	runs int
}

// questionState is the state of one question's verdict after the runs.
type questionState struct {
	Verdict verdict.Verdict
	// CapReached is true when the question stopped undecided because the
	// repetition or time cap was reached.
	CapReached bool
}

// decideLoop runs every trial count times, interleaved (repetition 1 of
// every trial, then 2, ...), then repeats the leaders (the best design and
// those tied with it) of every question whose verdict is not settled,
// still interleaved, one more repetition per round, until each is settled
// or the cap is reached. A verdict is settled when it is decided, or when
// its leaders are tied exactly (every repetition of each gave the same
// value), which more repetitions cannot change.
func decideLoop(ctx context.Context, trials []*trial, count int, better verdict.Better, limit verdict.Cap) (map[string]questionState, error) {
	began := time.Now()
	for rep := 1; rep <= count; rep++ {
		for _, t := range trials {
			if err := t.once(ctx, rep); err != nil {
				return nil, err
			}
		}
	}
	states := map[string]questionState{}
	for {
		byQ := map[string][]*trial{}
		var order []string
		for _, t := range trials {
			if _, ok := byQ[t.question]; !ok {
				order = append(order, t.question)
			}
			byQ[t.question] = append(byQ[t.question], t)
		}
		var again []*trial
		for _, q := range order {
			ts := byQ[q]
			var samples []verdict.Sample
			for _, t := range ts {
				samples = append(samples, verdict.Sample{Name: t.design, Values: t.values})
			}
			v := verdict.Decide(better, samples)
			st := questionState{Verdict: v}
			if !v.Settled() {
				leaders := v.Leaders()
				reps := 0
				for _, t := range ts {
					reps = max(reps, t.runs)
				}
				if limit.Reached(reps, began, time.Now()) {
					st.CapReached = true
				} else {
					for _, t := range ts {
						for _, name := range leaders {
							if t.design == name {
								again = append(again, t)
							}
						}
					}
				}
			}
			states[q] = st
		}
		if len(again) == 0 {
			return states, nil
		}
		for _, t := range again {
			if err := t.once(ctx, t.runs+1); err != nil {
				return nil, err
			}
		}
	}
}

func (t *trial) once(ctx context.Context, rep int) error {
	v, err := t.run(ctx, rep)
	if err != nil {
		return err
	}
	t.runs++
	if !math.IsNaN(v) {
		t.values = append(t.values, v)
	}
	return ctx.Err()
}

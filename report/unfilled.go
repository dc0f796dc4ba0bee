package report

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"

	"github.com/poolbench/poolbench/results"
)

// unfilledOf reports, for an Echo result, the conns its pool reached and
// needed, and whether it fell short inside the window (results.Unfilled).
func unfilledOf(res *benchfmt.Result) (filled, need int, short bool) {
	ps := (&results.Set{Results: []*benchfmt.Result{res}}).Points(results.Echo)
	if len(ps) == 0 {
		return 0, 0, false
	}
	return results.Unfilled(ps[0])
}

// filled keeps the results whose pool reached the conns its point needed:
// the others measured the fill, not the design, and are never ranked.
func filled(res *benchfmt.Result) bool {
	_, _, short := unfilledOf(res)
	return !short
}

// fillNotes are the unfilled repetitions of a sweep's points, by server,
// pool and workers: how many there were, and the most conns any reached.
type fillNotes map[[3]string]*fillNote

type fillNote struct{ reps, filled, need int }

// newFillNotes collects the unfilled Echo results of in that keep (and the
// benchstat filter where) selects.
func newFillNotes(in *input, where string, keep func(*benchfmt.Result) bool) (fillNotes, error) {
	f, err := benchproc.NewFilter(".name:Echo " + where)
	if err != nil {
		return nil, err
	}
	notes := fillNotes{}
	for _, res := range in.set.Results {
		got, need, short := unfilledOf(res)
		if !short || keep != nil && !keep(res) {
			continue
		}
		if ok, _ := f.Apply(res.Clone()); !ok {
			continue
		}
		k := [3]string{nameKey(res, results.Server), nameKey(res, results.PoolKey), nameKey(res, results.Workers)}
		n := notes[k]
		if n == nil {
			n = &fillNote{need: need}
			notes[k] = n
		}
		n.reps++
		n.filled = max(n.filled, got)
	}
	return notes, nil
}

// text is the cell of an unfilled point: "filled 23 of 64 conns in the
// window", with how many repetitions when not all were.
func (n *fillNote) text(filledReps int) string {
	s := fmt.Sprintf("filled %d of %d conns in the window", n.filled, n.need)
	if filledReps > 0 {
		s = fmt.Sprintf("%d of %d repetitions %s at most", n.reps, n.reps+filledReps, s)
	}
	return s
}

// list names the unfilled points of notes for a sentence: "ring
// at 64 workers (filled 23 of 64 conns in the window)".
func (notes fillNotes) list(srv string) string {
	var out []string
	for k, n := range notes {
		if k[0] == srv {
			out = append(out, fmt.Sprintf("%s at %s workers (%s)", k[1], k[2], n.text(0)))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

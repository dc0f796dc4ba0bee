package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/poolbench/poolbench/results"
)

// kneeSpread is the knee of (srv, pool) found in each repetition on its
// own (results.FindKnee on the i-th value of every level), so that the
// report gives the knee as the range it moves in, not one unstable number.
// It returns the knees found, ascending, and the repetitions looked at.
func (sw *sweep) kneeSpread(srv, pool string) (knees []int, reps int) {
	reps = -1
	for _, w := range sw.workers {
		if atoi(w) <= 0 {
			continue
		}
		n := min(len(sw.c.cells[strings.Join([]string{srv, pool, w, unitRate}, "\x00")]),
			len(sw.c.cells[strings.Join([]string{srv, pool, w, unitP99}, "\x00")]))
		if n == 0 {
			continue
		}
		if reps < 0 || n < reps {
			reps = n
		}
	}
	for i := 0; i < reps; i++ {
		var levels []results.Level
		for _, w := range sw.workers {
			rate := sw.c.cells[strings.Join([]string{srv, pool, w, unitRate}, "\x00")]
			p99 := sw.c.cells[strings.Join([]string{srv, pool, w, unitP99}, "\x00")]
			if atoi(w) > 0 && i < len(rate) && i < len(p99) {
				levels = append(levels, results.Level{Workers: atoi(w), ReqPerSec: rate[i], P99: time.Duration(p99[i] * 1e9)})
			}
		}
		if k, ok := results.FindKnee(levels); ok {
			knees = append(knees, k)
		}
	}
	slices.Sort(knees)
	return knees, max(reps, 0)
}

// kneeSpreadText is "; per repetition 4 to 64 workers (5 of 6 found one)".
func (sw *sweep) kneeSpreadText(srv, pool string) string {
	knees, reps := sw.kneeSpread(srv, pool)
	switch {
	case reps < 2:
		return ""
	case len(knees) == 0:
		return fmt.Sprintf("; none in any of %d repetitions", reps)
	case knees[0] == knees[len(knees)-1]:
		return fmt.Sprintf("; %d workers in %d of %d repetitions", knees[0], len(knees), reps)
	}
	return fmt.Sprintf("; per repetition %d to %d workers (median %d; %d of %d found one)",
		knees[0], knees[len(knees)-1], knees[len(knees)/2], len(knees), reps)
}

package verdict

import (
	"strconv"
	"time"
)

// Cap bounds the repetitions spent on deciding: a point stops being
// repeated once its verdict is decided, it has Reps repetitions, or Time
// has passed since the first repetition began. "Not told apart" is then
// said with the repetition count behind it.
type Cap struct {
	Reps int           // the most repetitions of any point; at least MinReps
	Time time.Duration // the most wall time for all repetitions; 0 means no limit
}

// Reached reports whether a point with reps repetitions, started at
// began, may not be repeated again.
func (c Cap) Reached(reps int, began, now time.Time) bool {
	return reps >= c.Reps || c.Time > 0 && now.Sub(began) >= c.Time
}

// Status is a short phrase for a verdict in a table: "told apart" when
// decided, "tied exactly" when the leaders gave one value every time,
// otherwise why not: too few repetitions for an interval, or the
// cap reached with the repetitions it allowed.
func (v Verdict) Status(capReached bool) string {
	switch {
	case v.Decided:
		return "told apart"
	case v.ExactTie():
		return "tied exactly: every repetition gave " + strconv.FormatFloat(v.Ranked[0].Median, 'g', 4, 64)
	case len(v.Ranked) < 2:
		return "one design only"
	}
	for _, d := range v.Ranked {
		if !d.Finite() {
			return "too few repetitions for an interval"
		}
	}
	// The repetitions that count are the leaders': the best reached the
	// cap, a design that joined the tie late has fewer.
	n, least := v.Ranked[0].N, v.Ranked[0].N
	for _, d := range v.Tied {
		least = min(least, d.N)
	}
	reps := strconv.Itoa(n)
	if least < n {
		reps = strconv.Itoa(least) + " to " + reps
	}
	if capReached {
		return "not told apart after " + reps + " repetitions (cap)"
	}
	return "undecided after " + reps + " repetitions"
}

// Package verdict decides which design is best on one metric from the
// repetitions of each, the way benchstat summarises a sample: the median
// with its 95% interval (golang.org/x/perf/benchmath, assuming nothing of
// the distribution). It owns the rule "told apart": the best design's
// interval overlaps no other's. It knows nothing of pools, servers, result
// files or how the samples were measured; harness uses it to decide which
// points to repeat, report to write its verdict tables.
package verdict

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// Confidence is the level of every interval.
const Confidence = 0.95

// Better says which direction of a metric is good.
type Better int

const (
	Lower  Better = iota // latency, failures, dials: less is better
	Higher               // throughput, fairness: more is better
)

// BetterOf returns the direction of a unit's "better=" metadata: "higher"
// is Higher, anything else Lower, as benchstat reads it.
func BetterOf(s string) Better {
	if s == "higher" {
		return Higher
	}
	return Lower
}

// Design is one design's sample, summarised.
type Design struct {
	Name string
	N    int // repetitions behind the summary
	// Median, Lo and Hi are the median and its 95% interval; Lo and Hi are
	// infinite when N is too small for one (fewer than 6).
	Median, Lo, Hi float64
}

// Finite reports whether d has an interval.
func (d Design) Finite() bool { return !math.IsInf(d.Lo, 0) && !math.IsInf(d.Hi, 0) }

// Overlaps reports whether the intervals of d and e share a point.
func (d Design) Overlaps(e Design) bool { return d.Lo <= e.Hi && e.Lo <= d.Hi }

// String is "NAME MEDIAN [LO, HI] (n=N)".
func (d Design) String() string {
	return fmt.Sprintf("%s %.4g [%.4g, %.4g] (n=%d)", d.Name, d.Median, d.Lo, d.Hi, d.N)
}

// Verdict is the decision over the designs of one metric.
type Verdict struct {
	Better Better
	// Ranked holds every design with samples, best median first; ties in
	// the median keep the order the designs were given in.
	Ranked []Design
	// Tied are the designs, after the best, whose interval overlaps the
	// best's: the best is not told apart from them.
	Tied []Design
	// Decided is true when the best is told apart from every other design:
	// at least two designs, each with an interval, none tied with the best.
	Decided bool
}

// Best returns the design with the best median; ok is false when no
// design had samples.
func (v Verdict) Best() (d Design, ok bool) {
	if len(v.Ranked) == 0 {
		return Design{}, false
	}
	return v.Ranked[0], true
}

// Worst returns the design with the worst median.
func (v Verdict) Worst() (d Design, ok bool) {
	if len(v.Ranked) == 0 {
		return Design{}, false
	}
	return v.Ranked[len(v.Ranked)-1], true
}

// Leaders are the names of the best and the designs tied with it: the
// points worth repeating while the verdict is undecided.
func (v Verdict) Leaders() []string {
	if len(v.Ranked) == 0 {
		return nil
	}
	names := []string{v.Ranked[0].Name}
	for _, d := range v.Tied {
		names = append(names, d.Name)
	}
	return names
}

// MinReps is the smallest number of repetitions for which benchmath gives
// a 95% interval of the median.
const MinReps = 6

// Summarize returns the median and 95% interval of values.
func Summarize(name string, values []float64) Design {
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(values, &benchmath.DefaultThresholds), Confidence)
	return Design{Name: name, N: len(values), Median: s.Center, Lo: s.Lo, Hi: s.Hi}
}

// Sample is one design's values of a metric, one per repetition.
type Sample struct {
	Name   string
	Values []float64
}

// Decide ranks the designs by median and ties to the best every design
// whose interval overlaps the best's. A design without values is left
// out; one without an interval (fewer than MinReps values) is tied with
// everything, so a verdict over it is never decided.
func Decide(better Better, samples []Sample) Verdict {
	v := Verdict{Better: better}
	for _, s := range samples {
		if len(s.Values) > 0 {
			v.Ranked = append(v.Ranked, Summarize(s.Name, s.Values))
		}
	}
	slices.SortStableFunc(v.Ranked, func(a, b Design) int {
		if better == Higher {
			return cmp.Compare(b.Median, a.Median)
		}
		return cmp.Compare(a.Median, b.Median)
	})
	if len(v.Ranked) == 0 {
		return v
	}
	best := v.Ranked[0]
	for _, d := range v.Ranked[1:] {
		if d.Overlaps(best) {
			v.Tied = append(v.Tied, d)
		}
	}
	v.Decided = len(v.Ranked) >= 2 && len(v.Tied) == 0
	return v
}

// ExactTie reports whether the best and every design tied with it gave
// the same value in every repetition: a tie more repetitions cannot
// break (two pools that both let no request fail).
func (v Verdict) ExactTie() bool {
	if len(v.Tied) == 0 || !v.Ranked[0].Finite() {
		return false
	}
	b := v.Ranked[0]
	for _, d := range append([]Design{b}, v.Tied...) {
		if d.Lo != b.Median || d.Hi != b.Median || !d.Finite() {
			return false
		}
	}
	return true
}

// Settled reports whether more repetitions would not change the verdict's
// shape: it is decided, or its leaders are tied exactly.
func (v Verdict) Settled() bool { return v.Decided || v.ExactTie() }

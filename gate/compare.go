// Package gate decides whether a change made benchmarks worse. It reads
// two sets of benchfmt results (old and new), groups them by package,
// benchmark and unit the way benchstat does, summarises and compares each
// group with golang.org/x/perf/benchmath exactly as benchstat does
// (median with a 95% confidence interval; Mann-Whitney U test), and calls a
// row a regression only when the difference is both significant (p < alpha,
// Holm-Bonferroni-corrected over all rows by default) and larger than an
// effect-size threshold in the unit's worse direction.
//
// Everything here is a pure function over benchfmt results, so it is
// tested without git or a compiler; run.go and build.go add the part that
// produces the results (git worktree, go test -c, interleaved runs).
package gate

import (
	"fmt"
	"math"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"

	"github.com/poolbench/poolbench/results"
)

// Options configure a comparison.
type Options struct {
	// Alpha is the significance level: a difference counts only if the
	// Mann-Whitney p-value is below it (benchstat's -alpha).
	Alpha float64
	// Threshold is the smallest relative change, in the unit's worse
	// direction, that counts as a regression (0.05 is 5%).
	Threshold float64
	// Confidence is the level of the median's confidence interval.
	Confidence float64
	// Filter is a benchstat -filter expression; "" keeps everything.
	Filter string
	// Correction adjusts significance for testing many rows at once.
	Correction Correction
}

// DefaultOptions are the gate's defaults. Threshold 5%: a change anywhere in
// the binary moves code layout and alignment, which alone shifts a
// nanosecond-scale micro-benchmark by a few percent, and Mann-Whitney with
// 10+10 samples calls such a steady shift significant; 5% sits above that
// and well below the changes worth blocking a merge for.
//
// Holm: a gate run compares every benchmark in every unit (the pool
// micro-benchmarks give over a hundred rows), and at p < 0.05 per row an
// unchanged tree would fail most runs; Holm-Bonferroni keeps the chance of
// any false regression in the whole run at Alpha.
var DefaultOptions = Options{Alpha: 0.05, Threshold: 0.05, Confidence: 0.95, Correction: Holm}

// Set is one side of a comparison: results and the unit metadata read
// with them.
type Set struct {
	Results []*benchfmt.Result
	Units   benchfmt.UnitMetadataMap
}

// Verdict classifies one row.
type Verdict int

const (
	// Same: no significant difference (benchstat's "~").
	Same Verdict = iota
	// Better: a significant improvement.
	Better
	// Worse: significantly worse, but by no more than the threshold.
	Worse
	// Regression: significantly worse by more than the threshold.
	Regression
	// Undecided: too few samples on a side to reach significance at Alpha.
	Undecided
	// OnlyOld: the benchmark has no new results.
	OnlyOld
	// OnlyNew: the benchmark has no old results.
	OnlyNew
)

// Row is one benchmark in one unit, compared.
type Row struct {
	Pkg, Name, Unit string
	Direction       Direction
	// Assumed is true when the unit's direction was guessed (see DirectionOf).
	Assumed bool
	// Old and New are nil when the side has no results.
	Old, New               *benchmath.Sample
	OldSummary, NewSummary benchmath.Summary
	// Comparison is valid when both sides have results.
	Comparison benchmath.Comparison
	// Change is new/old - 1 of the medians (+Inf when old is 0 and new is not).
	Change   float64
	Verdict  Verdict
	Warnings []string
}

// Outcome is a whole comparison.
type Outcome struct {
	Options Options
	Rows    []Row
	// NeedSamples is the fewest samples per side with which the U-test can
	// reach p < Options.Alpha at all.
	NeedSamples int
	// Tests is the number of rows tested together (the Holm family size):
	// rows with both sides, enough samples and not all values identical.
	Tests int
	// OldCount and NewCount are the numbers of results read per side
	// (after the filter).
	OldCount, NewCount int
	// Warnings are input problems that did not stop the comparison.
	Warnings []string
}

// Compare compares old against new. It fails on bad options and on a
// value that is not a finite number (Read already rejects those; a Set
// built in code is checked here, as a NaN would hang the U-test).
func Compare(old, new Set, opt Options) (*Outcome, error) {
	if !(opt.Alpha > 0 && opt.Alpha < 1) {
		return nil, fmt.Errorf("alpha must be in (0, 1), got %v", opt.Alpha)
	}
	if !(opt.Threshold >= 0) || math.IsInf(opt.Threshold, 0) {
		return nil, fmt.Errorf("threshold must be >= 0, got %v", opt.Threshold)
	}
	if !(opt.Confidence > 0 && opt.Confidence < 1) {
		return nil, fmt.Errorf("confidence must be in (0, 1), got %v", opt.Confidence)
	}
	for _, set := range []Set{old, new} {
		for _, r := range set.Results {
			if err := results.Finite(r); err != nil {
				return nil, err
			}
		}
	}
	g, err := newGrouper(opt.Filter)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Options: opt, NeedSamples: NeedSamples(opt.Alpha)}
	out.OldCount, out.Warnings = g.add(0, old.Results, out.Warnings)
	out.NewCount, out.Warnings = g.add(1, new.Results, out.Warnings)

	units := mergeUnits(old.Units, new.Units)
	thresholds := benchmath.DefaultThresholds
	thresholds.CompareAlpha = opt.Alpha
	for _, c := range g.cells() {
		out.Rows = append(out.Rows, compareCell(c, units, &thresholds, opt, out.NeedSamples))
	}
	tested := tests(out.Rows)
	out.Tests = len(tested)
	significant := opt.Correction.significant(out.Rows, tested, opt.Alpha)
	for _, i := range tested {
		r := &out.Rows[i]
		r.Verdict = judge(*r, significant[i], opt.Threshold)
		if r.Comparison.P < opt.Alpha && !significant[i] {
			r.Warnings = append(r.Warnings, fmt.Sprintf("p < %v, but not significant after %s over %d rows", opt.Alpha, opt.Correction, out.Tests))
		}
	}
	return out, nil
}

// compareCell summarises and compares one (package, benchmark, unit) cell.
func compareCell(c *cell, units benchfmt.UnitMetadataMap, th *benchmath.Thresholds, opt Options, need int) Row {
	r := Row{Pkg: c.pkg, Name: c.name, Unit: c.unit, Warnings: c.warnings}
	r.Direction, r.Assumed = DirectionOf(c.unit, units)
	assumption := units.GetAssumption(c.unit)
	if len(c.vals[0]) > 0 {
		r.Old = benchmath.NewSample(c.vals[0], th)
		r.OldSummary = assumption.Summary(r.Old, opt.Confidence)
		r.Warnings = appendErrs(r.Warnings, r.OldSummary.Warnings)
	}
	if len(c.vals[1]) > 0 {
		r.New = benchmath.NewSample(c.vals[1], th)
		r.NewSummary = assumption.Summary(r.New, opt.Confidence)
		r.Warnings = appendErrs(r.Warnings, r.NewSummary.Warnings)
	}
	switch {
	case r.Old == nil:
		r.Verdict = OnlyNew
		return r
	case r.New == nil:
		r.Verdict = OnlyOld
		return r
	}
	r.Comparison = assumption.Compare(r.Old, r.New)
	r.Warnings = appendErrs(r.Warnings, r.Comparison.Warnings)
	r.Change = change(r.OldSummary.Center, r.NewSummary.Center)
	if len(r.Old.Values) < need || len(r.New.Values) < need {
		r.Verdict = Undecided
	}
	return r
}

// judge applies the gate's rule to a row with both sides and enough
// samples: significant is the (corrected) test's answer.
func judge(r Row, significant bool, threshold float64) Verdict {
	if !significant || r.Change == 0 {
		return Same
	}
	worse := r.Change > 0
	if r.Direction == HigherIsBetter {
		worse = r.Change < 0
	}
	switch {
	case !worse:
		return Better
	case math.Abs(r.Change) > threshold:
		return Regression
	}
	return Worse
}

// change is new/old - 1, with 0/0 as no change and x/0 as +Inf.
func change(old, new float64) float64 {
	switch {
	case old == new:
		return 0
	case old == 0:
		return math.Copysign(math.Inf(1), new)
	}
	return new/old - 1
}

// NeedSamples returns the fewest samples per side with which a two-sided
// Mann-Whitney U test can reach p < alpha: with n values on each side the
// smallest possible p is 2/C(2n, n) (complete separation). This is the rule
// behind benchmath's "need >= N samples to detect a difference" warning.
func NeedSamples(alpha float64) int {
	const limit = 50
	c := 2.0 // C(2n, n) for n = 1
	for n := 1; n < limit; n++ {
		if 2/c < alpha {
			return n
		}
		// C(2n+2, n+1) = C(2n, n) * (2n+1)(2n+2) / (n+1)^2
		c = c * float64(2*n+1) * float64(2*n+2) / float64((n+1)*(n+1))
	}
	return limit
}

// Regressions returns the rows judged Regression.
func (o *Outcome) Regressions() []Row { return o.filter(Regression) }

// Undecided returns the rows with too few samples to decide.
func (o *Outcome) Undecided() []Row { return o.filter(Undecided) }

func (o *Outcome) filter(v Verdict) []Row {
	var rows []Row
	for _, r := range o.Rows {
		if r.Verdict == v {
			rows = append(rows, r)
		}
	}
	return rows
}

// Err returns nil when the gate passes, and otherwise an error whose
// ExitCode is 1 for a regression and 2 when the input cannot decide:
// no new results, no old results, or a benchmark with too few samples on a
// side. An empty old side is not a pass: a base whose benchmarks failed to
// run, or a filter that matches nothing there, must not wave every change
// through. (CI's "no bench package at the base" case is decided before the
// gate runs.) A regression wins over undecided rows: it is a finding either
// way.
func (o *Outcome) Err() error {
	if n := len(o.Regressions()); n > 0 {
		return &Error{Code: 1, Msg: fmt.Sprintf("%d regression(s) worse than %s at alpha=%v", n, pct(o.Options.Threshold), o.Options.Alpha)}
	}
	if o.NewCount == 0 {
		return &Error{Code: 2, Msg: "no new benchmark results to judge"}
	}
	if o.OldCount == 0 {
		return &Error{Code: 2, Msg: "no old benchmark results to compare against"}
	}
	if u := o.Undecided(); len(u) > 0 {
		got := math.MaxInt
		for _, r := range u {
			got = min(got, len(r.Old.Values), len(r.New.Values))
		}
		return &Error{Code: 2, Msg: fmt.Sprintf("cannot decide %d row(s): need >= %d samples per side for alpha=%v; got %d",
			len(u), o.NeedSamples, o.Options.Alpha, got)}
	}
	return nil
}

// Error is a gate verdict that is not a pass; ExitCode is the command's
// exit status.
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// ExitCode is 1 for a regression, 2 when the gate cannot decide.
func (e *Error) ExitCode() int { return e.Code }

func appendErrs(dst []string, errs []error) []string {
	for _, e := range errs {
		dst = append(dst, e.Error())
	}
	return dst
}

func pct(f float64) string { return fmt.Sprintf("%g%%", 100*f) }

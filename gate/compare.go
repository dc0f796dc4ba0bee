// Package gate decides whether a change made benchmarks worse. It owns the
// decision rule, the interleaved paired runs that feed it (run.go), the
// confirmation of suspect rows with fresh pairs (confirm.go) and building
// both sides from git (build.go, base.go). It must not know what the
// benchmarks measure or which pool designs exist: it sees rows by name and
// unit only.
//
// # The rule
//
// Both sides run as pairs: each round runs the old and the new test binary
// back to back, in an order drawn at random for that round, and each row
// yields one ratio new/old per round. Every (benchmark, unit) row is judged
// by the kind of its unit:
//
//   - timed rows (sec/op, cpu-sec/op and any other unit not listed below):
//     the one-sided Wilcoxon signed-rank test of the per-round log ratios,
//     in the unit's worse direction, exact (SignedRank). A row regresses when
//     that p is significant at Alpha after Holm-Bonferroni over the timed
//     rows only, and the median per-round ratio is worse than Threshold.
//   - exact rows (allocs/op, B/op): counts, not timings. A row regresses
//     when every new run is worse than every old run; for a steady row
//     (every run the same count) that is any increase at all. No statistics,
//     and no part of the multiplicity correction.
//   - shown rows (p99-wait-sec, max-wait-sec: wait tails, whose run-to-run
//     spread here is far above any threshold worth gating): tested and
//     shown, never gating.
//
// With -base, a timed row whose median ratio is worse than Threshold, and
// whose p is below Screen, is a suspect, and so is a significant one: the
// first pass only nominates. Confirm reruns just the suspects with fresh
// pairs, in batches, up to a cap; only a row significant on its fresh pairs
// at Alpha / (suspects x looks) (Bonferroni over rows and looks) and still
// worse than Threshold is a regression, and its verdict says how many fresh
// pairs decided it. The fresh pairs are independent of the pass that chose
// the suspects, so the chance that an unchanged tree fails stays below
// Alpha whatever the first pass nominated.
//
// Instruction counts (instructions.go, instructions/op) are a second,
// deterministic gate for single-goroutine rows: each row's instructions
// per op under Valgrind, counted inside the benchmark's per-op function
// with the garbage collector off, once per side; a row regresses when its
// count is worse by more than InstructionThreshold (3%; counts of the same
// code move about 1% between processes, as maps hash with a random seed).
// A flagged row is counted again on both sides, up to Recounts times, and
// each side's least count decides: interference only ever adds
// instructions (another goroutine run while the op's goroutine parks).
// scripts/gate.sh runs both gates and fails when either does.
//
// Everything in this file is a pure function over benchfmt results, tested
// without git or a compiler.
package gate

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"

	"github.com/poolbench/poolbench/results"
)

// Options configure a comparison.
type Options struct {
	// Alpha is the family-wise significance level over the timed rows.
	Alpha float64
	// Threshold is the smallest relative change of the median per-round
	// ratio, in the unit's worse direction, that counts as a regression
	// (0.05 is 5%).
	Threshold float64
	// Screen is the uncorrected one-sided p below which a timed row worse
	// than Threshold is a suspect that confirmation reruns.
	Screen float64
	// Confidence is the level of the medians' and ratios' intervals.
	Confidence float64
	// Filter is a benchstat -filter expression; "" keeps everything.
	Filter string
	// Correction adjusts significance for testing many timed rows at once.
	Correction Correction
}

// DefaultOptions are the gate's defaults. Threshold 5%: a change anywhere in
// the binary moves code layout and alignment, which alone shifts a
// nanosecond-scale micro-benchmark by a few percent; 5% sits above that and
// well below the 10% and 25% slowdowns the gate is measured against
// (scripts/gate-power.sh). Screen 0.05: a row nominated at p < 0.05 on the
// first pass costs a confirming rerun, so the screen keeps the unchanged
// rows' nominations to about one in twenty.
var DefaultOptions = Options{Alpha: 0.05, Threshold: 0.05, Screen: 0.05, Confidence: 0.95, Correction: Holm}

// Set is one side of a comparison: results and the unit metadata read
// with them. Within each benchmark and unit, the i-th result of old and the
// i-th result of new form a pair (RunInterleaved appends one per round).
type Set struct {
	Results []*benchfmt.Result
	Units   benchfmt.UnitMetadataMap
}

// Verdict classifies one row.
type Verdict int

const (
	// Same: no significant difference (benchstat's "~").
	Same Verdict = iota
	// Better: a significant improvement (uncorrected; informational).
	Better
	// Worse: significantly worse, but by no more than the threshold.
	Worse
	// Regression: worse by more than the threshold, significantly.
	Regression
	// Undecided: too few pairs to reach significance at Alpha, or sides
	// that cannot be paired.
	Undecided
	// OnlyOld: the benchmark has no new results.
	OnlyOld
	// OnlyNew: the benchmark has no old results.
	OnlyNew
	// Suspect: worse than the threshold with p below Screen, but not
	// significant: with -base, confirmation decides it.
	Suspect
	// Cleared: nominated, and confirmation on fresh pairs did not find it
	// worse than the threshold.
	Cleared
)

// Kind is how a unit is judged; see the package doc.
type Kind int

const (
	// Timed rows get the paired test, the correction and the threshold.
	Timed Kind = iota
	// Exact rows are counts: worse in every run is a regression.
	Exact
	// Shown rows are compared and shown, never gating.
	Shown
	// Counted rows are deterministic counts of work (instructions/op): a
	// row regresses when its median is worse by more than
	// InstructionThreshold, with no statistics.
	Counted
)

// shownUnits are the tidied units reported but never gated: the exhausted
// rows' wait tails. Their run-to-run spread on a shared machine (tens of
// percent, often more; see gate-power.sh's output) is far wider than the
// threshold, so gating them would only spend the timed rows' alpha.
var shownUnits = map[string]bool{"p99-wait-sec": true, "max-wait-sec": true}

// KindOf returns how unit (tidied, as benchfmt reads it) is judged.
func KindOf(unit string) Kind {
	switch {
	case unit == "B/op" || unit == "allocs/op":
		return Exact
	case shownUnits[unit]:
		return Shown
	case unit == InstructionsUnit:
		return Counted
	}
	return Timed
}

// Paired is a row's per-round comparison.
type Paired struct {
	// N is the number of pairs.
	N int
	// Ratio is the median per-round ratio new/old, with its distribution-free
	// confidence interval [Lo, Hi] (order statistics of the ratios).
	Ratio, Lo, Hi float64
	// P is the one-sided signed-rank p that new is worse than old; PBetter
	// the one that it is better.
	P, PBetter float64
}

// Row is one benchmark in one unit, compared.
type Row struct {
	Pkg, Name, Unit string
	Kind            Kind
	Direction       Direction
	// Assumed is true when the unit's direction was guessed (see DirectionOf).
	Assumed bool
	// Old and New are nil when the side has no results.
	Old, New               *benchmath.Sample
	OldSummary, NewSummary benchmath.Summary
	// Paired is valid when both sides have results and they pair up.
	Paired Paired
	// Change is the median per-round ratio minus 1 (for an exact row, of
	// the medians): +0.25 is 25% more of the unit.
	Change float64
	// Confirm is set when confirmation reran the row.
	Confirm  *Confirmation
	Verdict  Verdict
	Warnings []string
}

// worse reports whether a ratio new/old is worse than 1+threshold in the
// row's direction.
func (r Row) worseThan(ratio, threshold float64) bool {
	if r.Direction == HigherIsBetter {
		return ratio < 1/(1+threshold)
	}
	return ratio > 1+threshold
}

// Outcome is a whole comparison.
type Outcome struct {
	Options Options
	Rows    []Row
	// NeedPairs is the fewest pairs with which the signed-rank test can
	// reach p < Options.Alpha at all.
	NeedPairs int
	// Tests is the number of timed rows tested together (the Holm family):
	// rows with both sides, enough pairs, and not every ratio 1.
	Tests int
	// OldCount and NewCount are the numbers of results read per side
	// (after the filter).
	OldCount, NewCount int
	// Confirmed is set when confirmation ran: how it went.
	Confirmed *ConfirmSummary
	// Warnings are input problems that did not stop the comparison.
	Warnings []string
}

// Compare compares old against new. It fails on bad options and on a
// value that is not a finite number (Read already rejects those; a Set
// built in code is checked here).
func Compare(old, new Set, opt Options) (*Outcome, error) {
	if !(opt.Alpha > 0 && opt.Alpha < 1) {
		return nil, fmt.Errorf("alpha must be in (0, 1), got %v", opt.Alpha)
	}
	if !(opt.Threshold >= 0) || math.IsInf(opt.Threshold, 0) {
		return nil, fmt.Errorf("threshold must be >= 0, got %v", opt.Threshold)
	}
	if !(opt.Screen >= 0 && opt.Screen <= 1) {
		return nil, fmt.Errorf("screen must be in [0, 1], got %v", opt.Screen)
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
	out := &Outcome{Options: opt, NeedPairs: NeedPairs(opt.Alpha)}
	out.OldCount, out.Warnings = g.add(0, old.Results, out.Warnings)
	out.NewCount, out.Warnings = g.add(1, new.Results, out.Warnings)

	units := mergeUnits(old.Units, new.Units)
	for _, c := range g.cells() {
		out.Rows = append(out.Rows, compareCell(c, units, opt, out.NeedPairs))
	}
	tested := tests(out.Rows)
	out.Tests = len(tested)
	significant := opt.Correction.significant(out.Rows, tested, opt.Alpha)
	for _, i := range tested {
		r := &out.Rows[i]
		r.Verdict = judge(*r, significant[i], opt)
		if r.Paired.P < opt.Alpha && !significant[i] {
			r.Warnings = append(r.Warnings, fmt.Sprintf("p < %v, but not significant after %s over %d timed rows", opt.Alpha, opt.Correction, out.Tests))
		}
	}
	return out, nil
}

// compareCell summarises and compares one (package, benchmark, unit) cell.
func compareCell(c *cell, units benchfmt.UnitMetadataMap, opt Options, need int) Row {
	r := Row{Pkg: c.pkg, Name: c.name, Unit: c.unit, Kind: KindOf(c.unit), Warnings: c.warnings}
	r.Direction, r.Assumed = DirectionOf(c.unit, units)
	th := benchmath.DefaultThresholds
	// NewSample sorts its values in place; the pairs need round order.
	if len(c.vals[0]) > 0 {
		r.Old = benchmath.NewSample(slices.Clone(c.vals[0]), &th)
		r.OldSummary = benchmath.AssumeNothing.Summary(r.Old, opt.Confidence)
	}
	if len(c.vals[1]) > 0 {
		r.New = benchmath.NewSample(slices.Clone(c.vals[1]), &th)
		r.NewSummary = benchmath.AssumeNothing.Summary(r.New, opt.Confidence)
	}
	switch {
	case r.Old == nil:
		r.Verdict = OnlyNew
		return r
	case r.New == nil:
		r.Verdict = OnlyOld
		return r
	}
	switch r.Kind {
	case Exact:
		r.Change = change(r.OldSummary.Center, r.NewSummary.Center)
		r.Verdict = judgeExact(r)
		return r
	case Counted:
		r.Change = change(r.OldSummary.Center, r.NewSummary.Center)
		r.Verdict = Same
		switch ratio := 1 + r.Change; {
		case r.worseThan(ratio, InstructionThreshold):
			r.Verdict = Regression
		case r.worseThan(1/ratio, InstructionThreshold):
			r.Verdict = Better
		}
		return r
	}
	if len(c.vals[0]) != len(c.vals[1]) {
		r.Verdict = Undecided
		r.Warnings = append(r.Warnings, fmt.Sprintf("cannot pair %d old with %d new results: the sides must come from the same rounds", len(c.vals[0]), len(c.vals[1])))
		return r
	}
	r.Paired = pair(c.vals[0], c.vals[1], r.Direction, opt.Confidence)
	r.Change = r.Paired.Ratio - 1
	if len(c.vals[0]) < need {
		r.Verdict = Undecided
		r.Warnings = append(r.Warnings, fmt.Sprintf("need >= %d pairs to detect a difference at alpha level %v", need, opt.Alpha))
	}
	return r
}

// pair computes the per-round comparison of old[i] with new[i].
func pair(old, new []float64, dir Direction, confidence float64) Paired {
	ratios := make([]float64, len(old))
	worse := make([]float64, len(old)) // log ratio, positive when worse
	for i := range old {
		ratios[i] = ratio(old[i], new[i])
		worse[i] = math.Log(ratios[i])
		if dir == HigherIsBetter {
			worse[i] = -worse[i]
		}
	}
	p := Paired{N: len(old)}
	p.P, _ = SignedRank(worse)
	for i := range worse {
		worse[i] = -worse[i]
	}
	p.PBetter, _ = SignedRank(worse)
	th := benchmath.DefaultThresholds
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(ratios, &th), confidence)
	p.Ratio, p.Lo, p.Hi = s.Center, s.Lo, s.Hi
	return p
}

// ratio is new/old, with 0/0 as 1 and x/0 as +Inf.
func ratio(old, new float64) float64 {
	switch {
	case old == new:
		return 1
	case old == 0:
		return math.Inf(1)
	}
	return new / old
}

// judge applies the rule to a timed row with both sides and enough pairs:
// significant is the corrected test's answer for "worse".
func judge(r Row, significant bool, opt Options) Verdict {
	switch {
	case significant && r.worseThan(r.Paired.Ratio, opt.Threshold):
		return Regression
	case significant:
		return Worse
	case r.worseThan(r.Paired.Ratio, opt.Threshold) && r.Paired.P < opt.Screen:
		return Suspect
	case r.Paired.PBetter < opt.Alpha:
		return Better
	}
	return Same
}

// judgeExact is the rule for counts: worse in every run is a regression.
func judgeExact(r Row) Verdict {
	ov, nv := r.Old.Values, r.New.Values // sorted
	oldLo, oldHi, newLo, newHi := ov[0], ov[len(ov)-1], nv[0], nv[len(nv)-1]
	if r.Direction == HigherIsBetter {
		oldLo, oldHi, newLo, newHi = -oldHi, -oldLo, -newHi, -newLo
	}
	switch {
	case newLo > oldHi:
		return Regression
	case newHi < oldLo:
		return Better
	}
	return Same
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

// NeedPairs returns the fewest pairs with which the one-sided signed-rank
// test can reach p < alpha: with n pairs the smallest possible p is 2^-n
// (every pair worse).
func NeedPairs(alpha float64) int {
	n := 1
	for math.Exp2(-float64(n)) >= alpha && n < 64 {
		n++
	}
	return n
}

// Regressions returns the rows judged Regression.
func (o *Outcome) Regressions() []Row { return o.filter(Regression) }

// Undecided returns the rows with too few pairs to decide.
func (o *Outcome) Undecided() []Row { return o.filter(Undecided) }

// Suspects returns the rows confirmation should rerun: timed rows judged
// Regression or Suspect.
func (o *Outcome) Suspects() []Row {
	var rows []Row
	for _, r := range o.Rows {
		if r.Kind == Timed && (r.Verdict == Regression || r.Verdict == Suspect) {
			rows = append(rows, r)
		}
	}
	return rows
}

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
// no new results, no old results, or a row with too few pairs. An empty
// old side is not a pass: a base whose benchmarks failed to run, or a
// filter that matches nothing there, must not wave every change through.
// A regression wins over undecided rows: it is a finding either way.
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
		return &Error{Code: 2, Msg: fmt.Sprintf("cannot decide %d row(s): need >= %d paired runs per side for alpha=%v; got %d",
			len(u), o.NeedPairs, o.Options.Alpha, got)}
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

func pct(f float64) string { return fmt.Sprintf("%g%%", 100*f) }

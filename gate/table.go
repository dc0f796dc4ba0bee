package gate

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// Format writes o as benchstat-style tables, one per (package, unit), each
// row with a verdict, then the warnings as numbered notes and a summary
// ending in "gate: PASS", "gate: FAIL" or "gate: CANNOT DECIDE".
func Format(w io.Writer, o *Outcome) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	var notes []string
	noteID := map[string]int{}
	ref := func(msgs []string) string {
		var ids []string
		seen := map[int]bool{}
		for _, m := range msgs {
			id, ok := noteID[m]
			if !ok {
				notes = append(notes, m)
				id = len(notes)
				noteID[m] = id
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, fmt.Sprintf("[%d]", id))
			}
		}
		if len(ids) == 0 {
			return ""
		}
		return " " + strings.Join(ids, "")
	}
	var prevPkg, prevUnit string
	for i, r := range o.Rows {
		if i == 0 || r.Pkg != prevPkg || r.Unit != prevUnit {
			if i > 0 {
				fmt.Fprintln(tw)
			}
			if i == 0 || r.Pkg != prevPkg {
				fmt.Fprintf(tw, "pkg: %s\n", r.Pkg)
			}
			dir := r.Direction.String()
			if r.Assumed {
				dir += ", assumed: unknown unit"
			}
			switch r.Kind {
			case Exact:
				dir += "; exact: worse in every run regresses"
			case Shown:
				dir += "; shown, not gated"
			case Counted:
				dir += fmt.Sprintf("; counted: worse by more than %s regresses", pct(InstructionThreshold))
			}
			fmt.Fprintf(tw, "%s (%s)\told\tnew\tvs old\tverdict\n", r.Unit, dir)
			prevPkg, prevUnit = r.Pkg, r.Unit
		}
		oldS, newS := cellText(r)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s%s\n", r.Name, oldS, newS, deltaText(r, o.Options.Alpha), verdictText(r, o.Options.Threshold), ref(r.Warnings))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, n := range notes {
		fmt.Fprintf(w, "[%d] %s\n", i+1, n)
	}
	for _, wn := range o.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
	return summary(w, o)
}

// cellText formats both medians on one scale, with the CI as "± x%".
func cellText(r Row) (old, new string) {
	var centers []float64
	if r.Old != nil {
		centers = append(centers, r.OldSummary.Center)
	}
	if r.New != nil {
		centers = append(centers, r.NewSummary.Center)
	}
	sc := benchunit.CommonScale(centers, benchunit.ClassOf(r.Unit))
	f := func(s *benchmath.Sample, sum benchmath.Summary) string {
		if s == nil {
			return "-"
		}
		return sc.Format(sum.Center) + " ± " + sum.PctRangeString()
	}
	return f(r.Old, r.OldSummary), f(r.New, r.NewSummary)
}

// deltaText is the "vs old" column: the median per-round ratio as a change
// with its interval, or "~" when the row's one-sided p is not below alpha,
// then the p and the number of pairs. An exact row says whether every run
// moved.
func deltaText(r Row, alpha float64) string {
	switch r.Verdict {
	case OnlyOld:
		return "only in old"
	case OnlyNew:
		return "only in new"
	}
	if r.Kind == Exact || r.Kind == Counted {
		if r.Change == 0 {
			return "~ (exact)"
		}
		return changeText(r.Change) + " (exact)"
	}
	if r.Paired.N == 0 {
		return "~ (unpaired)"
	}
	// The p shown is the one-sided p of the direction the row moved.
	d, p := "~", min(r.Paired.P, r.Paired.PBetter)
	if p < alpha {
		d = changeText(r.Change)
	}
	if math.IsInf(r.Paired.Lo, 0) || math.IsInf(r.Paired.Hi, 0) || r.Paired.Lo <= 0 {
		return fmt.Sprintf("%s (p=%.3f n=%d)", d, p, r.Paired.N) // too few pairs for an interval
	}
	return fmt.Sprintf("%s [%s, %s] (p=%.3f n=%d)", d, changeText(r.Paired.Lo-1), changeText(r.Paired.Hi-1), p, r.Paired.N)
}

func changeText(c float64) string {
	if math.IsInf(c, 0) {
		if c > 0 {
			return "+inf%"
		}
		return "-inf%"
	}
	return fmt.Sprintf("%+.2f%%", 100*c)
}

func verdictText(r Row, threshold float64) string {
	good, bad := "better", "worse"
	if isTime(r.Unit) {
		good, bad = "faster", "slower"
	}
	switch r.Verdict {
	case Better:
		return good
	case Worse:
		return fmt.Sprintf("%s (<= %s)", bad, pct(threshold))
	case Regression:
		return strings.ToUpper(bad) + confirmText(r)
	case Undecided:
		return "too few pairs"
	case Suspect:
		return fmt.Sprintf("suspect (%s?)", bad)
	case Cleared:
		return "~ (cleared" + confirmText(r) + ")"
	case OnlyOld:
		return "gone"
	case OnlyNew:
		return "new"
	}
	return "~"
}

// confirmText is how confirmation decided a row, "" when it did not run.
func confirmText(r Row) string {
	c := r.Confirm
	if c == nil {
		return ""
	}
	return fmt.Sprintf(" in %d fresh pairs: %s [%s, %s] p=%.2g", c.Pairs, changeText(c.Ratio-1), changeText(c.Lo-1), changeText(c.Hi-1), c.P)
}

// summary writes the counts, the regressions and the final line.
func summary(w io.Writer, o *Outcome) error {
	counts := map[Verdict]int{}
	for _, r := range o.Rows {
		counts[r.Verdict]++
	}
	fmt.Fprintf(w, "\ngate: rule: timed rows: regression = one-sided Wilcoxon signed-rank of per-round log ratios significant at alpha=%v (%s over %d timed rows) and median ratio worse by more than %s; allocs/op, B/op: worse in every run; wait tails shown, not gated; medians and ratios with %v%% CI\n",
		o.Options.Alpha, o.Options.Correction, o.Tests, pct(o.Options.Threshold), 100*o.Options.Confidence)
	fmt.Fprintf(w, "gate: %d old and %d new results; %d rows: %d regression, %d suspect, %d cleared, %d worse within threshold, %d better, %d ~, %d too few pairs, %d only in old, %d only in new\n",
		o.OldCount, o.NewCount, len(o.Rows), counts[Regression], counts[Suspect], counts[Cleared], counts[Worse], counts[Better], counts[Same],
		counts[Undecided], counts[OnlyOld], counts[OnlyNew])
	if c := o.Confirmed; c != nil {
		fmt.Fprintf(w, "gate: confirmation: %d suspect row(s) rerun in %d fresh pair(s) at most, in batches of %d, each test at alpha/(rows x looks) = %.2g: %d confirmed, %d cleared\n",
			c.Suspects, c.Pairs, c.Batch, c.Level, c.Confirmed, c.Cleared)
	}
	for _, r := range o.Regressions() {
		fmt.Fprintf(w, "gate: REGRESSION %s %s %s%s (p=%.3g n=%d)\n", r.Name, r.Unit, changeText(r.Change), confirmText(r), r.Paired.P, r.Paired.N)
	}
	err := o.Err()
	switch {
	case err == nil:
		_, err = fmt.Fprintln(w, "gate: PASS")
		return err
	case err.(*Error).Code == 1:
		fmt.Fprintf(w, "gate: FAIL: %v\n", err)
	default:
		fmt.Fprintf(w, "gate: CANNOT DECIDE: %v\n", err)
	}
	return nil
}

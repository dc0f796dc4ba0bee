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

// deltaText is benchstat's "vs base" column: the change, or "~" when it is
// not significant, with the p-value and sample sizes.
func deltaText(r Row, alpha float64) string {
	switch r.Verdict {
	case OnlyOld:
		return "only in old"
	case OnlyNew:
		return "only in new"
	}
	d := changeText(r.Change)
	if !(r.Comparison.P < alpha) {
		d = "~"
	}
	return fmt.Sprintf("%s (%s)", d, r.Comparison)
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
		return strings.ToUpper(bad)
	case Undecided:
		return "too few samples"
	case OnlyOld:
		return "gone"
	case OnlyNew:
		return "new"
	}
	return "~"
}

// summary writes the counts, the regressions and the final line.
func summary(w io.Writer, o *Outcome) error {
	counts := map[Verdict]int{}
	for _, r := range o.Rows {
		counts[r.Verdict]++
	}
	fmt.Fprintf(w, "\ngate: rule: regression = Mann-Whitney U significant at alpha=%v (%s over %d rows) and worse by more than %s; medians with %v%% CI\n",
		o.Options.Alpha, o.Options.Correction, o.Tests, pct(o.Options.Threshold), 100*o.Options.Confidence)
	fmt.Fprintf(w, "gate: %d old and %d new results; %d rows: %d regression, %d worse within threshold, %d better, %d ~, %d too few samples, %d only in old, %d only in new\n",
		o.OldCount, o.NewCount, len(o.Rows), counts[Regression], counts[Worse], counts[Better], counts[Same],
		counts[Undecided], counts[OnlyOld], counts[OnlyNew])
	for _, r := range o.Regressions() {
		fmt.Fprintf(w, "gate: REGRESSION %s %s %s (%s)\n", r.Name, r.Unit, changeText(r.Change), r.Comparison)
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

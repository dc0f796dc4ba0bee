package gate

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ConfirmOptions bound the confirming rerun of suspect rows.
type ConfirmOptions struct {
	// Batch is the number of fresh pairs per look.
	Batch int
	// Pairs is the cap: the most fresh pairs any row gets. The number of
	// looks is Pairs/Batch, rounded up.
	Pairs int
}

// DefaultConfirm is what CI uses: two looks of 8 fresh pairs. With up to
// 6 suspects a row can be confirmed at the first look (2^-8 < 0.05/(6 rows
// x 2 looks)); with more, the second look decides. Short looks keep the
// unchanged rows' confirmations (a few per gate) cheap.
var DefaultConfirm = ConfirmOptions{Batch: 8, Pairs: 16}

// Confirmation is how the confirming rerun decided one row: on its fresh
// pairs alone, never pooled with the pass that nominated it.
type Confirmation struct {
	// Pairs is the number of fresh pairs that decided the row.
	Pairs int
	// Ratio is their median ratio new/old, with its interval [Lo, Hi].
	Ratio, Lo, Hi float64
	// P is their one-sided signed-rank p, compared against Level.
	P, Level float64
}

// ConfirmSummary is what confirmation did over the whole outcome.
type ConfirmSummary struct {
	Suspects, Batch, Pairs int
	// Level is each test's significance level: Alpha / (Suspects x looks).
	Level              float64
	Confirmed, Cleared int
}

// Confirm reruns the suspect rows of o (Outcome.Suspects) with fresh pairs
// of old and new, Batch pairs per look, until each is decided or has had
// c.Pairs pairs, and rewrites their verdicts: Regression when the fresh
// pairs alone are significant at Alpha / (suspects x looks) and their median
// ratio is still worse than the threshold, Cleared when the median ratio is
// not worse than the threshold or the cap is reached. Only the rows still
// undecided are rerun at each look. run gives the benchmark flags
// (Benchtime, Timeout, Progress); Bench, CPU and Count are set here.
func Confirm(ctx context.Context, old, new Binary, o *Outcome, run RunOptions, c ConfirmOptions) error {
	if c.Batch < 1 || c.Pairs < c.Batch {
		return fmt.Errorf("confirmation needs a batch >= 1 and a cap >= the batch, got %d and %d", c.Batch, c.Pairs)
	}
	suspects := o.Suspects()
	if len(suspects) == 0 {
		return nil
	}
	looks := (c.Pairs + c.Batch - 1) / c.Batch
	sum := &ConfirmSummary{Suspects: len(suspects), Batch: c.Batch, Pairs: c.Pairs,
		Level: o.Options.Alpha / float64(len(suspects)*looks)}
	o.Confirmed = sum
	pending := map[rowKey]bool{}
	for _, r := range suspects {
		pending[keyOf(r)] = true
	}
	opt := o.Options
	opt.Correction = NoCorrection // the level above already accounts for rows and looks
	var oldSet, newSet Set
	for look := 1; look <= looks && len(pending) > 0; look++ {
		names := make([]string, 0, len(pending))
		for k := range pending {
			names = append(names, k.name)
		}
		run.Groups, run.CPU = rerunGroups(names)
		run.Count = min(c.Batch, c.Pairs-(look-1)*c.Batch)
		if run.Progress != nil {
			fmt.Fprintf(run.Progress, "gate: confirming %d row(s), look %d/%d: -cpu %s -bench %s\n", len(pending), look, looks, run.CPU, strings.Join(run.Groups, " "))
		}
		o2, n2, err := RunInterleaved(ctx, old, new, run)
		if err != nil {
			return fmt.Errorf("confirm: %w", err)
		}
		oldSet.Append(o2)
		newSet.Append(n2)
		fresh, err := Compare(oldSet, newSet, opt)
		if err != nil {
			return fmt.Errorf("confirm: %w", err)
		}
		byKey := map[rowKey]Row{}
		for _, r := range fresh.Rows {
			byKey[keyOf(r)] = r
		}
		for i := range o.Rows {
			r := &o.Rows[i]
			k := keyOf(*r)
			if !pending[k] {
				continue
			}
			f, ok := byKey[k]
			if !ok || f.Paired.N == 0 {
				return fmt.Errorf("confirm: the rerun produced no pairs for %s %s", r.Name, r.Unit)
			}
			r.Confirm = &Confirmation{Pairs: f.Paired.N, Ratio: f.Paired.Ratio, Lo: f.Paired.Lo, Hi: f.Paired.Hi, P: f.Paired.P, Level: sum.Level}
			switch {
			case f.Paired.P < sum.Level && f.worseThan(f.Paired.Ratio, opt.Threshold):
				r.Verdict = Regression
				sum.Confirmed++
			case !f.worseThan(f.Paired.Ratio, opt.Threshold) || look == looks:
				r.Verdict = Cleared
				sum.Cleared++
			default:
				continue
			}
			delete(pending, k)
		}
	}
	return nil
}

type rowKey struct{ pkg, name, unit string }

func keyOf(r Row) rowKey { return rowKey{r.Pkg, r.Name, r.Unit} }

// procsSuffix is the -N the testing package appends to a benchmark's name
// when GOMAXPROCS is not 1.
var procsSuffix = regexp.MustCompile(`-([0-9]+)$`)

// rerunGroups returns the -test.bench patterns, one per first
// sub-benchmark, and the -test.cpu list that run at least the benchmarks
// named (full names as benchfmt reads them, without the "Benchmark"
// prefix, with the -N GOMAXPROCS suffix). Each pattern is one anchored
// alternation per name level, so it may also run a few neighbours (the
// cross product of the levels), which Confirm ignores.
func rerunGroups(names []string) (groups []string, cpu string) {
	byGroup := map[string][][]string{}
	var order []string
	procs := map[int]bool{}
	for _, n := range names {
		p := 1
		if m := procsSuffix.FindStringSubmatch(n); m != nil {
			p, _ = strconv.Atoi(m[1])
			n = strings.TrimSuffix(n, m[0])
		}
		procs[p] = true
		parts := strings.Split(n, "/")
		parts[0] = "Benchmark" + parts[0]
		g := strings.Join(parts[:min(2, len(parts))], "/")
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		levels := byGroup[g]
		for i, part := range parts {
			if i == len(levels) {
				levels = append(levels, nil)
			}
			if !slices.Contains(levels[i], part) {
				levels[i] = append(levels[i], part)
			}
		}
		byGroup[g] = levels
	}
	slices.Sort(order)
	for _, g := range order {
		levels := byGroup[g]
		parts := make([]string, len(levels))
		for i, alts := range levels {
			slices.Sort(alts)
			quoted := make([]string, len(alts))
			for j, a := range alts {
				quoted[j] = regexp.QuoteMeta(a)
			}
			parts[i] = "^(?:" + strings.Join(quoted, "|") + ")$"
		}
		groups = append(groups, strings.Join(parts, "/"))
	}
	var cpus []string
	for _, p := range slices.Sorted(maps.Keys(procs)) {
		cpus = append(cpus, strconv.Itoa(p))
	}
	return groups, strings.Join(cpus, ",")
}

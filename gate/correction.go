package gate

import (
	"cmp"
	"fmt"
	"slices"
)

// Correction is how significance is adjusted for testing many rows at once.
type Correction int

const (
	// Holm is the Holm-Bonferroni step-down procedure: it keeps the
	// family-wise error rate (the chance of at least one false
	// "significant" row in the run) at alpha, and rejects at least what
	// plain Bonferroni rejects.
	Holm Correction = iota
	// NoCorrection tests each row at alpha alone, as benchstat does.
	NoCorrection
)

// ParseCorrection parses "holm" or "none".
func ParseCorrection(s string) (Correction, error) {
	switch s {
	case "holm":
		return Holm, nil
	case "none":
		return NoCorrection, nil
	}
	return 0, fmt.Errorf("unknown correction %q (want holm or none)", s)
}

func (c Correction) String() string {
	if c == NoCorrection {
		return "no correction"
	}
	return "Holm-Bonferroni"
}

// tests returns the indices of rows that take part in the test family:
// both sides present, enough samples, and not every value identical (the
// U-test has nothing to test there; benchmath reports p = 1).
func tests(rows []Row) []int {
	var idx []int
	for i, r := range rows {
		if r.Old == nil || r.New == nil || r.Verdict == Undecided || allEqual(r) {
			continue
		}
		idx = append(idx, i)
	}
	return idx
}

func allEqual(r Row) bool {
	v := r.Old.Values[0]
	for _, s := range [][]float64{r.Old.Values, r.New.Values} {
		// Sample values are sorted: the ends bound the rest.
		if s[0] != v || s[len(s)-1] != v {
			return false
		}
	}
	return true
}

// significant reports, per row index in tested, whether the row's p-value
// is significant at family-wise level alpha.
func (c Correction) significant(rows []Row, tested []int, alpha float64) map[int]bool {
	sig := make(map[int]bool, len(tested))
	if c == NoCorrection {
		for _, i := range tested {
			sig[i] = rows[i].Comparison.P < alpha
		}
		return sig
	}
	// Holm: walk p-values upwards; the k-th smallest (from 0) must be below
	// alpha/(m-k); the first that is not stops the walk.
	order := slices.Clone(tested)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rows[a].Comparison.P, rows[b].Comparison.P) })
	m := len(order)
	for k, i := range order {
		if !(rows[i].Comparison.P < alpha/float64(m-k)) {
			break
		}
		sig[i] = true
	}
	return sig
}

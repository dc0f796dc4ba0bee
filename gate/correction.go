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
// timed rows only (exact rows need no statistics, shown rows never gate),
// with both sides, enough pairs, and some pair that moved (with every ratio
// 1 the signed-rank test has nothing to test).
func tests(rows []Row) []int {
	var idx []int
	for i, r := range rows {
		if r.Kind != Timed || r.Old == nil || r.New == nil || r.Verdict == Undecided || r.Paired.N == 0 || r.Paired.P == 1 && r.Paired.PBetter == 1 {
			continue
		}
		idx = append(idx, i)
	}
	return idx
}

// significant reports, per row index in tested, whether the row's p-value
// is significant at family-wise level alpha.
func (c Correction) significant(rows []Row, tested []int, alpha float64) map[int]bool {
	sig := make(map[int]bool, len(tested))
	if c == NoCorrection {
		for _, i := range tested {
			sig[i] = rows[i].Paired.P < alpha
		}
		return sig
	}
	// Holm: walk p-values upwards; the k-th smallest (from 0) must be below
	// alpha/(m-k); the first that is not stops the walk.
	order := slices.Clone(tested)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rows[a].Paired.P, rows[b].Paired.P) })
	m := len(order)
	for k, i := range order {
		if !(rows[i].Paired.P < alpha/float64(m-k)) {
			break
		}
		sig[i] = true
	}
	return sig
}

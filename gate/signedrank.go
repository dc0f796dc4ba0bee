package gate

import (
	"cmp"
	"math"
	"slices"
)

// SignedRank is the one-sided Wilcoxon signed-rank test of paired
// differences d (here: log(new/old) in the unit's worse direction, one per
// round): it returns the exact probability, when d is symmetric about zero,
// of a positive-rank sum at least as large as the one observed, and the
// number of pairs it used. Zero differences carry no sign and are dropped,
// as Wilcoxon does; tied magnitudes share their mean rank. With n pairs the
// smallest p it can return is 2^-n (every pair worse).
//
// Why this test: each round runs old and new back to back in random order,
// so under "no change" each difference is as likely positive as negative
// whatever the machine did during that round; the signed-rank test needs
// nothing more, and it weighs a pair by how far it moved, which the sign
// test throws away.
func SignedRank(d []float64) (p float64, n int) {
	abs := make([]float64, 0, len(d))
	for _, v := range d {
		if v != 0 {
			abs = append(abs, v)
		}
	}
	n = len(abs)
	if n == 0 {
		return 1, 0
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(math.Abs(abs[a]), math.Abs(abs[b])) })
	// Ranks doubled, so mean ranks of ties stay integers: a tie group over
	// sorted positions i..j-1 (ranks i+1..j) gets 2*mean = i+1+j.
	rank2 := make([]int, n)
	for i := 0; i < n; {
		j := i + 1
		for j < n && math.Abs(abs[idx[j]]) == math.Abs(abs[idx[i]]) {
			j++
		}
		for k := i; k < j; k++ {
			rank2[k] = i + 1 + j
		}
		i = j
	}
	observed, total := 0, 0
	for k, i := range idx {
		total += rank2[k]
		if abs[i] > 0 {
			observed += rank2[k]
		}
	}
	// ways[s] counts the sign assignments whose positive doubled-rank sum is
	// s; each of the 2^n assignments is equally likely under the null.
	ways := make([]float64, total+1)
	ways[0] = 1
	reach := 0
	for _, r := range rank2 {
		for s := reach; s >= 0; s-- {
			if ways[s] != 0 {
				ways[s+r] += ways[s]
			}
		}
		reach += r
	}
	var tail float64
	for s := observed; s <= total; s++ {
		tail += ways[s]
	}
	return tail / math.Exp2(float64(n)), n
}

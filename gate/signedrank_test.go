package gate

import (
	"math"
	"testing"
)

func TestSignedRank(t *testing.T) {
	for _, tc := range []struct {
		name  string
		d     []float64
		wantP float64
		wantN int
	}{
		// All n worse: only one of 2^n sign patterns is as extreme.
		{"all-worse-5", []float64{0.1, 0.2, 0.3, 0.4, 0.5}, 1.0 / 32, 5},
		// All better: every pattern has a positive sum >= 0.
		{"all-better", []float64{-0.1, -0.2, -0.3}, 1, 3},
		// n=3, positive ranks {2,3} (W+=5): patterns with W+ >= 5 are
		// {2,3} and {1,2,3}: 2 of 8.
		{"n3-w5", []float64{-0.1, 0.2, 0.3}, 2.0 / 8, 3},
		// Zeros are dropped before ranking.
		{"zeros-dropped", []float64{0, 0.1, 0, 0.2}, 1.0 / 4, 2},
		{"all-zero", []float64{0, 0}, 1, 0},
		// Tied magnitudes: ranks 1.5,1.5,3 (doubled 3,3,6); positive {3,6}
		// doubled sum 9: patterns reaching 9 are {3,6},{3',6},{3,3',6}: 3 of 8.
		{"ties", []float64{0.1, -0.1, 0.2}, 3.0 / 8, 3},
	} {
		p, n := SignedRank(tc.d)
		if n != tc.wantN || math.Abs(p-tc.wantP) > 1e-12 {
			t.Errorf("%s: SignedRank = p %v n %d, want p %v n %d", tc.name, p, n, tc.wantP, tc.wantN)
		}
	}
}

// TestSignedRankNullIsUniform checks the exact distribution against brute
// force: for n=10 distinct magnitudes, the share of the 1024 sign patterns
// whose p is <= 0.05 must itself be <= 0.05 (the test is exact, so it never
// alarms more often than alpha under the null).
func TestSignedRankNullIsUniform(t *testing.T) {
	const n = 10
	rejected := 0
	for mask := 0; mask < 1<<n; mask++ {
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(i + 1)
			if mask&(1<<i) == 0 {
				d[i] = -d[i]
			}
		}
		if p, _ := SignedRank(d); p <= 0.05 {
			rejected++
		}
	}
	if share := float64(rejected) / (1 << n); share > 0.05 || share < 0.04 {
		t.Errorf("null rejection share at alpha 0.05 = %v, want in [0.04, 0.05]", share)
	}
}

package results

import (
	"testing"
	"time"
)

func levels(conns []int, rps []float64, p99ms []float64) []Level {
	ls := make([]Level, len(conns))
	for i := range conns {
		ls[i] = Level{Workers: conns[i], ReqPerSec: rps[i], P99: time.Duration(p99ms[i] * float64(time.Millisecond))}
	}
	return ls
}

func TestFindKnee(t *testing.T) {
	conns := []int{1, 4, 16, 64, 256, 1024}
	for _, tc := range []struct {
		name  string
		rps   []float64
		p99ms []float64
		want  int // 0: no knee
	}{
		{"saturates at 16", []float64{10e3, 38e3, 80e3, 82e3, 81e3, 79e3}, []float64{.1, .12, .3, 1, 4, 16}, 16},
		{"keeps scaling", []float64{10e3, 20e3, 40e3, 80e3, 160e3, 320e3}, []float64{.1, .1, .1, .1, .1, .1}, 0},
		// Growth of exactly 5% is growth: the knee is the next level.
		{"5% is still growth", []float64{10e3, 40e3, 80e3, 84e3, 84.1e3, 84e3}, []float64{.1, .1, .2, .8, 3, 12}, 64},
		// A late surge past 5% moves the knee beyond it.
		{"late surge", []float64{10e3, 40e3, 41e3, 41e3, 60e3, 61e3}, []float64{.1, .2, .8, 3, 5, 20}, 256},
		// Flat req/s with flat p99 is not saturation (nothing queues).
		{"flat p99", []float64{10e3, 10e3, 10e3, 10e3, 10e3, 10e3}, []float64{1, 1, 1, 1, 1, 1}, 0},
		// p99 dipping below the knee's level breaks the "keeps rising".
		{"p99 dips", []float64{10e3, 40e3, 80e3, 80e3, 80e3, 80e3}, []float64{.1, .2, .5, .4, 2, 8}, 64},
		{"collapse", []float64{10e3, 40e3, 20e3, 10e3, 5e3, 1e3}, []float64{.1, .2, 1, 5, 20, 90}, 4},
	} {
		got, ok := FindKnee(levels(conns, tc.rps, tc.p99ms))
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("%s: FindKnee = %d, %v; want %d", tc.name, got, ok, tc.want)
		}
	}
	if _, ok := FindKnee(levels([]int{8}, []float64{1}, []float64{1})); ok {
		t.Error("a single level has no knee")
	}
	if _, ok := FindKnee(nil); ok {
		t.Error("no levels, no knee")
	}
}

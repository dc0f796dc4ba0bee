package harness

import (
	"testing"
	"time"
)

func levels(conns []int, rps []float64, p99ms []float64) []Level {
	ls := make([]Level, len(conns))
	for i := range conns {
		ls[i] = Level{Conns: conns[i], ReqPerSec: rps[i], P99: time.Duration(p99ms[i] * float64(time.Millisecond))}
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

func TestKneesUseMedians(t *testing.T) {
	pt := func(pool string, conns, rep int, rps float64, p99 time.Duration) Point {
		return Point{Server: "s", Pool: pool, Conns: conns, Rep: rep, Requests: int64(rps), Window: time.Second, Latency: Latency{P99: p99}}
	}
	ms := time.Millisecond
	var points []Point
	// Pool a saturates at 2 conns; one outlier rep at 4 conns (3x req/s)
	// must not move the knee, because the median ignores it.
	for rep, outlier := range []float64{1, 3, 1} {
		points = append(points,
			pt("a", 1, rep+1, 100, ms), pt("a", 2, rep+1, 200, 2*ms), pt("a", 4, rep+1, 200*outlier, 4*ms), pt("a", 8, rep+1, 201, 8*ms),
			pt("b", 1, rep+1, 100, ms), pt("b", 2, rep+1, 200, ms), pt("b", 4, rep+1, 400, ms), pt("b", 8, rep+1, 800, ms))
	}
	ks := Knees(points)
	want := []Knee{{Server: "s", Pool: "a", Conns: 2, Found: true, MaxConns: 8}, {Server: "s", Pool: "b", MaxConns: 8}}
	if len(ks) != len(want) {
		t.Fatalf("Knees = %+v, want %+v", ks, want)
	}
	for i := range want {
		if ks[i] != want[i] {
			t.Errorf("knee %d = %+v, want %+v", i, ks[i], want[i])
		}
	}
}

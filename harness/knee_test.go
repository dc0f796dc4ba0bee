package harness

import (
	"testing"
	"time"
)

func TestKneesUseMedians(t *testing.T) {
	pt := func(pool string, conns, rep int, rps float64, p99 time.Duration) Point {
		return Point{Server: "s", Pool: pool, Workers: conns, MaxConns: conns, Rep: rep, Requests: int64(rps), Window: time.Second, Latency: Latency{P99: p99}}
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
	// Points whose pool is smaller than their workers are not on the
	// knee's curve.
	points = append(points, Point{Server: "s", Pool: "a", Workers: 16, MaxConns: 2, Rep: 1, Requests: 9999, Window: time.Second, Latency: Latency{P99: 100 * ms}})
	ks := Knees(points)
	want := []Knee{{Server: "s", Pool: "a", Workers: 2, Found: true, MaxWorkers: 8}, {Server: "s", Pool: "b", MaxWorkers: 8}}
	if len(ks) != len(want) {
		t.Fatalf("Knees = %+v, want %+v", ks, want)
	}
	for i := range want {
		if ks[i] != want[i] {
			t.Errorf("knee %d = %+v, want %+v", i, ks[i], want[i])
		}
	}
}

package bench

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "unsafe" // for go:linkname

	"github.com/HdrHistogram/hdrhistogram-go"
)

// nanotime is the runtime's monotonic clock, which the runtime marks for
// linkname use; it calibrates ticks.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// nsPerTick converts ticks to nanoseconds: it spins for calibrateFor and
// divides the clocks' progress, once per process.
var nsPerTick = sync.OnceValue(func() float64 {
	const calibrateFor = 5 * time.Millisecond
	n0, t0 := nanotime(), ticks()
	for nanotime()-n0 < int64(calibrateFor) {
	}
	return float64(nanotime()-n0) / float64(ticks()-t0)
})

// Wait histograms count ticks from 1 up to a minute's worth, at 2
// significant digits (1% resolution at every magnitude), which keeps each one
// small enough to sit in cache.
const (
	waitMin     = 1
	waitSigFigs = 2
)

// waitMax is a minute in ticks.
func waitMax() int64 { return int64(float64(time.Minute) / nsPerTick()) }

// waitRecorder records how long each Get waited, in one histogram per
// goroutine (no sharing on the hot path), merged when the run ends.
type waitRecorder struct {
	next atomic.Int64
	gs   []goroutineWaits
	max  int64 // the histograms' highest value, in ticks
}

// goroutineWaits is one goroutine's record, padded so that neighbours'
// max updates do not share a cache line.
type goroutineWaits struct {
	h     *hdrhistogram.Histogram
	max   int64 // the longest wait, in ticks
	limit int64 // the histogram's highest value
	_     [40]byte
}

// newWaitRecorder allocates a record for each of n goroutines, before the
// benchmark timer starts.
func newWaitRecorder(n int) *waitRecorder {
	r := &waitRecorder{gs: make([]goroutineWaits, n), max: waitMax()}
	for i := range r.gs {
		r.gs[i].h = hdrhistogram.New(waitMin, r.max, waitSigFigs)
		r.gs[i].limit = r.max
	}
	return r
}

// goroutine hands the calling goroutine its own record; nil r gives nil,
// which records nothing.
func (r *waitRecorder) goroutine() *goroutineWaits {
	if r == nil {
		return nil
	}
	return &r.gs[r.next.Add(1)-1]
}

func (g *goroutineWaits) start() int64 {
	if g == nil {
		return 0
	}
	return ticks()
}

func (g *goroutineWaits) stop(start int64) {
	if g == nil {
		return
	}
	w := min(max(ticks()-start, waitMin), g.limit)
	_ = g.h.RecordValue(w) // in range by the clamp above
	g.max = max(g.max, w)
}

// report merges the goroutines' records into p99-wait-ns and max-wait-ns
// metrics on b. It fails when the merged count is not want (one wait per
// Get), which would mean a goroutine's record was lost or shared.
func (r *waitRecorder) report(b *testing.B, want int) error {
	merged := hdrhistogram.New(waitMin, r.max, waitSigFigs)
	var longest int64
	for i := range r.gs {
		merged.Merge(r.gs[i].h)
		longest = max(longest, r.gs[i].max)
	}
	if got := merged.TotalCount(); got != int64(want) {
		return fmt.Errorf("recorded %d waits for %d Gets", got, want)
	}
	// The histogram reports the top of the p99's bucket, up to 1% above the
	// true value, which can overshoot the exact max when the two are close.
	p99 := min(merged.ValueAtQuantile(99), longest)
	ns := nsPerTick()
	b.ReportMetric(float64(p99)*ns, "p99-wait-ns")
	b.ReportMetric(float64(longest)*ns, "max-wait-ns")
	return nil
}

// BenchmarkWaitRecorder is the cost the exhausted scenarios add to each Get
// for measuring its wait: two clock reads and a histogram record.
func BenchmarkWaitRecorder(b *testing.B) {
	g := newWaitRecorder(1).goroutine()
	for b.Loop() {
		g.stop(g.start())
	}
}

// TestTicks checks that ticks, converted with nsPerTick, agree with the
// runtime's clock over a 2ms spin to within 5%. A preemption between the
// paired reads can skew one try, so one good try of five is enough.
func TestTicks(t *testing.T) {
	const span = 2 * time.Millisecond
	var ratios []float64
	for range 5 {
		n0, t0 := nanotime(), ticks()
		for nanotime()-n0 < int64(span) {
		}
		t1, n1 := ticks(), nanotime()
		r := float64(t1-t0) * nsPerTick() / float64(n1-n0)
		if r > 0.95 && r < 1.05 {
			return
		}
		ratios = append(ratios, r)
	}
	t.Fatalf("ticks x nsPerTick / runtime clock over %v: %.3f in every try, want 1 +- 5%%", span, ratios)
}

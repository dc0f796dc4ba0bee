package bench

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
	_ "unsafe" // for go:linkname

	"github.com/HdrHistogram/hdrhistogram-go"
)

// nanotime is the runtime's monotonic clock. It costs one vDSO read, where
// time.Now costs two (wall and monotonic) and builds a Time; on a Get that
// takes a few hundred nanoseconds the difference matters. The runtime marks it
// for linkname use.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Wait histograms: 1ns to one minute, 2 significant digits (1% resolution at
// every magnitude) keeps each one small enough to sit in cache.
const (
	waitMin     = 1
	waitMax     = int64(time.Minute)
	waitSigFigs = 2
)

// waitRecorder records how long each Get waited, in one histogram per
// goroutine (no sharing on the hot path), merged when the run ends.
type waitRecorder struct {
	next atomic.Int64
	gs   []goroutineWaits
}

// goroutineWaits is one goroutine's record, padded so that neighbours'
// max updates do not share a cache line.
type goroutineWaits struct {
	h   *hdrhistogram.Histogram
	max int64
	_   [48]byte
}

// newWaitRecorder allocates a record for each of n goroutines, before the
// benchmark timer starts.
func newWaitRecorder(n int) *waitRecorder {
	r := &waitRecorder{gs: make([]goroutineWaits, n)}
	for i := range r.gs {
		r.gs[i].h = hdrhistogram.New(waitMin, waitMax, waitSigFigs)
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
	return nanotime()
}

func (g *goroutineWaits) stop(start int64) {
	if g == nil {
		return
	}
	w := min(max(nanotime()-start, waitMin), waitMax)
	_ = g.h.RecordValue(w) // in range by the clamp above
	g.max = max(g.max, w)
}

// report merges the goroutines' records into p99-wait-ns and max-wait-ns
// metrics on b. It fails when the merged count is not want (one wait per
// Get), which would mean a goroutine's record was lost or shared.
func (r *waitRecorder) report(b *testing.B, want int) error {
	merged := hdrhistogram.New(waitMin, waitMax, waitSigFigs)
	var longest int64
	for i := range r.gs {
		merged.Merge(r.gs[i].h)
		longest = max(longest, r.gs[i].max)
	}
	if got := merged.TotalCount(); got != int64(want) {
		return fmt.Errorf("recorded %d waits for %d Gets", got, want)
	}
	b.ReportMetric(float64(merged.ValueAtQuantile(99)), "p99-wait-ns")
	b.ReportMetric(float64(longest), "max-wait-ns")
	return nil
}

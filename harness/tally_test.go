package harness

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// TestMerged: merged sums the shards' histograms to the same counts as the
// library's Merge of each, and adds up their counters.
func TestMerged(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var ts []*tally
	wantHist := hdrhistogram.New(histMin, histMax, histDigits)
	wantWaits := hdrhistogram.New(histMin, histMax, histDigits)
	var ops int64
	for range 5 {
		s := &shard{t: newTally()}
		for range 1000 + rng.IntN(1000) {
			// Latencies from 1 µs to 60 s, log-uniform, so every bucket range is used.
			lat := time.Duration(float64(time.Microsecond) * float64(int64(1)<<rng.IntN(26)) * (1 + rng.Float64()))
			s.ok(lat, lat/2)
			ops++
		}
		s.fail(errTimeoutForTest{})
		wantHist.Merge(s.t.hist)
		wantWaits.Merge(s.t.waits)
		ts = append(ts, &s.t)
	}
	got := merged(ts)
	if got.ops != ops || got.errors() != int64(len(ts)) {
		t.Errorf("merged %d ops, %d errors; want %d and %d", got.ops, got.errors(), ops, len(ts))
	}
	for _, c := range []struct {
		name      string
		got, want *hdrhistogram.Histogram
	}{{"latency", got.hist, wantHist}, {"wait", got.waits, wantWaits}} {
		if c.got.TotalCount() != c.want.TotalCount() || !slices.Equal(c.got.Export().Counts, c.want.Export().Counts) {
			t.Errorf("%s: merged %d values, Merge %d, or their buckets differ", c.name, c.got.TotalCount(), c.want.TotalCount())
		}
	}
	if e := merged(nil); e.ops != 0 || e.hist.TotalCount() != 0 {
		t.Errorf("merged of no tallies: %d ops, %d values", e.ops, e.hist.TotalCount())
	}
}

// errTimeoutForTest is a failure Classify files as a timeout.
type errTimeoutForTest struct{}

func (errTimeoutForTest) Error() string   { return "i/o timeout" }
func (errTimeoutForTest) Timeout() bool   { return true }
func (errTimeoutForTest) Temporary() bool { return true }

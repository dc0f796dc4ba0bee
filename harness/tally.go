package harness

import (
	"runtime"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/results"
)

// Latency histograms track 1 ns to 60 s at 3 significant digits (0.1%).
// Longer latencies are recorded as 60 s; requests time out well before.
const (
	histMin    = 1
	histMax    = int64(60 * time.Second)
	histDigits = 3
)

// maxShards caps the latency histograms of one point. A histogram of the
// range above is about 220 KB, so one per worker is fine up to a few dozen
// workers but 2 GB at 10,000; beyond maxShards workers share histograms,
// worker i recording into shard i % maxShards. Only goroutines running at
// once contend for a shard's lock, at most GOMAXPROCS of them, so a point
// has no more than shardsPerProc shards per P: on 2 cores 16, where 64
// cost a point ~28 MB of histograms to clear and sum.
const (
	maxShards     = 64
	shardsPerProc = 8
)

// shardCount is how many shards a point of workers records into.
func shardCount(workers int) int {
	return max(1, min(workers, maxShards, shardsPerProc*runtime.GOMAXPROCS(0)))
}

// shard is what the workers recording into it have measured.
type shard struct {
	mu sync.Mutex
	// Guarded by mu.
	t tally
	_ [64]byte // keep neighbouring shards' locks off one cache line
}

// tally is the measurement of a set of requests.
type tally struct {
	hist    *hdrhistogram.Histogram // latency of each successful request, ns
	waits   *hdrhistogram.Histogram // time each successful request spent in Get, ns
	ops     int64                   // successful requests
	waitSum time.Duration           // total time successful requests spent in Get
	waited  int64                   // successful requests that spent results.WaitThreshold or more in Get
	max     time.Duration           // exact maximum latency (the histogram rounds)
	maxWait time.Duration           // exact maximum time in Get
	errs    [numClasses]int64       // failed requests by class
	other   error                   // first error of class Other, for the progress log
}

func newTally() tally {
	return tally{hist: hdrhistogram.New(histMin, histMax, histDigits), waits: hdrhistogram.New(histMin, histMax, histDigits)}
}

// ok records a successful request.
func (s *shard) ok(latency, wait time.Duration) {
	v := min(max(int64(latency), histMin), histMax)
	w := min(max(int64(wait), histMin), histMax)
	s.mu.Lock()
	s.t.hist.RecordValue(v) // cannot fail: v is in range
	s.t.waits.RecordValue(w)
	s.t.ops++
	s.t.waitSum += wait
	if wait >= results.WaitThreshold {
		s.t.waited++
	}
	s.t.max = max(s.t.max, latency)
	s.t.maxWait = max(s.t.maxWait, wait)
	s.mu.Unlock()
}

// fail records a failed request.
func (s *shard) fail(err error) {
	c := Classify(err)
	s.mu.Lock()
	s.t.errs[c]++
	if c == Other && s.t.other == nil {
		s.t.other = err
	}
	s.mu.Unlock()
}

// merged returns the tally of all of ts. Their histograms are summed bucket
// by bucket (they share newTally's geometry): Histogram.Merge walks every
// bucket of each through an iterator, which at 64 shards a point took ~20
// ms of CPU, more than the sweep's 30 ms windows.
func merged(ts []*tally) tally {
	t := newTally()
	if len(ts) == 0 {
		return t
	}
	hists, waits := make([]*hdrhistogram.Histogram, len(ts)), make([]*hdrhistogram.Histogram, len(ts))
	for i, u := range ts {
		hists[i], waits[i] = u.hist, u.waits
		t.add(u)
	}
	t.hist, t.waits = sumHistograms(hists), sumHistograms(waits)
	return t
}

// sumHistograms returns a histogram of every value recorded in hs, which
// share one geometry.
func sumHistograms(hs []*hdrhistogram.Histogram) *hdrhistogram.Histogram {
	sum := hs[0].Export()
	for _, h := range hs[1:] {
		for i, c := range h.Export().Counts {
			sum.Counts[i] += c
		}
	}
	return hdrhistogram.Import(sum)
}

// add adds u's counters to t's, not its histograms (merged sums those).
func (t *tally) add(u *tally) {
	t.ops += u.ops
	t.waitSum += u.waitSum
	t.waited += u.waited
	t.max = max(t.max, u.max)
	t.maxWait = max(t.maxWait, u.maxWait)
	for c := range t.errs {
		t.errs[c] += u.errs[c]
	}
	if t.other == nil {
		t.other = u.other
	}
}

// errors returns the number of failed requests.
func (t *tally) errors() int64 {
	var n int64
	for _, e := range t.errs {
		n += e
	}
	return n
}

// Latency is the latency distribution of a point's successful requests.
type Latency struct {
	P50, P90, P99, P999, Max time.Duration
}

// latency reads the percentiles off t's histogram, as results.Percentiles
// does (poolbench merge reads a merged histogram the same way).
func (t *tally) latency() Latency {
	q := results.Percentiles(t.hist)
	return Latency{
		P50: time.Duration(q[0].Value), P90: time.Duration(q[1].Value), P99: time.Duration(q[2].Value), P999: time.Duration(q[3].Value),
		Max: t.max,
	}
}

// wait reads the time in Get off t; zero when no request succeeded.
func (t *tally) wait() Wait {
	if t.ops == 0 {
		return Wait{}
	}
	q := t.waits.ValueAtPercentilesSlice([]float64{50, 99})
	return Wait{
		Mean: t.waitSum / time.Duration(t.ops),
		P50:  time.Duration(q[0]), P99: time.Duration(q[1]), Max: t.maxWait,
		Waited: float64(t.waited) / float64(t.ops),
	}
}

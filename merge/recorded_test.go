package merge

import (
	"path/filepath"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/results"
)

// TestMergeHalvesOfARecordedRun takes a run recorded by poolbench sweep
// (testdata/recorded-run.txt: net, ring, 8 conns, 1s, on loopback, written
// as shard 0/1 so it carries its histogram), splits its histogram into two
// halves (alternate buckets), writes them as shards 0/2 and 1/2 and merges
// them: the merge must give the percentiles, max and requests the sweep
// itself wrote for the whole run, exactly.
func TestMergeHalvesOfARecordedRun(t *testing.T) {
	set, err := results.ReadFile(filepath.Join("testdata", "recorded-run.txt"))
	if err != nil {
		t.Fatal(err)
	}
	pts := set.Points(results.Echo)
	if len(pts) != 1 || len(set.Hists) != 1 || len(set.Results) != 1 {
		t.Fatalf("recorded run: %d points, %d histograms; want 1 and 1", len(pts), len(set.Hists))
	}
	run, hist := pts[0], set.Hists[0]
	if hist.Hist.TotalCount() != int64(run.Iters) {
		t.Fatalf("recorded run: histogram of %d requests, result of %d", hist.Hist.TotalCount(), run.Iters)
	}

	var halves [2]*hdrhistogram.Histogram
	for i := range halves {
		halves[i] = hdrhistogram.New(hist.Hist.LowestTrackableValue(), hist.Hist.HighestTrackableValue(), int(hist.Hist.SignificantFigures()))
	}
	// Alternate occupied buckets go to alternate halves, so that neither
	// half has the run's percentiles: only their union does.
	k := 0
	for _, bar := range hist.Hist.Distribution() {
		if bar.Count == 0 {
			continue
		}
		if err := halves[k%2].RecordValues(bar.From, bar.Count); err != nil {
			t.Fatal(err)
		}
		k++
	}
	for i, h := range halves {
		if slicesEqual(results.Percentiles(h), results.Percentiles(hist.Hist)) {
			t.Fatalf("half %d has the run's percentiles; the test would not tell a union from it", i)
		}
	}
	maxNs, _ := run.Value(results.MaxLat)
	window := hist.End.Sub(hist.Start).Seconds()
	dir := t.TempDir()
	var files []string
	for i, h := range halves {
		shard := []string{"0/2", "1/2"}[i]
		var cfg []results.KV
		for _, c := range set.Results[0].Config {
			v := string(c.Value)
			if results.Key(c.Key) == results.Shard {
				v = shard
			}
			cfg = append(cfg, results.KV{Key: results.Key(c.Key), Value: v})
		}
		// The exact max is the first half's; the second's is at most its
		// top bucket's and the run's.
		m := maxNs
		if i == 1 {
			m = min(float64(h.Max()), maxNs-1)
		}
		vals := []results.Value{{Unit: results.ReqPerSec, Value: float64(h.TotalCount()) / window}}
		vals = append(vals, results.Percentiles(h)...)
		vals = append(vals, results.Value{Unit: results.MaxLat, Value: m}, results.Value{Unit: results.Errors, Value: 0})
		path := filepath.Join(dir, "shard"+string(rune('0'+i))+".txt")
		err := results.WriteFile(path, func(w *results.Writer) error {
			if err := w.Write(results.Result{Name: run.Name, Procs: run.Procs, Iters: int(h.TotalCount()), Config: cfg, Values: vals}); err != nil {
				return err
			}
			return w.WriteHist(results.Hist{Name: run.Name, Rep: 1, Start: hist.Start, End: hist.End, Hist: h})
		})
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}

	m, err := Files(files)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Points[0].Result
	for _, u := range append([]results.Unit{results.MaxLat}, results.P50, results.P90, results.P99, results.P999) {
		want, _ := run.Value(u)
		var v float64
		for _, gv := range got.Values {
			if gv.Unit.Name == u.Name {
				v = gv.Value
			}
		}
		if v != want {
			t.Errorf("%s: merged %v, the recorded run's %v", u.Name, v, want)
		}
	}
	if got.Iters != run.Iters {
		t.Errorf("requests: merged %d, recorded %d", got.Iters, run.Iters)
	}
}

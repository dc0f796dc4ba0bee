package merge

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/results"
)

// The latency histogram's range and precision, as the harness records it.
const (
	histMin    = 1
	histMax    = int64(60 * time.Second)
	histDigits = 3
)

// run is what one load of one point measured: every request's latency,
// and the counts beside them.
type run struct {
	hist   *hdrhistogram.Histogram
	max    int64 // exact
	errors int64
	dials  int64
	waitNs int64 // total time in Get
	window Window
}

func newRun(w Window) *run {
	return &run{hist: hdrhistogram.New(histMin, histMax, histDigits), window: w}
}

func (r *run) record(latency int64) {
	if err := r.hist.RecordValue(latency); err != nil {
		panic(err)
	}
	r.max = max(r.max, latency)
}

// result is r as the sweep writes it: its percentiles off its histogram.
func (r *run) result(shard string, extra ...results.Value) results.Result {
	n := r.hist.TotalCount()
	secs := r.window.End.Sub(r.window.Start).Seconds()
	v := []results.Value{{Unit: results.ReqPerSec, Value: float64(n) / secs}}
	if n > 0 {
		v = append(v, results.Percentiles(r.hist)...)
		v = append(v, results.Value{Unit: results.MaxLat, Value: float64(r.max)})
	}
	v = append(v, results.Value{Unit: results.Errors, Value: float64(r.errors)}, results.Value{Unit: results.Dials, Value: float64(r.dials)})
	if n > 0 {
		v = append(v, results.Value{Unit: results.WaitPerOp, Value: float64(r.waitNs) / float64(n)})
	}
	v = append(v, extra...)
	cfg := []results.KV{{Key: "cpu", Value: "test cpu " + shard}, {Key: results.Duration, Value: "10s"}, {Key: results.Server, Value: "gnet"}}
	if shard != "" {
		cfg = append(cfg, results.KV{Key: results.Shard, Value: shard})
	}
	return results.Result{Name: echoName, Procs: 2, Iters: int(n), Config: cfg, Values: v}
}

var echoName = results.Name{Bench: results.Echo, Keys: []results.KV{{Key: results.Server, Value: "gnet"}, {Key: results.PoolKey, Value: "ring"}, {Key: results.MaxConns, Value: "64"}, {Key: results.Workers, Value: "64"}}}

// writeShard writes a shard file of one point per run, and returns its path.
func writeShard(t *testing.T, dir, shard string, runs ...*run) string {
	t.Helper()
	path := filepath.Join(dir, strings.ReplaceAll(shard, "/", "of")+".txt")
	err := results.WriteFile(path, func(w *results.Writer) error {
		for i, r := range runs {
			if err := w.Write(r.result(shard)); err != nil {
				return err
			}
			if err := w.WriteHist(results.Hist{Name: echoName, Rep: i + 1, Start: r.window.Start, End: r.window.End, Hist: r.hist}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

var t0 = time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)

func window(from, to time.Duration) Window { return Window{t0.Add(from), t0.Add(to)} }

// record fills whole and the two halves from one stream of requests: a
// long-tailed latency (log-normal around 200us, a few stalls of tens of
// ms), each request sent by one of two clients at random.
func record(whole *run, halves [2]*run, n int) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range n {
		lat := int64(200e3 * math.Exp(rng.NormFloat64()*0.8))
		if rng.IntN(1000) == 0 {
			lat = int64(10e6 + rng.IntN(40e6))
		}
		wait := int64(rng.IntN(5000))
		h := halves[rng.IntN(2)]
		for _, r := range []*run{whole, h} {
			r.record(lat)
			r.waitNs += wait
		}
	}
}

// TestMergeHalvesGivesTheRunsPercentiles records one run, splits its
// requests between two shards, merges the shards' files and wants the
// run's own percentiles, max, requests and mean wait exactly.
func TestMergeHalvesGivesTheRunsPercentiles(t *testing.T) {
	w := window(2*time.Second, 12*time.Second)
	whole := newRun(w)
	halves := [2]*run{newRun(w), newRun(w)}
	record(whole, halves, 200_000)
	halves[0].errors, halves[1].errors, whole.errors = 3, 4, 7
	halves[0].dials, halves[1].dials, whole.dials = 32, 32, 64

	// The test tells a union from one shard's view only if the halves differ.
	if slicesEqual(results.Percentiles(halves[0].hist), results.Percentiles(whole.hist)) {
		t.Fatal("the first half has the whole run's percentiles; the test would not tell")
	}

	dir := t.TempDir()
	// Given in the wrong order: shard indices, not argument order, decide.
	m, err := Files([]string{writeShard(t, dir, "1/2", halves[1]), writeShard(t, dir, "0/2", halves[0])})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Points) != 1 || m.Shards != 2 {
		t.Fatalf("%d points of %d shards, want 1 of 2", len(m.Points), m.Shards)
	}
	p := m.Points[0]
	got := map[string]float64{}
	for _, v := range p.Result.Values {
		got[v.Unit.Name] = v.Value
	}
	want := map[string]float64{}
	for _, v := range whole.result("").Values {
		want[v.Unit.Name] = v.Value
	}
	for _, lp := range results.LatencyPercentiles {
		u := lp.Unit.Name
		if got[u] != want[u] {
			t.Errorf("%s: merged %v, the run's %v", u, got[u], want[u])
		}
	}
	for _, u := range []string{results.MaxLat.Name, results.Errors.Name, results.Dials.Name} {
		if got[u] != want[u] {
			t.Errorf("%s: merged %v, the run's %v", u, got[u], want[u])
		}
	}
	if p.Result.Iters != int(whole.hist.TotalCount()) {
		t.Errorf("requests: merged %d, the run's %d", p.Result.Iters, whole.hist.TotalCount())
	}
	// Sums and weighted means of floats: equal to rounding, not bit for bit.
	for _, u := range []string{results.ReqPerSec.Name, results.WaitPerOp.Name} {
		if math.Abs(got[u]-want[u]) > 1e-9*want[u] {
			t.Errorf("%s: merged %v, the run's %v", u, got[u], want[u])
		}
	}
	if !p.Hist.Hist.Equals(whole.hist) {
		t.Error("the merged histogram differs from the run's")
	}
	if c := p.Common(); !c.Start.Equal(w.Start) || !c.End.Equal(w.End) {
		t.Errorf("common window %v, want %v", p.Common(), w)
	}
	if cfg := lookup(p.Result.Config, results.Shards); cfg != "2" {
		t.Errorf("merged config shards: %q, want 2", cfg)
	}
	if cfg := lookup(p.Result.Config, "cpu"); cfg != "test cpu 0/2 | test cpu 1/2" {
		t.Errorf("merged config cpu: %q, want both hosts'", cfg)
	}
	if p.Result.Procs != 4 {
		t.Errorf("merged GOMAXPROCS %d, want the shards' 2+2", p.Result.Procs)
	}
}

// TestMergedFileReadsBack writes a merge and reads it as any results file:
// benchfmt results whose values are the merge's, with its histogram.
func TestMergedFileReadsBack(t *testing.T) {
	w := window(0, time.Second)
	whole, halves := newRun(w), [2]*run{newRun(w), newRun(w)}
	record(whole, halves, 10_000)
	dir := t.TempDir()
	m, err := Files([]string{writeShard(t, dir, "0/2", halves[0]), writeShard(t, dir, "1/2", halves[1])})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "merged.txt")
	if err := results.WriteFile(out, m.Write); err != nil {
		t.Fatal(err)
	}
	set, err := results.ReadFile(out)
	if err != nil || len(set.Warnings) > 0 {
		t.Fatalf("read back: %v %q", err, set.Warnings)
	}
	pts := set.Points(results.Echo)
	if len(pts) != 1 || len(set.Hists) != 1 {
		t.Fatalf("%d points and %d histograms, want 1 and 1", len(pts), len(set.Hists))
	}
	p99, _ := pts[0].Value(results.P99)
	if want := float64(whole.hist.ValueAtPercentile(99)); p99 != want {
		t.Errorf("p99 read back %v, want %v", p99, want)
	}
	if !set.Hists[0].Hist.Equals(whole.hist) || !set.Hists[0].Start.Equal(w.Start) || !set.Hists[0].End.Equal(w.End) {
		t.Error("the histogram read back is not the union over the window")
	}
}

// TestMergeRefuses lists what does not merge: each case must fail with
// its reason.
func TestMergeRefuses(t *testing.T) {
	on := window(0, 10*time.Second)
	one := func() *run { r := newRun(on); r.record(1000); return r }
	cases := []struct {
		name  string
		files func(t *testing.T, dir string) []string
		want  string
	}{
		{"none", func(*testing.T, string) []string { return nil }, "no shard files"},
		{"duplicate-index", func(t *testing.T, dir string) []string {
			a := writeShard(t, dir, "0/2", one())
			b := filepath.Join(dir, "copy.txt")
			copyFile(t, a, b)
			return []string{a, b}
		}, "shard 0/2 given twice"},
		{"missing-shard", func(t *testing.T, dir string) []string {
			return []string{writeShard(t, dir, "0/3", one()), writeShard(t, dir, "2/3", one())}
		}, "shard(s) 1 of 3 missing"},
		{"different-counts", func(t *testing.T, dir string) []string {
			return []string{writeShard(t, dir, "0/2", one()), writeShard(t, dir, "1/3", one())}
		}, "is of 2 shards"},
		{"different-points", func(t *testing.T, dir string) []string {
			return []string{writeShard(t, dir, "0/2", one(), one()), writeShard(t, dir, "1/2", one())}
		}, "list different points"},
		{"windows-apart", func(t *testing.T, dir string) []string {
			late := newRun(window(10*time.Second, 20*time.Second))
			late.record(1000)
			return []string{writeShard(t, dir, "0/2", one()), writeShard(t, dir, "1/2", late)}
		}, "windows do not overlap"},
		{"not-a-shard", func(t *testing.T, dir string) []string {
			return []string{writeShard(t, dir, "0/2", one()), writeFile(t, dir, "plain.txt", "BenchmarkEcho/server=gnet/pool=ring/conns=64-2 1 5 req/s\n")}
		}, "not a shard file"},
		{"no-histogram", func(t *testing.T, dir string) []string {
			return []string{writeShard(t, dir, "0/2", one()), writeFile(t, dir, "nohist.txt", "shard: 1/2\nBenchmarkEcho/server=gnet/pool=ring/conns=64-2 1 5 req/s\n")}
		}, "has no histogram line"},
		{"damaged-histogram", func(t *testing.T, dir string) []string {
			a := writeShard(t, dir, "0/2", one())
			b := writeShard(t, dir, "1/2", one())
			data, _ := os.ReadFile(b)
			writeFile(t, dir, "1of2.txt", strings.Replace(string(data), ",HISTF", ",HISTX", 1))
			return []string{a, b}
		}, "1of2.txt:"},
		{"config-disagrees", func(t *testing.T, dir string) []string {
			a := writeShard(t, dir, "0/2", one())
			b := writeShard(t, dir, "1/2", one())
			data, _ := os.ReadFile(b)
			writeFile(t, dir, "1of2.txt", strings.Replace(string(data), "duration: 10s", "duration: 5s", 1))
			return []string{a, b}
		}, "configuration duration is"},
		{"unit-without-rule", func(t *testing.T, dir string) []string {
			a := writeShard(t, dir, "0/2", one())
			b := writeShard(t, dir, "1/2", one())
			data, _ := os.ReadFile(b)
			writeFile(t, dir, "1of2.txt", regexp.MustCompile(`(?m)^(Benchmark\S+ \d+ \S+ req/s)`).ReplaceAllString(string(data), "$1 0.5 jain"))
			return []string{a, b}
		}, "unit jain cannot be merged exactly"},
		{"missing-file", func(t *testing.T, dir string) []string {
			return []string{writeShard(t, dir, "0/2", one()), filepath.Join(dir, "absent.txt")}
		}, "no such file"},
		{"restart-result", func(t *testing.T, dir string) []string {
			return []string{writeShard(t, dir, "0/2", one()), writeFile(t, dir, "r.txt", "shard: 1/2\nBenchmarkRestart/server=gnet/pool=ring/model=closed/conns=64-2 1 0 failures\n")}
		}, "only Echo points merge"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Files(c.files(t, t.TempDir()))
			if err == nil {
				t.Fatalf("merged %d points, want an error containing %q", len(m.Points), c.want)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, c.want)
			}
		})
	}
}

// TestEveryEchoUnitHasARule makes adding a unit to an Echo point a
// decision about merging it: a rule, or a reason it has none.
func TestEveryEchoUnitHasARule(t *testing.T) {
	for _, u := range append(results.EchoUnits, results.StartErr, results.ErrorClass("reset")) {
		_, ruled := rules[u.Name]
		_, why := refused[u.Name]
		if _, err := ruleFor(u.Name); err != nil && !why {
			t.Errorf("unit %s: %v; give it a rule in rules or a reason in refused", u.Name, err)
		}
		if ruled && why {
			t.Errorf("unit %s both has a rule and is refused", u.Name)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Dir(to), filepath.Base(to), string(data))
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func slicesEqual(a, b []results.Value) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

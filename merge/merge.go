// Package merge combines the result files of the shards of one sharded
// sweep (poolbench sweep -shard I/N, one shard per client host, all aligned
// on -start-at) into one result file, exactly:
//
//   - req/s is summed: each shard's rate over its own window, the windows
//     coinciding, so the sum is the server's rate while all N shards were
//     loading it (the common window); the rate of a span where fewer shards
//     loaded is no rate of N shards, so nothing outside it counts;
//   - counts (errors, each error class, dials) are summed;
//   - every latency percentile is read off the union of the shards'
//     histograms (HdrHistogram merges without loss), the max is the largest
//     shard's exact max, per-request means are weighted by requests;
//   - start-err-ns is the latest shard's.
//
// It refuses, with one line, inputs it cannot merge exactly: shards whose
// point lists or configurations disagree, a shard index given twice or
// missing, windows that do not overlap, a unit with no exact rule, a point
// without its histogram. Knee results are dropped: each shard's knee is
// that of its own share of the load.
//
// It owns the merge rules only. It reads and writes through package
// results and must not know how a point is measured (harness) or judged
// (gate, report).
package merge

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/results"
)

// Merged is the merge of N shard files.
type Merged struct {
	Shards int
	Points []Point // in the order of shard 0's file
}

// Point is one merged point with the windows it was merged over.
type Point struct {
	Result results.Result
	// Hist is the union of the shards' histograms, over the common window.
	Hist results.Hist
	// Windows are the shards' measurement windows, by shard index.
	Windows []Window
}

// Window is a measurement window by one host's wall clock.
type Window struct{ Start, End time.Time }

// Common returns the window every shard of p was measuring in.
func (p Point) Common() Window { return Window{p.Hist.Start, p.Hist.End} }

// hostKeys are configuration keys that describe one client host, not the
// load; shards on different machines may differ in them.
var hostKeys = []results.Key{"cpu"}

// Files reads and merges the shard files at paths. Every error is about
// its input: a file missing or unreadable, or shards that do not merge.
func Files(paths []string) (*Merged, error) {
	if len(paths) == 0 {
		return nil, errors.New("no shard files given")
	}
	var shards []*shardFile
	for _, p := range paths {
		s, err := readShard(p)
		if err != nil {
			return nil, err
		}
		shards = append(shards, s)
	}
	if err := complete(shards); err != nil {
		return nil, err
	}
	slices.SortFunc(shards, func(a, b *shardFile) int { return a.index - b.index })
	first := shards[0]
	for _, s := range shards[1:] {
		if err := samePoints(first, s); err != nil {
			return nil, err
		}
	}
	m := &Merged{Shards: first.of}
	for i := range first.points {
		pts := make([]*point, len(shards))
		for j, s := range shards {
			pts[j] = s.points[i]
		}
		mp, err := mergePoint(first, pts)
		if err != nil {
			return nil, err
		}
		m.Points = append(m.Points, mp)
	}
	return m, nil
}

// complete checks that the shards are 0 to N-1 of one N, each once.
func complete(shards []*shardFile) error {
	of := shards[0].of
	byIndex := map[int]string{}
	for _, s := range shards {
		if s.of != of {
			return fmt.Errorf("%s is shard %d/%d but %s is of %d shards", s.path, s.index, s.of, shards[0].path, of)
		}
		if prev, ok := byIndex[s.index]; ok {
			return fmt.Errorf("shard %d/%d given twice: %s and %s", s.index, of, prev, s.path)
		}
		byIndex[s.index] = s.path
	}
	var missing []string
	for i := range of {
		if _, ok := byIndex[i]; !ok {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("shard(s) %s of %d missing: %d file(s) given", strings.Join(missing, ", "), of, len(shards))
	}
	return nil
}

// samePoints checks that s has the points of first, in the same order.
func samePoints(first, s *shardFile) error {
	for i := 0; i < max(len(first.points), len(s.points)); i++ {
		switch {
		case i >= len(s.points):
			return fmt.Errorf("%s and %s list different points: Benchmark%s is not in %s", first.path, s.path, first.points[i].key, s.path)
		case i >= len(first.points):
			return fmt.Errorf("%s and %s list different points: Benchmark%s is not in %s", first.path, s.path, s.points[i].key, first.path)
		case first.points[i].key != s.points[i].key:
			return fmt.Errorf("%s and %s list different points: Benchmark%s where the other has Benchmark%s", s.path, first.path, s.points[i].key, first.points[i].key)
		}
	}
	return nil
}

// mergePoint merges one point of every shard (pts, by shard index).
func mergePoint(first *shardFile, pts []*point) (Point, error) {
	p0 := pts[0]
	where := fmt.Sprintf("Benchmark%s", p0.key)
	for j, p := range pts[1:] {
		if err := sameConfig(p0, p); err != nil {
			return Point{}, fmt.Errorf("%s: %w (shard %d and shard %d)", where, err, 0, j+1)
		}
	}

	// The common window, and each shard's.
	common := Window{pts[0].hist.Start, pts[0].hist.End}
	windows := make([]Window, len(pts))
	for j, p := range pts {
		windows[j] = Window{p.hist.Start, p.hist.End}
		if p.hist.Start.After(common.Start) {
			common.Start = p.hist.Start
		}
		if p.hist.End.Before(common.End) {
			common.End = p.hist.End
		}
	}
	if !common.End.After(common.Start) {
		var ws []string
		for j, w := range windows {
			ws = append(ws, fmt.Sprintf("shard %d %s", j, w))
		}
		return Point{}, fmt.Errorf("%s: the shards' windows do not overlap (%s)", where, strings.Join(ws, ", "))
	}

	// The union of the latency histograms.
	union := hdrhistogram.New(p0.hist.Hist.LowestTrackableValue(), p0.hist.Hist.HighestTrackableValue(), int(p0.hist.Hist.SignificantFigures()))
	for j, p := range pts {
		h := p.hist.Hist
		if h.LowestTrackableValue() != union.LowestTrackableValue() || h.HighestTrackableValue() != union.HighestTrackableValue() ||
			h.SignificantFigures() != union.SignificantFigures() {
			return Point{}, fmt.Errorf("%s: shard %d's histogram has another range or precision than shard 0's", where, j)
		}
		if dropped := union.Merge(h); dropped != 0 {
			return Point{}, fmt.Errorf("%s: %d values of shard %d's histogram were lost in the merge", where, dropped, j)
		}
	}

	vals, err := mergeValues(pts, union)
	if err != nil {
		return Point{}, fmt.Errorf("%s: %w", where, err)
	}
	var out []results.Value
	for _, v := range vals {
		out = append(out, results.Value{Unit: results.Unit{Name: v.unit, Better: first.better(v.unit)}, Value: v.v})
	}
	procs := 0
	for _, p := range pts {
		procs += p.procs
	}
	return Point{
		Result: results.Result{
			Name: p0.name, Procs: procs, Iters: int(union.TotalCount()),
			Config: mergedConfig(pts, first.of), Values: out,
		},
		Hist:    results.Hist{Name: p0.name, Rep: p0.rep, Start: common.Start, End: common.End, Hist: union},
		Windows: windows,
	}, nil
}

// mergeValues combines the shards' values unit by unit, in the order of
// shard 0's result (units only some shards have, such as an error class,
// after them), each by its rule.
func mergeValues(pts []*point, union *hdrhistogram.Histogram) ([]value, error) {
	var units []string
	for _, p := range pts {
		for _, v := range p.values {
			if !slices.Contains(units, v.unit) {
				units = append(units, v.unit)
			}
		}
	}
	pct := map[string]float64{}
	if union.TotalCount() > 0 {
		for _, v := range results.Percentiles(union) {
			pct[v.Unit.Name] = v.Value
		}
	}
	var out []value
	for _, u := range units {
		r, err := ruleFor(u)
		if err != nil {
			return nil, err
		}
		var got float64
		var weight int64
		have := false
		for _, p := range pts {
			v, ok := p.value(u)
			if !ok {
				continue
			}
			switch r {
			case sum:
				got += v
			case largest:
				got = max(got, v)
				if !have {
					got = v
				}
			case perRequest:
				n := p.hist.Hist.TotalCount()
				got += v * float64(n)
				weight += n
			}
			have = true
		}
		switch r {
		case perRequest:
			if weight == 0 {
				continue
			}
			got /= float64(weight)
		case fromHist:
			v, ok := pct[u]
			if !ok {
				continue // no request succeeded in any shard
			}
			got = v
		}
		out = append(out, value{u, got})
	}
	return out, nil
}

// sameConfig checks that two shards measured a point under the same
// configuration, host keys and the shard key aside.
func sameConfig(a, b *point) error {
	keys := map[results.Key]bool{}
	for _, kv := range append(slices.Clone(a.config), b.config...) {
		keys[kv.Key] = true
	}
	for k := range keys {
		if k == results.Shard || slices.Contains(hostKeys, k) {
			continue
		}
		if va, vb := lookup(a.config, k), lookup(b.config, k); va != vb {
			return fmt.Errorf("configuration %s is %q in one shard and %q in another", k, va, vb)
		}
	}
	return nil
}

// mergedConfig is the shards' configuration, in shard 0's order, with the
// shard key replaced by the count of shards merged and each host key the
// shards' distinct values joined by " | ".
func mergedConfig(pts []*point, of int) []results.KV {
	var out []results.KV
	for _, kv := range pts[0].config {
		switch {
		case kv.Key == results.Shard:
			kv = results.KV{Key: results.Shards, Value: strconv.Itoa(of)}
		case slices.Contains(hostKeys, kv.Key):
			var vs []string
			for _, p := range pts {
				if v := lookup(p.config, kv.Key); !slices.Contains(vs, v) {
					vs = append(vs, v)
				}
			}
			kv.Value = strings.Join(vs, " | ")
		}
		out = append(out, kv)
	}
	return out
}

func lookup(cfg []results.KV, k results.Key) string {
	for _, kv := range cfg {
		if kv.Key == k {
			return kv.Value
		}
	}
	return ""
}

func (w Window) String() string {
	const layout = "15:04:05.000"
	return w.Start.UTC().Format(layout) + "-" + w.End.UTC().Format(layout)
}

// Write writes m through w: each merged result, then its histogram over
// the common window (so the merged file keeps the whole distribution).
func (m *Merged) Write(w *results.Writer) error {
	for _, p := range m.Points {
		if err := w.Write(p.Result); err != nil {
			return err
		}
		if err := w.WriteHist(p.Hist); err != nil {
			return err
		}
	}
	return nil
}

// Encode returns m as the text of a results file.
func (m *Merged) Encode() ([]byte, error) {
	var buf bytes.Buffer
	w := results.NewWriter(&buf)
	if err := m.Write(w); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFile writes m to path atomically (results.WriteFile).
func (m *Merged) WriteFile(path string) error { return results.WriteFile(path, m.Write) }

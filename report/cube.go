package report

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"

	"github.com/poolbench/poolbench/results"
)

// input is one benchfmt result file, or nil results when it does not exist.
type input struct {
	name string       // file name as the report shows it, e.g. "pool.txt"
	set  *results.Set // Warnings: malformed lines, shown in the report
}

// InputError is a result file the report cannot use: unreadable, not
// benchmark results at all, or holding a value that is not a number. The
// report is not written; the command exits 2 on it.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// readInput reads path; a missing file is an empty input, not an error, so
// that a report can be written before every result exists. A file that is
// there must hold results of at least one of the benchmarks named (such as
// "Echo"): an empty or garbled file is a failed run, and a report saying
// "no results yet" over it would hide that.
func readInput(path, name string, benchmarks ...results.Bench) (*input, error) {
	set, err := results.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &input{name: name, set: &results.Set{}}, nil
	}
	if err != nil {
		return nil, &InputError{err}
	}
	for _, res := range set.Results {
		if slices.Contains(benchmarks, results.Bench(res.Name.Base())) {
			return &input{name: name, set: set}, nil
		}
	}
	return nil, &InputError{results.NoResults(path, benchmarkList(benchmarks), set.Warnings)}
}

// benchmarkList is "BenchmarkEcho" or "BenchmarkEcho or BenchmarkRestart".
func benchmarkList(names []results.Bench) string {
	full := make([]string, len(names))
	for i, n := range names {
		full[i] = "Benchmark" + string(n)
	}
	return strings.Join(full, " or ")
}

func (in *input) empty() bool { return len(in.set.Results) == 0 }

// cube groups an input's values by named dimensions (benchproc keys such as
// "/impl", "/gomaxprocs" or ".unit"), the way benchstat projects results:
// no benchmark name is parsed by hand. Each dimension's values are kept in
// first-seen order, which is the order the benchmarks ran in.
type cube struct {
	dims   []string
	values map[string][]string // dim -> distinct values, first seen first
	seen   map[string]map[string]bool
	cells  map[string][]float64 // joined coordinates -> values
}

// newCube projects the results of in matching the benchstat filter onto
// dims; ".unit" must be the last dim if present.
func newCube(in *input, filter string, dims ...string) (*cube, error) {
	return newCubeWhere(in, filter, nil, dims...)
}

// newCubeWhere is newCube over the results that also satisfy keep (nil
// keeps all): for conditions a benchstat filter cannot say, such as two
// name keys being equal.
func newCubeWhere(in *input, filter string, keep func(*benchfmt.Result) bool, dims ...string) (*cube, error) {
	f, err := benchproc.NewFilter(filter)
	if err != nil {
		return nil, err
	}
	var p benchproc.ProjectionParser
	keyDims := dims
	withUnit := len(dims) > 0 && dims[len(dims)-1] == ".unit"
	if withUnit {
		keyDims = dims[:len(dims)-1]
	}
	var proj *benchproc.Projection
	if withUnit {
		proj, _, err = p.ParseWithUnit(strings.Join(keyDims, ","), f)
	} else {
		proj, err = p.Parse(strings.Join(keyDims, ","), f)
	}
	if err != nil {
		return nil, fmt.Errorf("projection %v: %w", dims, err)
	}
	fields := map[string]*benchproc.Field{}
	for _, fl := range proj.FlattenedFields() {
		fields[fl.Name] = fl
	}
	c := &cube{dims: dims, values: map[string][]string{}, seen: map[string]map[string]bool{}, cells: map[string][]float64{}}
	for _, d := range dims {
		c.seen[d] = map[string]bool{}
	}
	for _, res := range in.set.Results {
		if keep != nil && !keep(res) {
			continue
		}
		res = res.Clone() // the filter drops unmatched values in place
		if ok, _ := f.Apply(res); !ok {
			continue
		}
		for i, key := range proj.ProjectValues(res) {
			coord := make([]string, len(dims))
			for j, d := range dims {
				coord[j] = key.Get(fields[d])
				if !c.seen[d][coord[j]] {
					c.seen[d][coord[j]] = true
					c.values[d] = append(c.values[d], coord[j])
				}
			}
			k := strings.Join(coord, "\x00")
			c.cells[k] = append(c.cells[k], res.Values[i].Value)
		}
	}
	return c, nil
}

// stat is a cell's values summarised as benchstat does: the median and its
// 95% confidence interval, with no distributional assumption.
type stat struct {
	benchmath.Summary
	N int
}

// at returns the summary of the cell at coord (one value per dim).
func (c *cube) at(coord ...string) (stat, bool) {
	vals := c.cells[strings.Join(coord, "\x00")]
	if len(vals) == 0 {
		return stat{}, false
	}
	s := benchmath.NewSample(append([]float64(nil), vals...), &benchmath.DefaultThresholds)
	return stat{benchmath.AssumeNothing.Summary(s, confidence), len(vals)}, true
}

// confidence is the level of every interval in the report, benchstat's default.
const confidence = 0.95

// configValues returns, per file configuration key in first-seen order, the
// distinct values the key takes across in's results.
func configValues(in *input) (keys []string, values map[string][]string) {
	values = map[string][]string{}
	seen := map[string]bool{}
	for _, res := range in.set.Results {
		for _, cfg := range res.Config {
			if !cfg.File {
				continue
			}
			v := string(cfg.Value)
			if _, ok := values[cfg.Key]; !ok {
				keys = append(keys, cfg.Key)
			}
			if k := cfg.Key + "\x00" + v; !seen[k] {
				seen[k] = true
				values[cfg.Key] = append(values[cfg.Key], v)
			}
		}
	}
	return keys, values
}

// resultsWarnings are the malformed-line warnings of the inputs, for the report.
func resultsWarnings(ins ...*input) []string {
	var w []string
	for _, in := range ins {
		for _, s := range in.set.Warnings {
			w = append(w, in.name+": "+s)
		}
	}
	return w
}

package results

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"
)

// Set is what Read found in one input: every result in order, with the
// unit metadata read with them and the malformed lines it skipped.
type Set struct {
	// Results are the results as benchfmt reads them (units tidied), for
	// readers that project them as benchstat does (benchproc).
	Results []*benchfmt.Result
	Units   benchfmt.UnitMetadataMap
	// Warnings are the malformed benchmark lines skipped, as benchstat
	// prints them and goes on.
	Warnings []string
	// Hists are the latency histograms written beside the results (a
	// sharded sweep's; see Hist), in file order.
	Hists []Hist
}

// Read reads benchfmt text from r (other lines, such as "PASS" or "ok pkg
// 1.2s", are skipped as the format says); name labels the input in
// messages. A value that is not a finite number (NaN, +Inf, -Inf) is an
// error naming its file and line, not a warning: no statistic means
// anything over it, and benchmath's Mann-Whitney test never returns on a NaN.
func Read(r io.Reader, name string) (*Set, error) {
	// Read whole, since the histogram lines are read apart from benchfmt's
	// reader (which skips them); result files are small.
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	set := &Set{}
	if set.Hists, err = readHists(data, name); err != nil {
		return nil, err
	}
	rd := benchfmt.NewReader(bytes.NewReader(data), name)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			set.Warnings = append(set.Warnings, rec.Error())
		case *benchfmt.Result:
			if err := Finite(rec); err != nil {
				return nil, err
			}
			// The reader reuses its Result; keep a copy.
			set.Results = append(set.Results, rec.Clone())
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	set.Units = rd.Units()
	return set, nil
}

// ReadFile reads the file at path.
func ReadFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path)
}

// Finite rejects a result with a NaN or infinite value, as
// "file:line: BenchmarkX: value NaN ns/op is not a finite number".
func Finite(r *benchfmt.Result) error {
	for _, v := range r.Values {
		if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
			file, line := r.Pos()
			val, unit := v.Value, v.Unit
			if v.OrigUnit != "" { // as the file wrote it, before benchfmt tidied it
				val, unit = v.OrigValue, v.OrigUnit
			}
			return fmt.Errorf("%s:%d: Benchmark%s: value %v %s is not a finite number", file, line, r.Name, val, unit)
		}
	}
	return nil
}

// NoResults is the error for a file that yielded no results: "PATH holds
// no WHAT results", with how many malformed lines were skipped and the
// first, which is usually why.
func NoResults(path, what string, warnings []string) error {
	if len(warnings) == 0 {
		return fmt.Errorf("%s holds no %s results", path, what)
	}
	return fmt.Errorf("%s holds no %s results (%d malformed line(s) skipped; the first: %s)", path, what, len(warnings), warnings[0])
}

// Point is one result read back, typed: its name's benchmark and keys, its
// file configuration and its values by unit.
type Point struct {
	Name   Name
	Procs  int // the -G suffix; 1 when the name has none
	Iters  int
	Config map[Key]string
	values map[string]float64 // by tidied unit
}

// Value returns the point's value in unit u, as written (a p99-ns value in
// nanoseconds), and whether the point has one.
func (p Point) Value(u Unit) (float64, bool) {
	v, ok := p.values[u.Tidied()]
	if !ok {
		return 0, false
	}
	scale, _ := benchunit.Tidy(1, u.Name)
	return v / scale, true
}

// Int returns the name key k as an integer; 0 when absent or not a number.
func (p Point) Int(k Key) int {
	n, _ := strconv.Atoi(p.Name.Get(k))
	return n
}

// Points returns the results of s that are benchmark b, typed.
func (s *Set) Points(b Bench) []Point {
	var out []Point
	for _, r := range s.Results {
		n, procs, err := ParseName(string(r.Name))
		if err != nil || n.Bench != b {
			continue
		}
		p := Point{Name: n, Procs: procs, Iters: r.Iters, Config: map[Key]string{}, values: map[string]float64{}}
		for _, c := range r.Config {
			p.Config[Key(c.Key)] = string(c.Value)
		}
		for _, v := range r.Values {
			p.values[v.Unit] = v.Value
		}
		out = append(out, p)
	}
	return out
}

// ParseName parses a benchmark name as benchfmt holds it (without
// "Benchmark"): "Echo/server=net/pool=ring-2" is Bench Echo, its keys in
// order, and GOMAXPROCS 2 (1 when there is no -G suffix).
func ParseName(full string) (Name, int, error) {
	base, parts := benchfmt.Name(full).Parts()
	n, procs := Name{Bench: Bench(base)}, 1
	if len(base) == 0 {
		return n, 0, errors.New("empty benchmark name")
	}
	for _, part := range parts {
		if len(part) > 1 && part[0] == '-' {
			if g, err := strconv.Atoi(string(part[1:])); err == nil {
				procs = g
			}
			continue
		}
		k, v, ok := cutKey(string(part))
		if ok {
			n.Keys = append(n.Keys, KV{Key(k), v})
		}
	}
	return n, procs, nil
}

// cutKey splits "/key=value" into key and value.
func cutKey(part string) (k, v string, ok bool) {
	if len(part) == 0 || part[0] != '/' {
		return "", "", false
	}
	for i := 1; i < len(part); i++ {
		if part[i] == '=' {
			return part[1:i], part[i+1:], true
		}
	}
	return "", "", false
}

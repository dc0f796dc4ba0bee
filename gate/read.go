package gate

import (
	"fmt"
	"io"
	"math"
	"os"

	"golang.org/x/perf/benchfmt"
)

// Read reads one side's results from r (benchfmt text; other lines, such as
// "PASS" or "ok pkg 1.2s", are skipped as the format says). name labels
// the input in messages. Malformed benchmark lines are returned as
// warnings, as benchstat prints them and goes on.
//
// A value that is not a finite number (NaN, +Inf, -Inf) is an error naming
// its file and line, not a warning: no statistic means anything over it,
// and benchmath's Mann-Whitney test never returns on a NaN.
func Read(r io.Reader, name string) (Set, []string, error) {
	var set Set
	var warnings []string
	rd := benchfmt.NewReader(r, name)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			warnings = append(warnings, rec.Error())
		case *benchfmt.Result:
			if err := finite(rec); err != nil {
				return Set{}, warnings, err
			}
			// The reader reuses its Result; keep a copy.
			set.Results = append(set.Results, rec.Clone())
		}
	}
	if err := rd.Err(); err != nil {
		return Set{}, warnings, fmt.Errorf("read %s: %w", name, err)
	}
	set.Units = rd.Units()
	return set, warnings, nil
}

// finite rejects a result with a NaN or infinite value, as
// "file:line: BenchmarkX: value NaN ns/op is not a finite number".
func finite(r *benchfmt.Result) error {
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

// ReadFile reads one side's results from the file at path.
func ReadFile(path string) (Set, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return Set{}, nil, err
	}
	defer f.Close()
	return Read(f, path)
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

// Append adds other's results and unit metadata to s.
func (s *Set) Append(other Set) {
	s.Results = append(s.Results, other.Results...)
	s.Units = mergeUnits(s.Units, other.Units)
}

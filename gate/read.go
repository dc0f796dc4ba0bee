package gate

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/perf/benchfmt"
)

// Read reads one side's results from r (benchfmt text; other lines, such as
// "PASS" or "ok pkg 1.2s", are skipped as the format says). name labels
// the input in messages. Malformed benchmark lines are returned as
// warnings, as benchstat prints them and goes on.
func Read(r io.Reader, name string) (Set, []string, error) {
	var set Set
	var warnings []string
	rd := benchfmt.NewReader(r, name)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			warnings = append(warnings, rec.Error())
		case *benchfmt.Result:
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

// ReadFile reads one side's results from the file at path.
func ReadFile(path string) (Set, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return Set{}, nil, err
	}
	defer f.Close()
	return Read(f, path)
}

// Append adds other's results and unit metadata to s.
func (s *Set) Append(other Set) {
	s.Results = append(s.Results, other.Results...)
	s.Units = mergeUnits(s.Units, other.Units)
}

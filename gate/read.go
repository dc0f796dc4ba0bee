package gate

import (
	"io"

	"github.com/poolbench/poolbench/results"
)

// Read reads one side's results from r through package results, which
// owns the format (other lines are skipped; a NaN or infinite value is an
// error naming its file and line). name labels the input in messages.
// Malformed benchmark lines are returned as warnings, as benchstat prints
// them and goes on.
func Read(r io.Reader, name string) (Set, []string, error) {
	s, err := results.Read(r, name)
	if err != nil {
		return Set{}, nil, err
	}
	return Set{Results: s.Results, Units: s.Units}, s.Warnings, nil
}

// ReadFile reads one side's results from the file at path.
func ReadFile(path string) (Set, []string, error) {
	s, err := results.ReadFile(path)
	if err != nil {
		return Set{}, nil, err
	}
	return Set{Results: s.Results, Units: s.Units}, s.Warnings, nil
}

// NoResults is the error for a file that yielded no results (results.NoResults).
func NoResults(path, what string, warnings []string) error {
	return results.NoResults(path, what, warnings)
}

// Append adds other's results and unit metadata to s.
func (s *Set) Append(other Set) {
	s.Results = append(s.Results, other.Results...)
	s.Units = mergeUnits(s.Units, other.Units)
}

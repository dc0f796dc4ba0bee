package merge

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/results"
)

// shardFile is one shard's result file, read.
type shardFile struct {
	path      string
	index, of int
	points    []*point // its Echo points, in file order
	units     benchfmt.UnitMetadataMap
}

// point is one Echo point of a shard file.
type point struct {
	key    string // name without -G, "#", repetition: the point across shards
	name   results.Name
	rep    int
	procs  int
	config []results.KV // in file order
	values []value      // as written, before benchfmt tidies units
	hist   results.Hist
}

// value is one value in its unit as written ("p99-ns", not "p99-sec").
type value struct {
	unit string
	v    float64
}

func (p *point) value(unit string) (float64, bool) {
	for _, v := range p.values {
		if v.unit == unit {
			return v.v, true
		}
	}
	return 0, false
}

// better returns the direction the file's Unit lines declare for unit.
func (s *shardFile) better(unit string) results.Better {
	if s.units.GetBetter(results.Unit{Name: unit}.Tidied()) > 0 {
		return results.Higher
	}
	return results.Lower
}

// readShard reads the shard file at path: its shard index and count, its
// Echo points, each with its histogram.
func readShard(path string) (*shardFile, error) {
	set, err := results.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(set.Warnings) > 0 {
		return nil, fmt.Errorf("%s: malformed line: %s", path, set.Warnings[0])
	}
	s := &shardFile{path: path, index: -1, units: set.Units}
	hists := map[string]results.Hist{}
	for _, h := range set.Hists {
		hists[h.Tag()] = h
	}
	reps := map[string]int{}
	for _, r := range set.Results {
		name, procs, err := results.ParseName(string(r.Name))
		if err != nil {
			return nil, fmt.Errorf("%s: Benchmark%s: %w", path, r.Name, err)
		}
		switch name.Bench {
		case results.Echo:
		case results.Knee:
			continue // a shard's own knee, of its share of the load
		default:
			return nil, fmt.Errorf("%s: Benchmark%s: only Echo points merge, not %s", path, r.Name, name.Bench)
		}
		p := &point{name: name, procs: procs}
		for _, c := range r.Config {
			p.config = append(p.config, results.KV{Key: results.Key(c.Key), Value: string(c.Value)})
		}
		if err := s.setShard(lookup(p.config, results.Shard), r); err != nil {
			return nil, err
		}
		for _, v := range r.Values {
			if v.OrigUnit != "" {
				p.values = append(p.values, value{v.OrigUnit, v.OrigValue})
			} else {
				p.values = append(p.values, value{v.Unit, v.Value})
			}
		}
		reps[name.String()]++
		p.rep = reps[name.String()]
		p.key = fmt.Sprintf("%s#%d", name, p.rep)
		h, ok := hists[p.key]
		if !ok {
			return nil, fmt.Errorf("%s: Benchmark%s (repetition %d) has no histogram line (Tag=%s,...): not written by poolbench sweep -shard", path, r.Name, p.rep, p.key)
		}
		p.hist = h
		s.points = append(s.points, p)
	}
	if len(s.points) == 0 {
		return nil, results.NoResults(path, "Echo", nil)
	}
	return s, nil
}

// setShard records the "shard: I/N" of result r, which must agree with
// the file's earlier results.
func (s *shardFile) setShard(v string, r *benchfmt.Result) error {
	if v == "" {
		return fmt.Errorf("%s: Benchmark%s has no %q configuration: not a shard file (poolbench sweep -shard I/N writes one)", s.path, r.Name, results.Shard)
	}
	i, n, err := ParseShard(v)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", s.path, results.Shard, err)
	}
	if s.index >= 0 && (i != s.index || n != s.of) {
		return fmt.Errorf("%s: holds shard %d/%d and shard %d/%d", s.path, s.index, s.of, i, n)
	}
	s.index, s.of = i, n
	return nil
}

// ParseShard parses "I/N", shard I of N (0 <= I < N).
func ParseShard(s string) (index, of int, err error) {
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("shard %q: want I/N, shard I of N, as in 0/4", s)
	}
	if n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("shard %q: want 0 <= I < N", s)
	}
	return i, n, nil
}

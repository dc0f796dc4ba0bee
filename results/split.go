package results

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/atomicfile"
)

// RawDir is where the measured files live inside a results directory
// (results/raw/pool.txt, echo.txt, close.txt, scenarios.txt, faults.txt, and the
// non-benchmark summaries). The results directory itself holds only the
// per-pool files Split writes, so that `benchstat results/*.txt` compares
// pools: one column per file.
const RawDir = "raw"

// RawFiles are the benchmark files Split reads from RawDir, in the order
// their sections appear in every per-pool file.
var RawFiles = []string{"pool.txt", "echo.txt", "close.txt", "scenarios.txt", "faults.txt"}

// Reference is the pool design whose per-pool file sorts first, and so is
// benchstat's baseline column: chanpool, the textbook buffered-channel
// pool, measured in every raw file (the no-op floor is only in pool.txt,
// and a baseline missing a row leaves that row without comparisons).
const Reference = "chanpool"

// PoolFileName is the per-pool file of pool design p: "<p>.txt", and
// "0-<p>.txt" for the Reference so that a shell glob lists it first.
func PoolFileName(p string) string {
	if p == Reference {
		return "0-" + p + ".txt"
	}
	return p + ".txt"
}

// Split reads the raw files of rawDir (RawFiles; a missing one is skipped)
// and writes outDir/PoolFileName(p) for every pool design p they name
// (the impl= key of pool micro-benchmarks, the pool= key elsewhere): its
// results with that key taken out of the name, so that every file names
// the same row the same way. Every file carries the same configuration
// keys in the same order (a key a section lacks is written as None, never
// empty), and each is written atomically. It returns the files written.
func Split(rawDir, outDir string) ([]string, error) {
	type entry struct {
		pool string
		res  *benchfmt.Result
	}
	var (
		entries []entry
		units   []*benchfmt.UnitMetadata
		seen    = map[benchfmt.UnitMetadataKey]bool{}
		keys    []string // file configuration keys, first-seen order
	)
	for _, name := range RawFiles {
		path := filepath.Join(rawDir, name)
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		rd := benchfmt.NewReader(f, path)
		for rd.Scan() {
			switch rec := rd.Result().(type) {
			case *benchfmt.SyntaxError:
				f.Close()
				return nil, rec
			case *benchfmt.UnitMetadata:
				if k := rec.UnitMetadataKey; !seen[k] {
					seen[k] = true
					c := *rec
					units = append(units, &c)
				}
			case *benchfmt.Result:
				pool, rest, ok := withoutPool(rec.Name)
				if !ok {
					continue // not a result of one pool design (none today)
				}
				c := rec.Clone()
				c.Name = rest
				for _, cfg := range c.Config {
					if cfg.File && !slices.Contains(keys, cfg.Key) {
						keys = append(keys, cfg.Key)
					}
				}
				entries = append(entries, entry{pool, c})
			}
		}
		err = rd.Err()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: %w", rawDir, ErrNoResults)
	}
	byPool := map[string][]*benchfmt.Result{}
	for _, e := range entries {
		byPool[e.pool] = append(byPool[e.pool], uniformConfig(e.res, keys))
	}
	pools := make([]string, 0, len(byPool))
	for p := range byPool {
		pools = append(pools, p)
	}
	slices.Sort(pools)
	var written []string
	for _, p := range pools {
		path := filepath.Join(outDir, PoolFileName(p))
		err := atomicfile.Write(path, func(f io.Writer) error {
			w := benchfmt.NewWriter(f)
			for _, u := range units {
				if err := w.Write(u); err != nil {
					return err
				}
			}
			for _, r := range byPool[p] {
				if err := w.Write(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// withoutPool returns the pool design a result name measures and the name
// with that key taken out: BenchmarkPool/impl=ring/scenario=parallel-2
// gives ring and BenchmarkPool/scenario=parallel-2.
func withoutPool(name benchfmt.Name) (pool string, rest benchfmt.Name, ok bool) {
	base, parts := name.Parts()
	var b strings.Builder
	b.Write(base)
	for _, part := range parts {
		s := string(part)
		if k, v, isKey := strings.Cut(strings.TrimPrefix(s, "/"), "="); isKey && strings.HasPrefix(s, "/") &&
			(k == string(Impl) || k == string(PoolKey)) && pool == "" {
			pool = v
			continue
		}
		b.WriteString(s)
	}
	return pool, benchfmt.Name(b.String()), pool != ""
}

// uniformConfig returns r with exactly the file configuration keys keys,
// in that order: a key r lacks is None, so no file ever needs the empty
// line that deletes a key (benchstat prints it as a header of its own).
func uniformConfig(r *benchfmt.Result, keys []string) *benchfmt.Result {
	cfg := make([]benchfmt.Config, 0, len(keys))
	for _, k := range keys {
		v := r.GetConfig(k)
		if v == "" {
			v = None
		}
		cfg = append(cfg, benchfmt.Config{Key: k, Value: []byte(v), File: true})
	}
	for _, c := range r.Config {
		if !c.File {
			cfg = append(cfg, c)
		}
	}
	// A fresh Result: benchfmt indexes Config on first use, and the
	// reader's index would still describe the old one.
	return &benchfmt.Result{Config: cfg, Name: r.Name, Iters: r.Iters, Values: r.Values}
}

package report

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/poolbench/poolbench/results"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ProfileFile is the CPU profile summary scripts/bench-pool.sh writes next
// to pool.txt: for every row of BenchmarkPool, `go tool pprof -top` of the
// row's merged -cpuprofile runs, as "impl scenario flat% function" lines
// (functions with at least 0.5% of the samples) and one "impl scenario
// samples DURATION" line.
const ProfileFile = results.RawDir + "/pool-profile.txt"

// profileRow is one design's profile in one scenario.
type profileRow struct {
	impl, scenario string
	samples        string // total sample time as pprof printed it, e.g. "1.2s"
	funcs          []profileFunc
}

type profileFunc struct {
	flat float64 // percent of the row's samples spent in the function itself
	name string
}

// readProfiles reads the summary at path; a missing file is no profiles.
func readProfiles(path string) ([]*profileRow, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &InputError{err}
	}
	defer f.Close()
	var rows []*profileRow
	byKey := map[[2]string]*profileRow{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) < 4 {
			return nil, &InputError{fmt.Errorf("%s:%d: want \"impl scenario flat%% function\" or \"impl scenario samples D\", got %q", ProfileFile, n, sc.Text())}
		}
		k := [2]string{fields[0], fields[1]}
		r := byKey[k]
		if r == nil {
			r = &profileRow{impl: k[0], scenario: k[1]}
			byKey[k] = r
			rows = append(rows, r)
		}
		if fields[2] == "samples" {
			r.samples = fields[3]
			continue
		}
		flat, err := strconv.ParseFloat(fields[2], 64)
		if err != nil || flat < 0 || flat > 100 {
			return nil, &InputError{fmt.Errorf("%s:%d: flat %q is not a percentage", ProfileFile, n, fields[2])}
		}
		r.funcs = append(r.funcs, profileFunc{flat, strings.Join(fields[3:], " ")})
	}
	if err := sc.Err(); err != nil {
		return nil, &InputError{fmt.Errorf("%s: %w", ProfileFile, err)}
	}
	return rows, nil
}

// isReferenceRowFunc reports whether fn is the code of one of bench's
// reference rows (the floor, the FIFO floor): it is in package bench with
// the harness, but it is the design of its own row.
func isReferenceRowFunc(fn string) bool {
	return containsAny(fn, "bench.(*floor)", "bench.(*fifoFloor)")
}

// Where a profile's time goes, by function name. The first matching bucket
// wins; what matches none is "other".
var profileBuckets = []struct {
	name    string
	matches func(fn string) bool
}{
	{"benchmark harness", func(fn string) bool {
		return !isReferenceRowFunc(fn) &&
			(strings.Contains(fn, "/bench.") || strings.Contains(fn, "hdrhistogram") || strings.HasPrefix(fn, "testing."))
	}},
	{"GC and allocation", func(fn string) bool {
		return strings.HasPrefix(fn, "runtime.") && containsAny(fn, "malloc", "gc", "GC", "scan", "mark", "wb", "WriteBarrier",
			"sweep", "mspan", "mheap", "mcache", "heap", "span", "findObject", "greyobject", "memclr", "newobject", "Barrier", "typePointers")
	}},
	{"clock reads", func(fn string) bool {
		return containsAny(fn, "runtime.nanotime", "runtime.walltime", "time.Now", "time.Since", "time.runtimeNano")
	}},
	{"scheduler (park, wake, preempt)", func(fn string) bool {
		return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/runtime/") || strings.HasPrefix(fn, "gogo")
	}},
	{"the pool (its code, locks and atomics)", func(fn string) bool {
		return isReferenceRowFunc(fn) || containsAny(fn, "/impls/", "/internal/", "puddle", "fatih", "silenceper", "golang.org/x/sync") ||
			strings.HasPrefix(fn, "sync.") || strings.HasPrefix(fn, "sync/atomic.") || strings.HasPrefix(fn, "context.")
	}},
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// profileLine says where one row's time goes: each bucket's share of the
// samples, largest first, and the function with the most.
func profileLine(r *profileRow) string {
	share := map[string]float64{}
	var listed float64
	for _, f := range r.funcs {
		bucket := "other"
		for _, bk := range profileBuckets {
			if bk.matches(f.name) {
				bucket = bk.name
				break
			}
		}
		share[bucket] += f.flat
		listed += f.flat
	}
	share["other"] += max(100-listed, 0) // functions under 0.5% each
	names := make([]string, 0, len(share))
	for name, v := range share {
		if v >= 0.5 {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := share[b] - share[a]; d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%.0f%% %s", share[name], name)
	}
	line := fmt.Sprintf("- **%s**, %s: %s", r.impl, r.scenario, strings.Join(parts, ", "))
	if len(r.funcs) > 0 {
		top := slices.MaxFunc(r.funcs, func(a, b profileFunc) int {
			switch {
			case a.flat < b.flat:
				return -1
			case a.flat > b.flat:
				return 1
			}
			return strings.Compare(b.name, a.name)
		})
		line += fmt.Sprintf("; most in one function: `%s` (%.0f%%)", top.name, top.flat)
	}
	if r.samples != "" {
		line += fmt.Sprintf(" [%s of samples", r.samples)
		if pts, ok := shareError(r.samples); ok {
			line += fmt.Sprintf(", each share ±%.0f points", pts)
		}
		line += "]"
	}
	return line + "\n"
}

// profilePeriod is the sampling period of a -cpuprofile: the testing
// package profiles at runtime/pprof's 100 Hz.
const profilePeriod = 10 * time.Millisecond

// shareError is how far, at most, a share of a row's samples may stand
// from the row's true share by chance: the 95% half-width of a binomial
// proportion at its widest (p = 1/2), in percentage points, for the
// samples a total sample time of d holds. At 360ms (36 samples) it is 16
// points, so two designs' lines that differ by less say nothing; it
// reports false when d does not parse as a positive duration.
func shareError(d string) (float64, bool) {
	total, err := time.ParseDuration(d)
	if err != nil || total < profilePeriod {
		return 0, false
	}
	n := float64(total / profilePeriod)
	return 100 * 1.96 * math.Sqrt(0.25/n), true
}

// writeProfiles renders the profile summary: per scenario, one line per
// design on where its CPU time goes.
func writeProfiles(b *strings.Builder, rows []*profileRow) {
	b.WriteString("### Where the time goes (CPU profiles)\n\n")
	if len(rows) == 0 {
		b.WriteString("No CPU profile summary yet (results/" + ProfileFile + " is missing); `make bench-pool` writes it.\n\n")
		return
	}
	b.WriteString("From results/" + ProfileFile + ": each row's `-cpuprofile` over all its runs and GOMAXPROCS values, " +
		"merged and read with `go tool pprof -top`; shares of the samples by where the function lives. " +
		"\"Scheduler\" is the runtime parking, waking and preempting goroutines (and its own locks); " +
		"\"the pool\" includes the design's mutexes and atomics. " +
		"A row's samples are few (pprof takes 100 a second), so each line says how far its shares may be off by chance; " +
		"`PROFTIME=1s make bench-pool` profiles each row ten times longer.\n\n")
	var scenarios []string
	for _, r := range rows {
		if !slices.Contains(scenarios, r.scenario) {
			scenarios = append(scenarios, r.scenario)
		}
	}
	for _, sc := range scenarios {
		fmt.Fprintf(b, "scenario=%s:\n\n", sc)
		for _, r := range rows {
			if r.scenario == sc {
				b.WriteString(profileLine(r))
			}
		}
		b.WriteString("\n")
	}
}

package harness

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"

	"github.com/poolbench/poolbench/atomicfile"
	"github.com/poolbench/poolbench/impls/server"
)

// Results is what a sweep measured, ready to be written as benchfmt.
type Results struct {
	Config  []Setting    // file configuration common to every result
	Servers []ServerInfo // in sweep order; each opens a configuration block
	Points  []Point      // in run order
	Knees   []Knee       // one per (server, pool)
	// Restarts are the points' restart results when the sweep ran under
	// Restart (see Restart.Record), in run order; written as
	// BenchmarkRestart results.
	Restarts []RestartResult
	Procs    int // the client's GOMAXPROCS, the -N suffix of names
}

// Setting is one file configuration line, "key: value".
type Setting struct{ Key, Value string }

// ServerInfo is the per-server configuration recorded with its results.
type ServerInfo struct {
	Name     string
	Protocol server.Protocol
	Loops    int  // 0 when unknown
	External bool // an already running server, not a child process
}

// config returns the file configuration of s's results.
func (s *Sweep) config() []Setting {
	model := "closed"
	if s.Rate > 0 {
		model = "open"
	}
	cfg := []Setting{
		{"goos", runtime.GOOS}, {"goarch", runtime.GOARCH}, {"cpu", cpuModel()}, {"go", runtime.Version()},
		{"model", model},
	}
	// rate is written empty in closed loop, which clears it for a reader
	// of files appended one after another (an open-loop file, then a
	// closed-loop one), instead of leaking the open loop's rate.
	rate := ""
	if s.Rate > 0 {
		rate = strconv.FormatFloat(s.Rate, 'f', -1, 64)
	}
	return append(cfg,
		Setting{"rate", rate},
		Setting{"size", strconv.Itoa(s.Size)},
		Setting{"duration", s.Duration.String()},
		Setting{"warmup", s.Warmup.String()},
		Setting{"count", strconv.Itoa(s.Count)},
	)
}

// unitBetter is a unit and whether higher or lower values are better.
type unitBetter struct{ unit, better string }

// units are the value units written for every point, with whether higher
// is better; benchstat reads the latter from "Unit" metadata lines.
var units = []unitBetter{
	{"req/s", "higher"},
	{"p50-ns", "lower"}, {"p90-ns", "lower"}, {"p99-ns", "lower"}, {"p999-ns", "lower"}, {"max-ns", "lower"},
	{"errors", "lower"}, {"dials", "lower"}, {"wait-ns/op", "lower"}, {"cpu-ns/op", "lower"}, {"rss-B/conn", "lower"},
}

// Write writes r to w in the Go benchmark format, grouped by server (one
// configuration block each), then pool, concurrency and repetition, each
// server's knees after its points, then its restart results.
func (r *Results) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	out := benchfmt.NewWriter(bw)
	if err := writeUnits(out, units); err != nil {
		return err
	}
	if len(r.Restarts) > 0 {
		if err := writeUnits(out, restartUnits); err != nil {
			return err
		}
	}
	poolRank := map[string]int{}
	for _, p := range r.Points {
		if _, ok := poolRank[p.Pool]; !ok {
			poolRank[p.Pool] = len(poolRank)
		}
	}
	for _, srv := range r.Servers {
		pts := inOrder(r.Points, srv.Name, poolRank, func(p Point) (string, string, int) { return p.Server, p.Pool, p.Conns })
		cfg := r.fileConfig(srv)
		for _, p := range pts {
			if err := out.Write(r.pointResult(cfg, p)); err != nil {
				return err
			}
		}
		for _, k := range r.Knees {
			if k.Server == srv.Name && k.Found {
				res := &benchfmt.Result{Config: cfg, Iters: 1,
					Name:   benchfmt.Name(fmt.Sprintf("Knee/server=%s/pool=%s-%d", k.Server, k.Pool, r.procs())),
					Values: []benchfmt.Value{{Value: float64(k.Conns), Unit: "conns"}}}
				if err := out.Write(res); err != nil {
					return err
				}
			}
		}
		restarts := inOrder(r.Restarts, srv.Name, poolRank, func(rr RestartResult) (string, string, int) { return rr.Server, rr.Pool, rr.Conns })
		for _, rr := range restarts {
			if err := out.Write(r.restartResult(cfg, rr)); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// writeUnits writes a "Unit U better=B" metadata line per unit.
func writeUnits(out *benchfmt.Writer, us []unitBetter) error {
	for _, u := range us {
		md := &benchfmt.UnitMetadata{OrigUnit: u.unit, Value: u.better}
		_, md.Unit = benchunit.Tidy(1, u.unit)
		md.Key = "better"
		if err := out.Write(md); err != nil {
			return err
		}
	}
	return nil
}

// inOrder returns the items of server srv sorted by pool (in the order
// poolRank gives, the sweep's) and then conns; the sort is stable, so
// repetitions stay in run order.
func inOrder[T any](items []T, srv string, poolRank map[string]int, key func(T) (server, pool string, conns int)) []T {
	var out []T
	for _, it := range items {
		if s, _, _ := key(it); s == srv {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b T) int {
		_, pa, ca := key(a)
		_, pb, cb := key(b)
		return cmp.Or(cmp.Compare(poolRank[pa], poolRank[pb]), cmp.Compare(ca, cb))
	})
	return out
}

// fileConfig returns the configuration lines of srv's block.
func (r *Results) fileConfig(srv ServerInfo) []benchfmt.Config {
	var cfg []benchfmt.Config
	add := func(k, v string) { cfg = append(cfg, benchfmt.Config{Key: k, Value: []byte(v), File: true}) }
	for _, s := range r.Config {
		add(s.Key, s.Value)
	}
	add("server", srv.Name)
	add("protocol", string(srv.Protocol))
	if srv.Loops > 0 {
		add("loops", strconv.Itoa(srv.Loops))
	}
	launch := "child"
	if srv.External {
		launch = "external"
	}
	add("launch", launch)
	return cfg
}

func (r *Results) procs() int {
	if r.Procs > 0 {
		return r.Procs
	}
	return runtime.GOMAXPROCS(0)
}

// pointResult is p as a benchfmt result. Latency, wait and CPU are left out
// when no request succeeded; per-class error counts only when non-zero.
func (r *Results) pointResult(cfg []benchfmt.Config, p Point) *benchfmt.Result {
	v := []benchfmt.Value{{Value: p.ReqPerSec(), Unit: "req/s"}}
	ns := func(unit string, d time.Duration) {
		v = append(v, benchfmt.Value{Value: float64(d.Nanoseconds()), Unit: unit})
	}
	if p.Requests > 0 {
		ns("p50-ns", p.Latency.P50)
		ns("p90-ns", p.Latency.P90)
		ns("p99-ns", p.Latency.P99)
		ns("p999-ns", p.Latency.P999)
		ns("max-ns", p.Latency.Max)
	}
	v = append(v, benchfmt.Value{Value: float64(p.Errors.Total()), Unit: "errors"})
	for c, n := range p.Errors {
		if n > 0 {
			v = append(v, benchfmt.Value{Value: float64(n), Unit: Class(c).String() + "-errors"})
		}
	}
	v = append(v, benchfmt.Value{Value: float64(p.Dials), Unit: "dials"})
	if p.Requests > 0 {
		ns("wait-ns/op", p.Wait)
		ns("cpu-ns/op", p.CPU)
	}
	if p.HasRSS {
		v = append(v, benchfmt.Value{Value: p.RSSPerConn, Unit: "rss-B/conn"})
	}
	return &benchfmt.Result{
		Config: cfg,
		Name:   benchfmt.Name(fmt.Sprintf("Echo/server=%s/pool=%s/conns=%d-%d", p.Server, p.Pool, p.Conns, r.procs())),
		Iters:  int(max(p.Requests, 1)),
		Values: v,
	}
}

// WriteFile writes r to path atomically (see package atomicfile): a
// failed or interrupted write leaves the previous file at path untouched.
func WriteFile(path string, r *Results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, r.Write)
}

package harness

import (
	"cmp"
	"io"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/results"
)

// Results is what a sweep measured, ready to be written through package
// results.
type Results struct {
	Config  []results.KV // file configuration common to every result
	Servers []ServerInfo // in sweep order; each opens a configuration block
	Points  []Point      // in run order
	Knees   []Knee       // one per (server, pool)
	// Restarts are the points' restart results when the sweep ran under
	// Restart (see Restart.Record), in run order; written as
	// BenchmarkRestart results.
	Restarts []RestartResult
	Procs    int // the client's GOMAXPROCS, the -N suffix of names
}

// ServerInfo is the per-server configuration recorded with its results.
type ServerInfo struct {
	Name     string
	Protocol server.Protocol
	Loops    int  // 0 when unknown
	External bool // an already running server, not a child process
}

// config returns the file configuration of s's results.
func (s *Sweep) config() []results.KV {
	model, rate := "closed", results.None
	if s.Rate > 0 {
		model, rate = "open", strconv.FormatFloat(s.Rate, 'f', -1, 64)
	}
	cfg := []results.KV{
		{Key: "goos", Value: runtime.GOOS}, {Key: "goarch", Value: runtime.GOARCH},
		{Key: "cpu", Value: cpuModel()}, {Key: results.GoVersion, Value: runtime.Version()},
		{Key: results.Model, Value: model},
		{Key: results.Rate, Value: rate},
		{Key: results.Size, Value: strconv.Itoa(s.Size)},
		{Key: results.Duration, Value: s.Duration.String()},
		{Key: results.Warmup, Value: s.Warmup.String()},
		{Key: results.Count, Value: strconv.Itoa(s.Count)},
	}
	return append(cfg, s.Shard.config()...)
}

// Write writes r to w through results.Writer, grouped by server (one
// configuration block each), then pool, concurrency and repetition, each
// server's knees after its points, then its restart results.
func (r *Results) Write(w io.Writer) error {
	out := results.NewWriter(w)
	if err := r.write(out); err != nil {
		return err
	}
	return out.Flush()
}

func (r *Results) write(out *results.Writer) error {
	if err := out.Declare(results.EchoUnits...); err != nil {
		return err
	}
	if len(r.Restarts) > 0 {
		if err := out.Declare(results.RestartUnits...); err != nil {
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
		cfg := r.fileConfig(srv)
		for _, p := range inOrder(r.Points, srv.Name, poolRank, func(p Point) (string, string, int) { return p.Server, p.Pool, p.Conns }) {
			if err := out.Write(r.pointResult(cfg, p)); err != nil {
				return err
			}
			if p.Hist != nil {
				// A point's repetitions are written in run order, so
				// its repetition is its place among its name's results.
				h := results.Hist{Name: echoName(p), Rep: p.Rep, Start: p.WindowStart, End: p.WindowEnd, Hist: p.Hist}
				if err := out.WriteHist(h); err != nil {
					return err
				}
			}
		}
		for _, k := range r.Knees {
			if k.Server == srv.Name && k.Found {
				res := results.Result{Config: cfg, Procs: r.procs(),
					Name:   results.Name{Bench: results.Knee, Keys: []results.KV{{Key: results.Server, Value: k.Server}, {Key: results.PoolKey, Value: k.Pool}}},
					Values: []results.Value{{Unit: results.KneeConns, Value: float64(k.Conns)}}}
				if err := out.Write(res); err != nil {
					return err
				}
			}
		}
		for _, rr := range inOrder(r.Restarts, srv.Name, poolRank, func(rr RestartResult) (string, string, int) { return rr.Server, rr.Pool, rr.Conns }) {
			if err := out.Write(r.restartResult(cfg, rr)); err != nil {
				return err
			}
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
func (r *Results) fileConfig(srv ServerInfo) []results.KV {
	loops, launch := results.None, "child"
	if srv.Loops > 0 {
		loops = strconv.Itoa(srv.Loops)
	}
	if srv.External {
		launch = "external"
	}
	return append(slices.Clone(r.Config),
		results.KV{Key: results.Server, Value: srv.Name},
		results.KV{Key: results.Protocol, Value: string(srv.Protocol)},
		results.KV{Key: results.Loops, Value: loops},
		results.KV{Key: results.Launch, Value: launch},
	)
}

func (r *Results) procs() int {
	if r.Procs > 0 {
		return r.Procs
	}
	return runtime.GOMAXPROCS(0)
}

// pointResult is p as a result. Latency, wait and CPU are left out when no
// request succeeded; per-class error counts only when non-zero.
func (r *Results) pointResult(cfg []results.KV, p Point) results.Result {
	v := []results.Value{{Unit: results.ReqPerSec, Value: p.ReqPerSec()}}
	ns := func(u results.Unit, d time.Duration) {
		v = append(v, results.Value{Unit: u, Value: float64(d.Nanoseconds())})
	}
	if p.Requests > 0 {
		ns(results.P50, p.Latency.P50)
		ns(results.P90, p.Latency.P90)
		ns(results.P99, p.Latency.P99)
		ns(results.P999, p.Latency.P999)
		ns(results.MaxLat, p.Latency.Max)
	}
	v = append(v, results.Value{Unit: results.Errors, Value: float64(p.Errors.Total())})
	for c, n := range p.Errors {
		if n > 0 {
			v = append(v, results.Value{Unit: results.ErrorClass(Class(c).String()), Value: float64(n)})
		}
	}
	v = append(v, results.Value{Unit: results.Dials, Value: float64(p.Dials)})
	if p.Window > 0 {
		v = append(v, results.Value{Unit: results.DialRate, Value: float64(p.WindowDials) / p.Window.Seconds()})
	}
	if p.Requests > 0 {
		ns(results.WaitPerOp, p.Wait)
		ns(results.CPUPerOp, p.CPU)
	}
	if p.HasRSS {
		v = append(v, results.Value{Unit: results.RSSPerConn, Value: p.RSSPerConn})
	}
	if p.HasKernel {
		k := p.Kernel
		for _, u := range []struct {
			unit  results.Unit
			value float64
		}{
			{results.TimeWaitClient, float64(k.TimeWaitClient)}, {results.TimeWaitServer, float64(k.TimeWaitServer)},
			{results.CloseWait, float64(k.CloseWait)}, {results.SynRecv, float64(k.SynRecv)},
			{results.ListenOverflows, float64(k.ListenOverflows)}, {results.ListenDrops, float64(k.ListenDrops)},
			{results.PortsInUse, float64(k.PortsInUse)}, {results.PortsRange, float64(k.Ports)},
			{results.ServerFDs, float64(k.FDs.Open)}, {results.FDHeadroom, float64(k.FDs.Headroom())},
		} {
			v = append(v, results.Value{Unit: u.unit, Value: u.value})
		}
	}
	if p.Hist != nil {
		ns(results.StartErr, p.StartErr)
	}
	return results.Result{
		Config: cfg,
		Name:   echoName(p),
		Procs:  r.procs(),
		Iters:  int(p.Requests),
		Values: v,
	}
}

// echoName is p's name.
func echoName(p Point) results.Name {
	return results.Name{Bench: results.Echo, Keys: []results.KV{
		{Key: results.Server, Value: p.Server}, {Key: results.PoolKey, Value: p.Pool},
		{Key: results.Conns, Value: strconv.Itoa(p.Conns)}}}
}

// WriteFile writes r to path atomically (results.WriteFile): a failed or
// interrupted write leaves the previous file at path untouched.
func WriteFile(path string, r *Results) error {
	return results.WriteFile(path, r.write)
}

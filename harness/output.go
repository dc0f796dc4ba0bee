package harness

import (
	"cmp"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/results"
)

// Results is what a sweep measured, ready to be written through package
// results.
type Results struct {
	Config  []results.KV       // file configuration common to every result
	Servers []ServerInfo       // in sweep order; each opens a configuration block
	Points  []Point            // echo points, in run order
	Idle    []IdleRestartPoint // restart-while-idle points, in run order
	Burst   []ColdBurstPoint   // cold bursts, in run order
	// Questions are the verdicts over the pool designs of every question
	// (an experiment, a server and a level), after the repetitions run.
	Questions []Question
	Knees     []Knee // one per (server, pool) of the echo points
	Procs     int    // the client's GOMAXPROCS, the -N suffix of names
	// Written counts the points written to Sweep.Out as they finished,
	// which Points, Idle and Burst then do not hold.
	Written int

	out   *results.Writer         // Sweep.Out; nil keeps every point
	cfgs  map[string][]results.KV // each server's configuration block, by name
	knees []kneeSample            // what Knees needs of every echo point
}

// Len is the number of points in r: echo, restart-while-idle and
// cold-burst, kept or written.
func (r *Results) Len() int { return len(r.Points) + len(r.Idle) + len(r.Burst) + r.Written }

// addPoint records a finished echo point: written at once under Sweep.Out,
// keeping only what its knee needs, else kept in Points.
func (r *Results) addPoint(p Point) error {
	if k, ok := kneeOf(p); ok {
		r.knees = append(r.knees, k)
	}
	if r.out == nil {
		r.Points = append(r.Points, p)
		return nil
	}
	return r.emit(p.Server, func(cfg []results.KV) error { return r.writePoint(r.out, cfg, p) })
}

// addIdle records a finished point of restart while idle (see addPoint).
func (r *Results) addIdle(p IdleRestartPoint) error {
	if r.out == nil {
		r.Idle = append(r.Idle, p)
		return nil
	}
	return r.emit(p.Server, func(cfg []results.KV) error { return r.out.Write(r.idleResult(cfg, p)) })
}

// addBurst records a finished cold burst (see addPoint).
func (r *Results) addBurst(p ColdBurstPoint) error {
	if r.out == nil {
		r.Burst = append(r.Burst, p)
		return nil
	}
	return r.emit(p.Server, func(cfg []results.KV) error { return r.out.Write(r.burstResult(cfg, p)) })
}

// emit writes one point of server srv to Sweep.Out with write, under
// srv's configuration block, and flushes it: the file holds every
// finished point, and memory none.
func (r *Results) emit(srv string, write func(cfg []results.KV) error) error {
	if r.cfgs == nil {
		r.cfgs = map[string][]results.KV{}
		for _, info := range r.Servers {
			r.cfgs[info.Name] = r.fileConfig(info)
		}
	}
	if err := write(r.cfgs[srv]); err != nil {
		return err
	}
	r.Written++
	return r.out.Flush()
}

// ServerInfo is the per-server configuration recorded with its results.
type ServerInfo struct {
	Name     string
	Protocol server.Protocol
	Loops    int  // 0 when unknown
	External bool // an already running server, not a child process
}

// config returns the file configuration of s's results. Every key has a
// value in every block (results.None when it does not apply).
func (s *Sweep) config() []results.KV {
	model, rate := "closed", results.None
	if s.Rate > 0 {
		model, rate = "open", strconv.FormatFloat(s.Rate, 'f', -1, 64)
	}
	fault, restart, capTime := results.NoFault, results.None, results.None
	if s.Fault != "" {
		fault = s.Fault
	}
	if s.Restart.At > 0 {
		restart = s.Restart.At.String()
	}
	if s.Decide.Time > 0 {
		capTime = s.Decide.Time.String()
	}
	// Only the echo load has a warm-up, and a cold burst lasts as long as
	// it takes: restart while idle's duration is its resumed load's.
	warmup, duration := results.None, results.None
	exps := s.experiments()
	if slices.Contains(exps, echoLoad) {
		warmup = s.Warmup.String()
	}
	if slices.Contains(exps, echoLoad) || slices.Contains(exps, restartIdle) {
		duration = s.Duration.String()
	}
	cfg := []results.KV{
		{Key: "goos", Value: runtime.GOOS}, {Key: "goarch", Value: runtime.GOARCH},
		{Key: "cpu", Value: cpuModel()}, {Key: results.GoVersion, Value: runtime.Version()},
		{Key: results.Model, Value: model},
		{Key: results.Rate, Value: rate},
		{Key: results.Size, Value: s.sizeConfig()},
		{Key: results.Duration, Value: duration},
		{Key: results.Warmup, Value: warmup},
		{Key: results.Count, Value: strconv.Itoa(s.Count)},
		{Key: results.CapReps, Value: strconv.Itoa(max(s.Decide.Reps, s.Count))},
		{Key: results.CapTime, Value: capTime},
		{Key: results.Fault, Value: fault},
		{Key: results.RestartAt, Value: restart},
	}
	return append(cfg, s.Shard.config()...)
}

// serverPoints returns the points of server srv by pool (in sweep order),
// pool size and workers; the sort is stable, so repetitions stay in run
// order.
func (r *Results) serverPoints(srv string) []Point {
	poolRank := map[string]int{}
	for _, p := range r.Points {
		if _, ok := poolRank[p.Pool]; !ok {
			poolRank[p.Pool] = len(poolRank)
		}
	}
	var pts []Point
	for _, p := range r.Points {
		if p.Server == srv {
			pts = append(pts, p)
		}
	}
	slices.SortStableFunc(pts, func(a, b Point) int {
		return cmp.Or(cmp.Compare(poolRank[a.Pool], poolRank[b.Pool]), cmp.Compare(a.MaxConns, b.MaxConns), cmp.Compare(a.Workers, b.Workers),
			cmp.Compare(a.Size, b.Size))
	})
	return pts
}

// Write writes r to w through results.Writer, one configuration block per
// server: its Echo points (serverPoints' order), each followed by its
// histogram under Shard and its Restart result, then its points of restart
// while idle and its cold bursts, in run order. (A sweep with Out set
// writes each point as it finishes instead, in run order.)
func (r *Results) Write(w io.Writer) error {
	out := results.NewWriter(w)
	if err := r.write(out); err != nil {
		return err
	}
	return out.Flush()
}

func (r *Results) write(out *results.Writer) error {
	restarts := slices.ContainsFunc(r.Points, func(p Point) bool { return p.Restart != nil })
	if err := declare(out, len(r.Points) > 0, restarts, len(r.Idle) > 0, len(r.Burst) > 0); err != nil {
		return err
	}
	for _, srv := range r.Servers {
		cfg := r.fileConfig(srv)
		for _, p := range r.serverPoints(srv.Name) {
			if err := r.writePoint(out, cfg, p); err != nil {
				return err
			}
		}
		for _, p := range r.Idle {
			if p.Server == srv.Name {
				if err := out.Write(r.idleResult(cfg, p)); err != nil {
					return err
				}
			}
		}
		for _, p := range r.Burst {
			if p.Server == srv.Name {
				if err := out.Write(r.burstResult(cfg, p)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// declare writes the Unit lines of the kinds of result a file holds, at
// its top.
func declare(out *results.Writer, echo, restart, idle, burst bool) error {
	for _, units := range []struct {
		present bool
		units   []results.Unit
	}{
		{echo, results.EchoUnits},
		{restart, results.RestartUnits},
		{idle, results.RestartIdleUnits},
		{burst, results.ColdBurstUnits},
	} {
		if units.present {
			if err := out.Declare(units.units...); err != nil {
				return err
			}
		}
	}
	return nil
}

// writePoint writes echo point p, then under Shard its histogram, then
// its Restart result, each its own.
func (r *Results) writePoint(out *results.Writer, cfg []results.KV, p Point) error {
	if err := out.Write(r.pointResult(cfg, p)); err != nil {
		return err
	}
	if p.Hist != nil {
		// A point's repetitions are written in run order, so its
		// repetition is its place among its name's results.
		h := results.Hist{Name: echoName(p), Rep: p.Rep, Start: p.WindowStart, End: p.WindowEnd, Hist: p.Hist}
		if err := out.WriteHist(h); err != nil {
			return err
		}
	}
	if p.Restart != nil {
		return out.Write(r.restartResult(cfg, *p.Restart))
	}
	return nil
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

// pointName is the name of p's results: server, pool, pool size, workers.
func pointName(b results.Bench, server, pool string, maxConns, workers int, extra ...results.KV) results.Name {
	keys := []results.KV{{Key: results.Server, Value: server}, {Key: results.PoolKey, Value: pool}}
	keys = append(keys, extra...)
	keys = append(keys, results.KV{Key: results.MaxConns, Value: strconv.Itoa(maxConns)}, results.KV{Key: results.Workers, Value: strconv.Itoa(workers)})
	return results.Name{Bench: b, Keys: keys}
}

// pointResult is p as a result. Latency, wait, fairness and CPU are left
// out when no request succeeded; per-class error counts only when non-zero.
func (r *Results) pointResult(cfg []results.KV, p Point) results.Result {
	v := []results.Value{{Unit: results.ReqPerSec, Value: p.ReqPerSec()}}
	// Only with requests, as latency: benchfmt reads a 0 back in its unit
	// as written, not tidied, so a reader by unit would not find it.
	if p.Size > 0 && p.Requests > 0 {
		v = append(v, results.Value{Unit: results.EchoMBPerSec, Value: p.ReqPerSec() * float64(p.Size) / 1e6})
	}
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
	v = append(v, results.Value{Unit: results.Dials, Value: float64(p.Dials)}, results.Value{Unit: results.Filled, Value: float64(p.Filled)})
	if p.Window > 0 {
		v = append(v, results.Value{Unit: results.DialRate, Value: float64(p.WindowDials) / p.Window.Seconds()})
	}
	if p.Requests > 0 {
		ns(results.WaitPerOp, p.Wait.Mean)
	}
	// A shard's point (p.Hist set) leaves out what poolbench merge cannot
	// combine exactly from shard files (merge/rules.go): the wait's
	// percentiles and share, and the fairness over all workers.
	if p.Requests > 0 && p.Hist == nil {
		ns(results.WaitP50, p.Wait.P50)
		ns(results.WaitP99, p.Wait.P99)
		ns(results.WaitMax, p.Wait.Max)
		v = append(v, results.Value{Unit: results.Waited, Value: p.Wait.Waited},
			results.Value{Unit: results.Fairness, Value: p.Fairness})
	}
	ns(results.Stall, p.Stall)
	if p.Requests > 0 {
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

// echoName is p's name; close=server follows the pool when the server
// closed first, and a point of a Sizes sweep ends it with its size.
func echoName(p Point) results.Name {
	var closer []results.KV
	if p.ServerClosed {
		closer = append(closer, results.KV{Key: results.Closer, Value: results.ServerCloses})
	}
	n := pointName(results.Echo, p.Server, p.Pool, p.MaxConns, p.Workers, closer...)
	if p.Size > 0 {
		n.Keys = append(n.Keys, results.KV{Key: results.Size, Value: strconv.Itoa(p.Size)})
	}
	return n
}

// sizeConfig is the size configuration line's value: the one message
// size, or a Sizes sweep's list (each point's is in its name).
func (s *Sweep) sizeConfig() string {
	if len(s.Sizes) == 0 {
		return strconv.Itoa(s.Size)
	}
	list := make([]string, len(s.Sizes))
	for i, n := range s.Sizes {
		list[i] = strconv.Itoa(n)
	}
	return strings.Join(list, ",")
}

// WriteFile writes r to path atomically (results.WriteFile): a failed or
// interrupted write leaves the previous file at path untouched.
func WriteFile(path string, r *Results) error {
	return results.WriteFile(path, r.write)
}

package harness

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/poolbench/poolbench/faults"
	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/results"
	"github.com/poolbench/poolbench/verdict"
)

// Concurrency limits. A goroutine-per-conn server at 10,000 conns measures
// the Go scheduler more than its design, and the client is one process with
// 20,000 descriptors, so only event-loop servers get pools past 1,024 conns.
const (
	MaxWorkers       = 10000 // the most workers (and conns) any point may use
	MaxConnsThreaded = 1024  // the most conns for a server that is not an event loop
)

// MaxSize bounds Settings.Size; an echo of more than 1 MiB per request is a
// bulk-transfer test, not a pool benchmark.
const MaxSize = 1 << 20

// Pool is one pool design under load, as a value: the harness knows
// pools only through the contract (impls/pool), never a design by name.
type Pool struct {
	Name string // design name, as in pool=NAME
	// New builds a pool from cfg; called afresh for every point.
	New func(cfg pool.Config) (pool.Pool, error)
}

// Server is one server design under load, as a value.
type Server struct {
	Name     string          // design name, as in server=NAME
	Protocol server.Protocol // what the workers speak to it
	// EventLoop marks designs that may hold more than MaxConnsThreaded conns.
	EventLoop bool
	// Loops is the event loops it runs with, recorded in the output;
	// 0 when unknown (an external server).
	Loops int
	// Launch starts an instance for each point. Restart needs a Process
	// with an -addr argument, to start it again on the same address.
	Launch Launcher
}

// Sweep is the load engine: for each server, pool design, pool size and
// worker level it runs a point of Workers workers sharing one pool of
// MaxConns conns, each looping Get, write, read the echo, verify, Put,
// and measures it. Repetitions are interleaved: rep 1 of every point,
// then rep 2, so that a slow minute of the machine spreads over all
// designs instead of landing on one. Fill in the fields and call Run.
//
// The Sweep owns its experiments: a fault (Fault) and a server restart
// under load (Restart) are fields that every point carries out, and their
// results are the point's own (Point.Restart), written with it. Restart
// while idle (Restart.Idle) and the cold burst (ColdBurst) are scenarios
// that replace the steady load: each of their points is a record of its
// own (IdleRestartPoint, ColdBurstPoint), run, decided and written by Run
// like an echo point. A new per-point experiment is a field here, carried
// out in runPoint (point.go) and recorded in Point; a new scenario is an
// experiment (scenarios.go) with its own record.
type Sweep struct {
	Settings
	Servers []Server
	Pools   []Pool
	// DialDelay is added to every dial the pools make, as the round trip
	// of a TCP handshake across a real network. 0 means none, unless Fault
	// is latency=D: then every dial waits D, since a proxy cannot delay a
	// connect (the kernel completes the handshake before any accept), and
	// on a real network with that round trip the handshake costs one too.
	DialDelay time.Duration
	// Rate selects the open-loop model: total requests per second over all
	// workers, each sending on its own fixed schedule. 0 means closed loop.
	Rate float64
	// Fault is a fault spec (faults.ParseSpec: latency=10ms, reset_peer,
	// timeout, slow_close, none) injected by a proxy of its own between the
	// pool and the server of every point; "" means no proxy.
	Fault string
	// Restart kills every point's server and starts it again; the zero
	// value means no restart.
	Restart Restart
	// ColdBurst runs bursts of Gets on empty pools instead of the steady
	// load (see ColdBurst); the zero value runs none.
	ColdBurst ColdBurst
	// Shard makes this sweep one of several run at once from different
	// client hosts against one server (see Shard); the zero value runs
	// the whole load.
	Shard Shard
	// Decide repeats undecided points after the Count repetitions: for
	// each question (server, pool size, workers) whose leading pools'
	// 95% intervals of the headline metric overlap (acquire-wait p99 when
	// workers outnumber conns, req/s otherwise; failures after the resume
	// of restart while idle; the time to serve a cold burst), their points run again,
	// interleaved, until the verdict is settled or the cap is reached
	// (package verdict). The zero value (Reps 0) repeats nothing; a
	// sharded sweep repeats nothing either (its shards must run the same
	// points).
	Decide verdict.Cap
	// ShareServer runs every point of a server design against one server
	// process, started before its first point and stopped after the sweep,
	// instead of a fresh one per point; RSS per conn is then not measured.
	// It saves a child's start-up (150-250 ms here) per point; Restart
	// needs a process of its own per point and ignores it.
	ShareServer bool
	// Sizes are message sizes in bytes, each swept as points of its own,
	// named size=B after workers (benchstat -row /size) and carrying their
	// payload throughput (results.EchoMBPerSec): bulk transfer, where
	// server designs differ by copies, buffer sizes and the write path
	// rather than by a 64-byte round trip. Each is 1 to MaxSize, and at
	// most server.MaxDatagram for a server speaking UDP. Nil sweeps
	// Settings.Size alone, with no size key in the names. A sizes sweep
	// is of the steady load: not with Restart (whose results are named
	// without a size), restart while idle or the cold burst.
	Sizes []int
	// ServerCloses says that the servers close each conn first, after
	// its echo (poolbench serve -close-after, as an HTTP/1.0 server closes
	// after its response): every request then waits for the server's close
	// (EOF) after the echo, and the conn is discarded, never reused. Every
	// request dials, and the TIME_WAIT socket lands on the server's side.
	// Raw echo servers only; the names carry close=server.
	ServerCloses bool
	// EndWhen, when set, is called with each point's pool once it is built
	// (before the load starts) and returns a channel whose close ends that
	// point's window early: for a caller that waits on the event it is
	// about (the server relaunched, the first reset) rather than guessing
	// how long it takes on a loaded machine. Duration still bounds the
	// window; Point.Window is how long it lasted. A nil channel, or a close
	// during the warm-up, ends nothing before the warm-up is over.
	EndWhen func(pool.Pool) <-chan struct{}
	// Progress receives one line per point and the knees; nil discards.
	Progress io.Writer
	// Out, when set, receives every point as soon as it finishes, with its
	// configuration block (and its restart result, or histogram under
	// Shard), flushed: the Results Run returns then hold none of the
	// points (Results.Written counts them), only what deciding and the
	// knees need of each, so that a sweep's memory does not grow with the
	// points it has run. nil keeps every point in the Results.
	Out *results.Writer

	shared sharedServers // the instances under ShareServer, for one Run
}

// ErrInterrupted is returned (wrapped) by Run when its ctx ended: the
// Results hold every point that finished before.
var ErrInterrupted = errors.New("sweep interrupted")

// Validate reports the first invalid field of s. It changes nothing.
func (s *Sweep) Validate() error {
	switch {
	case len(s.Servers) == 0:
		return errors.New("no servers to sweep")
	case len(s.Pools) == 0:
		return errors.New("no pool designs to sweep")
	case s.Rate < 0:
		return invalid("Rate", "rate is %v req/s, want >= 0", s.Rate)
	case s.DialDelay < 0:
		return invalid("DialDelay", "dial delay is %v, want >= 0", s.DialDelay)
	}
	if err := s.Settings.validate(); err != nil {
		return err
	}
	if err := s.validateSizes(); err != nil {
		return err
	}
	if s.Fault != "" {
		if _, err := faults.ParseSpec(s.Fault); err != nil {
			return &FieldError{Field: "Fault", Err: err}
		}
	}
	for _, p := range s.Pools {
		if p.New == nil {
			return fmt.Errorf("pool %s has no New", p.Name)
		}
	}
	for _, srv := range s.Servers {
		if srv.Launch == nil {
			return fmt.Errorf("server %s has no Launch", srv.Name)
		}
		if s.ServerCloses && len(s.Sizes) > 0 {
			return invalid("ServerCloses", "a server closes first after one message of -size bytes; not with a sweep of sizes")
		}
		if s.ServerCloses && srv.Protocol != server.Echo {
			return invalid("ServerCloses", "server %s speaks %s: only a raw echo server closes a conn after its echo", srv.Name, srv.Protocol)
		}
		switch srv.Protocol {
		case server.Echo, server.HTTP:
		case server.UDP:
			field, largest := "Size", s.Size
			if len(s.Sizes) > 0 {
				field, largest = "Sizes", slices.Max(s.Sizes)
			}
			if largest > server.MaxDatagram {
				return invalid(field, "message size is %d bytes, but server %s speaks UDP: a datagram holds at most %d",
					largest, srv.Name, server.MaxDatagram)
			}
		default:
			return fmt.Errorf("server %s speaks unknown protocol %q", srv.Name, srv.Protocol)
		}
		if err := s.Restart.check(srv, s.Warmup+s.Duration); err != nil {
			return &FieldError{Field: "Restart.At", Err: err}
		}
	}
	if err := s.checkScenarios(); err != nil {
		return err
	}
	// One repetition stands for all: every repetition runs the same points.
	plan := s.points()
	if len(plan) == 0 {
		return &FieldError{Field: "MaxConns", Err: fmt.Errorf("%w: every pool size exceeds every worker level, "+
			"or every level is above %d conns, the most for a server that is not an event loop", ErrNothingToRun, MaxConnsThreaded)}
	}
	// Every shard needs at least one worker and one conn of every point.
	minWorkers, minConns := plan[0].size.workers, plan[0].size.maxConns
	for _, p := range plan {
		minWorkers, minConns = min(minWorkers, p.size.workers), min(minConns, p.size.maxConns)
	}
	if err := s.Shard.validate(minWorkers, minConns); err != nil {
		return &FieldError{Field: "Shard", Err: err}
	}
	return nil
}

// ErrNothingToRun is returned (wrapped) by Validate when no point is left
// to run: a sweep that would measure nothing is an error, not a success.
var ErrNothingToRun = errors.New("nothing to run")

// Preview is the Results the sweep would write, with the first repetition
// of every planned point and nothing measured: what its output will hold,
// for checking an existing output file before the run, not after it.
func (s *Sweep) Preview() (*Results, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	res := s.newResults()
	for _, p := range s.points() {
		switch p.exp {
		case echoLoad:
			res.Points = append(res.Points, Point{Server: p.srv.Name, Pool: p.pool.Name, Workers: p.size.workers, MaxConns: p.size.maxConns, Rep: 1, Size: p.msg})
		case restartIdle:
			res.Idle = append(res.Idle, IdleRestartPoint{Server: p.srv.Name, Pool: p.pool.Name, Workers: p.size.workers, MaxConns: p.size.maxConns, Rep: 1})
		case coldBurst:
			res.Burst = append(res.Burst, ColdBurstPoint{Server: p.srv.Name, Pool: p.pool.Name, MaxConns: p.size.maxConns, Burst: p.size.workers, DialDelay: p.dial, Rep: 1})
		}
	}
	return res, nil
}

// newResults is the Results of s before any point ran.
func (s *Sweep) newResults() *Results {
	res := &Results{Config: s.config(), Procs: runtime.GOMAXPROCS(0)}
	for _, srv := range s.Servers {
		res.Servers = append(res.Servers, ServerInfo{Name: srv.Name, Protocol: srv.Protocol, Loops: srv.Loops, External: isExternal(srv.Launch)})
	}
	return res
}

// planned is one point to run.
type planned struct {
	exp  experiment
	srv  Server
	pool Pool
	// size is the point's workers and pool size; a cold burst's workers
	// are its callers, Factor x its pool size.
	size level
	dial time.Duration // a cold burst's dial cost
	rep  int
	msg  int // the message size of a Sizes sweep's echo point; 0: Settings.Size
}

// level is one point's workers and pool size.
type level struct{ workers, maxConns int }

// points lists the points of one repetition, by experiment, server, pool
// and level.
func (s *Sweep) points() []planned {
	var ps []planned
	for _, exp := range s.experiments() {
		for _, srv := range s.Servers {
			for _, pd := range s.Pools {
				if exp == coldBurst {
					for _, d := range s.ColdBurst.DialDelays {
						for _, m := range burstSizes(s.levels(srv)) {
							ps = append(ps, planned{exp: exp, srv: srv, pool: pd, size: level{m * s.ColdBurst.Factor, m}, dial: d, rep: 1})
						}
					}
					continue
				}
				for _, lv := range s.levels(srv) {
					for _, msg := range s.msgSizes() {
						ps = append(ps, planned{exp: exp, srv: srv, pool: pd, size: lv, rep: 1, msg: msg})
					}
				}
			}
		}
	}
	return ps
}

// burstSizes are the pool sizes of levels, each once, in order: a cold
// burst's callers follow from its pool size, not from the workers.
func burstSizes(levels []level) []int {
	var ms []int
	for _, lv := range levels {
		if !slices.Contains(ms, lv.maxConns) {
			ms = append(ms, lv.maxConns)
		}
	}
	return ms
}

// levels returns the (workers, pool size) pairs srv is loaded at, by pool
// size then workers: Auto resolved to the workers, pools larger than
// their workers and, unless srv is an event loop, above MaxConnsThreaded
// left out, each pair once.
func (s *Sweep) levels(srv Server) []level {
	var out []level
	for _, m := range s.MaxConns {
		for _, w := range s.Workers {
			lv := level{w, cmp.Or(m, w)}
			if lv.maxConns > w || !srv.EventLoop && lv.maxConns > MaxConnsThreaded || slices.Contains(out, lv) {
				continue
			}
			out = append(out, lv)
		}
	}
	slices.SortFunc(out, func(a, b level) int {
		return cmp.Or(cmp.Compare(a.maxConns, b.maxConns), cmp.Compare(a.workers, b.workers))
	})
	return out
}

// Run validates s and runs every point: Count repetitions interleaved,
// then, under Decide, the leaders of every undecided question again. When
// ctx ends it stops the point in progress, drops it, stops the server and
// returns the finished points with an error wrapping ErrInterrupted. Any
// other error (a server that does not start, a pool that rejects its
// config) ends the sweep with that error.
func (s *Sweep) Run(ctx context.Context) (*Results, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	prog := &progress{w: s.Progress}
	res := s.newResults()
	for _, srv := range s.Servers {
		if !srv.EventLoop && slices.ContainsFunc(s.MaxConns, func(m int) bool { return m > MaxConnsThreaded }) ||
			!srv.EventLoop && slices.ContainsFunc(s.Workers, func(w int) bool { return w > MaxConnsThreaded }) && slices.Contains(s.MaxConns, Auto) {
			prog.warn("server %s is not an event loop: skipping the points of more than %d conns", srv.Name, MaxConnsThreaded)
		}
	}
	defer func() {
		if err := s.shared.stop(); err != nil {
			prog.warn("%v", err)
		}
	}()
	var trials []*trial
	for _, p := range s.points() {
		trials = append(trials, &trial{point: p, run: func(ctx context.Context, p planned, slot time.Time) (float64, error) {
			return s.runPlanned(ctx, p, slot, res, prog)
		}})
	}
	exps := s.experiments()
	if s.Out != nil {
		res.out = s.Out
		if err := declare(s.Out, slices.Contains(exps, echoLoad), s.Restart.At > 0 && !s.Restart.Idle,
			slices.Contains(exps, restartIdle), slices.Contains(exps, coldBurst)); err != nil {
			return res, err
		}
	}
	prog.begin(len(trials) * s.Count)
	err := s.decide(ctx, trials, prog)
	res.Questions = questions(trials, s.Decide)
	if slices.Contains(exps, echoLoad) {
		res.Knees = kneesOf(res.knees)
		prog.knees(res.Knees)
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("%w after %d of %d points: %w", ErrInterrupted, prog.done, prog.total, context.Cause(ctx))
	}
	return res, err
}

// runPlanned runs p, adds its record to res and returns its headline
// value. A point that ctx ended is dropped.
func (s *Sweep) runPlanned(ctx context.Context, p planned, slot time.Time, res *Results, prog *progress) (float64, error) {
	var v float64
	var err error
	switch p.exp {
	case echoLoad:
		var pt Point
		if pt, err = s.runPoint(ctx, p, prog, slot); err == nil && ctx.Err() == nil {
			v, _ = headline(pt)
			err = res.addPoint(pt)
			prog.point(pt, max(p.rep, s.Count))
		}
	case restartIdle:
		var pt IdleRestartPoint
		if pt, err = s.restartIdle(ctx, p); err == nil && ctx.Err() == nil {
			v = float64(pt.Failures)
			err = res.addIdle(pt)
			prog.idle(pt)
		}
	case coldBurst:
		var pt ColdBurstPoint
		if pt, err = s.coldBurst(ctx, p); err == nil && ctx.Err() == nil {
			v = float64(pt.Served)
			err = res.addBurst(pt)
			prog.burst(pt)
		}
	}
	if err != nil && ctx.Err() == nil {
		return 0, fmt.Errorf("%s: %w", p, err)
	}
	return v, nil
}

func isExternal(l Launcher) bool {
	_, ok := l.(External)
	return ok
}

package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/server"
)

// Concurrency limits. A goroutine-per-conn server at 10,000 conns measures
// the Go scheduler more than its design, and the client is one process with
// 20,000 descriptors, so only event-loop servers are loaded past 1,024.
const (
	MaxConns         = 10000 // the most conns any point may use
	MaxConnsThreaded = 1024  // the most for a server that is not an event loop
)

// DefaultConns is the concurrency sweep used when Sweep.Conns is empty.
var DefaultConns = []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}

// Default values of Sweep fields left zero.
const (
	DefaultSize      = 64
	DefaultOpTimeout = 5 * time.Second
)

// MaxSize bounds Sweep.Size; an echo of more than 1 MiB per request is a
// bulk-transfer test, not a pool benchmark.
const MaxSize = 1 << 20

// Pool is one pool design under load, as a value: the harness knows
// pools only through the contract (impls/pool), never a design by name.
type Pool struct {
	Name string // design name, as in pool=NAME
	// New builds a pool from cfg; called afresh for every point.
	New func(cfg pool.Config) (pool.Pool, error)
}

// Server is one server design under load.
type Server struct {
	Name     string          // design name, as in server=NAME
	Protocol server.Protocol // what the workers speak to it
	// EventLoop marks designs that may be loaded past MaxConnsThreaded.
	EventLoop bool
	// Loops is the event loops it runs with, recorded in the output;
	// 0 when unknown (an external server).
	Loops int
	// Launch starts an instance for each point.
	Launch Launcher
}

// Sweep is the load engine: for each server, pool design and concurrency
// level it runs a point of Conns workers sharing one pool (MaxConns =
// Conns), each looping Get, write, read the echo, verify, Put, and
// measures it. Repetitions are interleaved: rep 1 of every point, then rep
// 2, so that a slow minute of the machine spreads over all designs instead
// of landing on one. Fill in the fields and call Run.
type Sweep struct {
	Servers []Server
	Pools   []Pool
	// Conns are the concurrency levels; empty means DefaultConns. Levels
	// above MaxConnsThreaded are skipped for servers that are not event loops.
	Conns []int
	// Duration is each point's measurement window. Required.
	Duration time.Duration
	// Warmup runs before the window of every point, unmeasured: the pool
	// dials, the server's and client's heaps grow. 0 means none.
	Warmup time.Duration
	// Count is the number of repetitions of every point; 0 means 1.
	Count int
	// DialDelay is added to every dial the pools make, as the round trip of
	// a TCP handshake across a real network; Fault sets it for latency=D,
	// since a proxy cannot delay a connect (the kernel completes the
	// handshake before any accept). 0 means none.
	DialDelay time.Duration
	// Size is the message (echo payload, HTTP body) in bytes; 0 means DefaultSize.
	Size int
	// Rate selects the open-loop model: total requests per second over all
	// workers, each sending on its own fixed schedule. 0 means closed loop.
	Rate float64
	// OpTimeout is the deadline of one request's write and read, and of a
	// dial; 0 means DefaultOpTimeout.
	OpTimeout time.Duration
	// Shard makes this sweep one of several run at once from different
	// client hosts against one server (see Shard); the zero value runs
	// the whole load.
	Shard Shard
	// Progress receives one line per point and the knees; nil discards.
	Progress io.Writer

	prog *progress // set by Run
}

// ErrInterrupted is returned (wrapped) by Run when its ctx ended: the
// Results hold every point that finished before.
var ErrInterrupted = errors.New("sweep interrupted")

// Validate reports the first invalid field of s, after applying defaults.
func (s *Sweep) Validate() error {
	s.defaults()
	switch {
	case len(s.Servers) == 0:
		return errors.New("no servers to sweep")
	case len(s.Pools) == 0:
		return errors.New("no pool designs to sweep")
	case s.Duration <= 0:
		return fmt.Errorf("duration is %v, want > 0", s.Duration)
	case s.Warmup < 0:
		return fmt.Errorf("warm-up is %v, want >= 0", s.Warmup)
	case s.Count < 0:
		return fmt.Errorf("count is %d, want >= 1", s.Count)
	case s.Size < 1 || s.Size > MaxSize:
		return fmt.Errorf("message size is %d bytes, want 1 to %d", s.Size, MaxSize)
	case s.Rate < 0:
		return fmt.Errorf("rate is %v req/s, want >= 0", s.Rate)
	case s.OpTimeout < 0:
		return fmt.Errorf("op timeout is %v, want >= 0", s.OpTimeout)
	}
	for _, c := range s.Conns {
		if c < 1 || c > MaxConns {
			return fmt.Errorf("concurrency level %d out of range 1 to %d", c, MaxConns)
		}
	}
	if err := s.Shard.validate(slices.Min(s.Conns), slices.Min(s.Conns)); err != nil {
		return err
	}
	for _, srv := range s.Servers {
		if srv.Launch == nil {
			return fmt.Errorf("server %s has no Launch", srv.Name)
		}
		switch srv.Protocol {
		case server.Echo, server.HTTP:
		case server.UDP:
			if s.Size > server.MaxDatagram {
				return fmt.Errorf("message size is %d bytes, but server %s speaks UDP: a datagram holds at most %d",
					s.Size, srv.Name, server.MaxDatagram)
			}
		default:
			return fmt.Errorf("server %s speaks unknown protocol %q", srv.Name, srv.Protocol)
		}
	}
	if len(s.plan()) == 0 {
		return fmt.Errorf("%w: every level is above %d conns, the most for a server that is not an event loop", ErrNothingToRun, MaxConnsThreaded)
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
	for _, p := range s.plan() {
		if p.rep == 1 {
			res.Points = append(res.Points, Point{Server: p.srv.Name, Pool: p.pool.Name, Conns: p.conns})
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

func (s *Sweep) defaults() {
	if len(s.Conns) == 0 {
		s.Conns = DefaultConns
	}
	s.Conns = slices.Compact(slices.Sorted(slices.Values(s.Conns)))
	if s.Count == 0 {
		s.Count = 1
	}
	if s.Size == 0 {
		s.Size = DefaultSize
	}
	if s.OpTimeout == 0 {
		s.OpTimeout = DefaultOpTimeout
	}
}

// planned is one point to run.
type planned struct {
	srv        Server
	pool       Pool
	conns, rep int
}

// plan lists the points in run order: repetitions outermost.
func (s *Sweep) plan() []planned {
	var ps []planned
	for rep := 1; rep <= s.Count; rep++ {
		for _, srv := range s.Servers {
			for _, pd := range s.Pools {
				for _, c := range s.levels(srv) {
					ps = append(ps, planned{srv, pd, c, rep})
				}
			}
		}
	}
	return ps
}

// levels returns the concurrency levels srv is loaded at.
func (s *Sweep) levels(srv Server) []int {
	if srv.EventLoop {
		return s.Conns
	}
	return slices.DeleteFunc(slices.Clone(s.Conns), func(c int) bool { return c > MaxConnsThreaded })
}

// Run runs every point. When ctx ends it stops the point in progress,
// drops it, stops the server and returns the finished points with an error
// wrapping ErrInterrupted. Any other error (a server that does not start,
// a pool that rejects its config) ends the sweep with that error.
func (s *Sweep) Run(ctx context.Context) (*Results, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	plan := s.plan()
	prog := &progress{w: s.Progress}
	s.prog = prog
	res := s.newResults()
	for _, srv := range s.Servers {
		if skipped := len(s.Conns) - len(s.levels(srv)); skipped > 0 {
			prog.warn("server %s is not an event loop: skipping the %d levels above %d conns", srv.Name, skipped, MaxConnsThreaded)
		}
	}
	prog.begin(len(plan))
	for k, p := range plan {
		pt, err := s.runPoint(ctx, p.srv, p.pool, p.conns, p.rep, s.Shard.slot(k, s.Warmup+s.Duration))
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			return res, fmt.Errorf("%s/%s conns=%d: %w", p.srv.Name, p.pool.Name, p.conns, err)
		}
		res.Points = append(res.Points, pt)
		prog.point(pt, s.Count)
	}
	res.Knees = Knees(res.Points)
	prog.knees(res.Knees)
	if ctx.Err() != nil {
		return res, fmt.Errorf("%w after %d of %d points: %w", ErrInterrupted, len(res.Points), len(plan), context.Cause(ctx))
	}
	return res, nil
}

func isExternal(l Launcher) bool {
	_, ok := l.(External)
	return ok
}

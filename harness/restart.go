package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// Restart is the server-restart fault. In every point, At after the server
// is up, it kills the server process with SIGKILL, as a crash would, and
// starts it again on the same address. Every conn the pool holds or keeps
// idle dies at once; a correct pool skips the stale idle conns (the
// dead-peer check on Get) or discards each after one failed use, and
// redials. Restart records per point what the callers saw (Results) and
// logs one line per point.
//
// It hooks in from the outside: Apply wraps each server's Launcher and each
// pool design's constructor, so the load loop itself is unchanged. Points
// run one at a time, so one Restart follows one point at a time.
type Restart struct {
	// At is when the server is killed, counted from when it first accepted.
	// It must fall inside the point (warm-up plus window).
	At time.Duration
	// Log receives one line per point; nil discards.
	Log io.Writer

	span time.Duration // warm-up + window of every point, set by Apply

	mu      sync.Mutex
	cur     *restartPoint   // the point running now; guarded by mu
	results []RestartResult // guarded by mu
}

// RestartResult is what the callers of one point saw of the restart. Times
// are from the moment the relaunched server accepted ("up").
type RestartResult struct {
	Server, Pool string
	Conns        int
	// Down is from the kill until the relaunched server accepted.
	Down time.Duration
	// FirstOK is when the first request that succeeded after up ended.
	FirstOK time.Duration
	// Settled is when the last request that failed after up ended; 0 when
	// none did. From then on, every request succeeded.
	Settled time.Duration
	// ErrorsAfter and OKAfter count the requests that ended after up,
	// except failed Gets begun before up (the server was down then).
	ErrorsAfter, OKAfter int64
	// LastOK is when the last successful request ended.
	LastOK time.Duration
	// Err is set when the restart did not happen or the relaunch failed.
	Err error
}

// Recovered reports whether the callers got the server back: requests
// succeeded after up, and the last failure came before the last success.
func (r RestartResult) Recovered() bool {
	return r.Err == nil && r.OKAfter > 0 && r.Settled < r.LastOK
}

// String is the result's log line.
func (r RestartResult) String() string {
	head := fmt.Sprintf("restart: %s/%s conns=%d: ", r.Server, r.Pool, r.Conns)
	if r.Err != nil {
		return head + r.Err.Error()
	}
	return head + fmt.Sprintf("down %v; first ok +%v, settled +%v; %d failed and %d ok after the restart",
		r.Down.Round(time.Microsecond), r.FirstOK.Round(time.Microsecond), r.Settled.Round(time.Microsecond),
		r.ErrorsAfter, r.OKAfter)
}

// Apply makes every point of s restart its server. Call it once s is filled
// in and before s.Run; it needs servers that are child processes started
// with an -addr argument (Process), since those are the ones it can kill
// and start again on the same address.
func (r *Restart) Apply(s *Sweep) error {
	if err := s.Validate(); err != nil {
		return err
	}
	r.span = s.Warmup + s.Duration
	if r.At <= 0 || r.At >= r.span {
		return fmt.Errorf("restart at %v: want inside each point's %v (warm-up plus duration)", r.At, r.span)
	}
	// Build the wrapped lists first, so that a rejected Apply leaves s as it was.
	servers := slices.Clone(s.Servers)
	for i, srv := range servers {
		proc, ok := srv.Launch.(Process)
		if !ok {
			return fmt.Errorf("server %s: restart needs a child server process, not %T", srv.Name, srv.Launch)
		}
		if _, err := proc.withAddr("127.0.0.1:1"); err != nil {
			return fmt.Errorf("server %s: %w", srv.Name, err)
		}
		servers[i].Launch = restartLauncher{r: r, server: srv.Name, proc: proc}
	}
	pools := slices.Clone(s.Pools)
	for i, pd := range pools {
		newPool := pd.New
		pools[i].New = func(cfg pool.Config) (pool.Pool, error) {
			p, err := newPool(cfg)
			if err != nil {
				return nil, err
			}
			rec := r.current()
			if rec == nil { // not built for a point this Restart launched
				return p, nil
			}
			rec.mu.Lock()
			rec.res.Pool, rec.res.Conns = pd.Name, cfg.MaxConns
			rec.mu.Unlock()
			return &observedPool{Pool: p, rec: rec}, nil
		}
	}
	s.Servers, s.Pools = servers, pools
	return nil
}

// Results returns the result of every point so far, in run order.
func (r *Restart) Results() []RestartResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.results)
}

func (r *Restart) current() *restartPoint {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// withAddr returns p with its -addr argument set to addr.
func (p Process) withAddr(addr string) (Process, error) {
	args := slices.Clone(p.Args)
	for i, a := range args {
		switch {
		case (a == "-addr" || a == "--addr") && i+1 < len(args):
			args[i+1] = addr
		case strings.HasPrefix(a, "-addr=") || strings.HasPrefix(a, "--addr="):
			args[i] = "-addr=" + addr
		default:
			continue
		}
		p.Args = args
		return p, nil
	}
	return p, errors.New("restart needs the server's -addr argument to start it again on the same address")
}

// observedPool reports each request's outcome to the point's record: a Put
// is a request that succeeded, a Discard or a failed Get one that failed
// (the load loop Discards on any error; it also Discards a correct HTTP
// reply that asked to close the conn, which the echo servers never do).
type observedPool struct {
	pool.Pool
	rec *restartPoint
}

func (p *observedPool) Get(ctx context.Context) (net.Conn, error) {
	began := time.Since(p.rec.base)
	c, err := p.Pool.Get(ctx)
	if err != nil {
		p.rec.failedGet(began)
	}
	return c, err
}

func (p *observedPool) Put(c net.Conn) error {
	err := p.Pool.Put(c)
	p.rec.observe(err == nil)
	return err
}

func (p *observedPool) Discard(c net.Conn) error {
	p.rec.observe(false)
	return p.Pool.Discard(c)
}

// restartPoint is the record of one point under Restart. Times are offsets
// from base, when the point's first server accepted.
type restartPoint struct {
	base time.Time
	span time.Duration // requests that end later are past the point

	mu  sync.Mutex
	up  time.Duration // when the relaunched server accepted; -1 before; guarded by mu
	res RestartResult // guarded by mu
}

// errNoRestart is the result of a point that ended before its restart.
var errNoRestart = errors.New("the point ended before the restart")

// restarted records the kill and the relaunch.
func (p *restartPoint) restarted(killed, up time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Down = up - killed
	if err != nil {
		p.res.Err = fmt.Errorf("relaunch after the kill failed: %w", err)
		return
	}
	p.up = up
}

// observe records a request that just ended.
func (p *restartPoint) observe(ok bool) { p.record(ok, -1) }

// failedGet records a Get, begun at began, that just failed. One begun
// before the relaunched server accepted failed because the server was
// down (a refused dial), not by the pool's doing, however late its
// goroutine got to report it: with many workers on a busy machine that
// report can come milliseconds after up, and counting it would bury the
// failures that tell pools apart (stale conns handed out after up).
func (p *restartPoint) failedGet(began time.Duration) { p.record(false, began) }

// record records a request that just ended; began < 0 when unknown.
func (p *restartPoint) record(ok bool, began time.Duration) {
	t := time.Since(p.base)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.up < 0 || t > p.span || began >= 0 && began < p.up {
		return
	}
	t -= p.up
	if !ok {
		p.res.ErrorsAfter++
		p.res.Settled = t
		return
	}
	if p.res.OKAfter == 0 {
		p.res.FirstOK = t
	}
	p.res.OKAfter++
	p.res.LastOK = t
}

func (p *restartPoint) result() RestartResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	res := p.res
	if p.up < 0 && res.Err == nil {
		res.Err = errNoRestart
	}
	return res
}

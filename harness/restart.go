package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// Restart is the server-restart experiment of a Sweep (Sweep.Restart). In
// every point, At after the server is up, the server process is killed
// with SIGKILL, as a crash would, and started again on the same address.
// Every conn the pool holds or keeps idle dies at once; a correct pool
// skips the stale idle conns (the dead-peer check on Get) or discards
// each after one failed use, and redials. The point records what its
// callers saw (Point.Restart) and the progress log gets one line.
//
// This is restart under load: the load keeps running through the outage,
// so it uses, and discards, the stale conns by itself. Restart while idle
// (Idle) is the other mode. A new restart mode is a field here, carried
// out by launch and restartInstance, or, when it replaces the steady load,
// by a scenario of its own (restart_idle.go).
type Restart struct {
	// At is when the server is killed, counted from when it first
	// accepted; it must fall inside the point (warm-up plus window). 0
	// means no restart. Under Idle it is the load's time before it goes
	// quiet, any time > 0.
	At time.Duration
	// Idle restarts while idle instead of under load (see
	// Sweep.restartIdle): the load runs At, goes quiet, the server is
	// killed and started again, and the load resumes for the sweep's
	// Duration. Each point is then an IdleRestartPoint, written as
	// BenchmarkRestartIdle, instead of an echo point.
	Idle bool
	// Relaunched, if set, is called under load each time a point's server
	// is back and the point has recorded when: requests that end from then
	// on count as after the restart (Point.Restart). A point that ends on
	// the restart (Sweep.EndWhen) waits for this, not for the server's own
	// output, which can come first: the relaunched server accepts, and
	// callers succeed, before the harness has read its address.
	Relaunched func()
}

// check reports whether srv can be restarted within a point of span.
func (r Restart) check(srv Server, span time.Duration) error {
	if r.At == 0 {
		if r.Idle {
			return errors.New("restart while idle needs the load's time before it goes quiet (At > 0)")
		}
		return nil
	}
	if r.At < 0 || !r.Idle && r.At >= span {
		return fmt.Errorf("restart at %v: want inside each point's %v (warm-up plus duration)", r.At, span)
	}
	proc, ok := srv.Launch.(Process)
	if !ok {
		return fmt.Errorf("server %s: restart needs a child server process, not %T", srv.Name, srv.Launch)
	}
	if _, err := proc.withAddr("127.0.0.1:1"); err != nil {
		return fmt.Errorf("server %s: %w", srv.Name, err)
	}
	return nil
}

// RestartResult is what the callers of one point saw of the restart. Times
// are from the moment the relaunched server accepted ("up").
type RestartResult struct {
	Server, Pool      string
	Workers, MaxConns int
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
	head := fmt.Sprintf("restart: %s/%s maxconns=%d workers=%d: ", r.Server, r.Pool, r.MaxConns, r.Workers)
	if r.Err != nil {
		return head + r.Err.Error()
	}
	return head + fmt.Sprintf("down %v; first ok +%v, settled +%v; %d failed and %d ok after the restart",
		r.Down.Round(time.Microsecond), r.FirstOK.Round(time.Microsecond), r.Settled.Round(time.Microsecond),
		r.ErrorsAfter, r.OKAfter)
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

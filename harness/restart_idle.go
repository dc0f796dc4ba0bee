package harness

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// restartIdle runs p under Restart.Idle, the restart-while-idle scenario:
// the failure a client meets when its server restarted while it sent
// nothing, and its next request takes a conn whose peer is gone.
//
// Workers load the server through one pool for Restart.At, then go quiet:
// each finishes its request in flight and sends nothing more, so every
// conn the pool kept is idle. The server is killed with SIGKILL, as a
// crash would, and started again on the same address; once it accepts,
// the load resumes for Duration. Every conn dialed before the kill is now
// stale. A pool whose Get skips dead idle conns (a peek at the kernel
// socket) hands out none of them and no request fails; a pool without
// that check hands each one out once, and that request fails.
//
// Restart under load (Restart without Idle) is the other mode: there the
// load itself uses and discards every stale conn during the outage, so it
// measures recovery, not the check.
func (s *Sweep) restartIdle(ctx context.Context, p planned) (pt IdleRestartPoint, err error) {
	proc := p.srv.Launch.(Process) // Validate checked
	conns := newConnLedger()
	r, err := s.newRig(ctx, p, proc, p.size.workers, func(dial dialFunc) dialFunc {
		return func(ctx context.Context) (net.Conn, error) {
			c, err := dial(ctx)
			if err == nil {
				conns.dialed(c)
			}
			return c, err
		}
	})
	if err != nil {
		return pt, err
	}
	defer func() { err = cmp.Or(err, r.close()) }()
	again, err := proc.withAddr(r.addr)
	if err != nil {
		return pt, err
	}
	pt = IdleRestartPoint{Server: p.srv.Name, Pool: p.pool.Name, Workers: p.size.workers, MaxConns: p.size.maxConns, Rep: p.rep}
	res := &pt.IdleRestartResult
	fill := phaseLoad{pool: r.pool, xs: r.xs, opTimeout: s.OpTimeout}
	if out, err := fill.run(ctx, s.Restart.At); err != nil {
		return pt, err
	} else if out.ok == 0 {
		return pt, fmt.Errorf("no request succeeded before the restart (%d failed)", out.failures)
	}
	res.Idle = conns.open(r.pool)

	// Quiet: every worker has returned. Kill and relaunch on the same address.
	killed := time.Now()
	_ = syscall.Kill(r.inst.PID(), syscall.SIGKILL)
	_ = r.inst.Stop() // reaps the child; its error is the kill just done
	if r.inst, err = launchRetry(ctx, again); err != nil {
		r.inst = nil // nothing left to stop
		return pt, fmt.Errorf("relaunch after the kill: %w", err)
	}
	resumed := time.Now()
	res.Down = resumed.Sub(killed)
	stale := conns.seal()

	resume := phaseLoad{pool: r.pool, xs: r.xs, opTimeout: s.OpTimeout, stale: stale}
	out, err := resume.run(ctx, s.Duration)
	if err != nil {
		return pt, err
	}
	res.Failures, res.Stale, res.OK = out.failures, out.stale, out.ok
	res.Dials = conns.dialsAfterSeal()
	if out.ok > 0 {
		res.FirstOK = out.firstOK
	}
	return pt, nil
}

// IdleRestartResult is what the callers saw after the resume.
type IdleRestartResult struct {
	// Idle is the conns the pool had open when the load went quiet: the
	// dials before the kill minus the conns it closed.
	Idle int
	// Failures are requests that failed after the resume (a failed Get or
	// exchange).
	Failures int64
	// Stale counts Gets after the resume that handed out a conn dialed
	// before the kill.
	Stale int64
	// Dials are the dials the pool started after the resume: to recover.
	Dials int64
	// OK counts requests that succeeded after the resume.
	OK int64
	// FirstOK is from the resume to the end of the first successful
	// request; 0 when none succeeded.
	FirstOK time.Duration
	// Down is from the kill until the relaunched server accepted.
	Down time.Duration
}

// launchRetry starts p, retrying for relaunchTimeout: the port can be
// briefly unavailable (EADDRINUSE) right after the kill.
func launchRetry(ctx context.Context, p Process) (Instance, error) {
	end := time.Now().Add(relaunchTimeout)
	for {
		inst, err := p.Launch(ctx)
		if err == nil || time.Now().After(end) || ctx.Err() != nil {
			return inst, err
		}
		if !sleepUntil(ctx, time.Now().Add(10*time.Millisecond)) {
			return nil, ctx.Err()
		}
	}
}

// connLedger knows every conn the pool dialed by its local address, and
// which were dialed before the kill: a pool wraps the conns it hands out,
// but a wrapper still answers LocalAddr, so the address identifies the
// conn under any wrapper.
type connLedger struct {
	mu     sync.Mutex
	sealed bool                // the kill happened; guarded by mu
	before map[string]struct{} // local addresses dialed before the kill; guarded by mu
	after  atomic.Int64        // dials after the kill
	total  atomic.Int64        // dials in all
}

func newConnLedger() *connLedger { return &connLedger{before: map[string]struct{}{}} }

func (l *connLedger) dialed(c net.Conn) {
	l.total.Add(1)
	key := c.LocalAddr().String()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sealed {
		l.after.Add(1)
		// A fresh conn can reuse the port of a stale one already closed.
		delete(l.before, key)
		return
	}
	l.before[key] = struct{}{}
}

// open returns the conns p had open when the load went quiet: its Stats
// when it keeps them, else every dial (a pool without counters).
func (l *connLedger) open(p pool.Pool) int {
	if s := p.Stats(); s.Open > 0 || s.Dials > 0 {
		return s.Open
	}
	return int(l.total.Load())
}

// seal marks the kill: conns dialed from now on are fresh.
func (l *connLedger) seal() *connLedger {
	l.mu.Lock()
	l.sealed = true
	l.mu.Unlock()
	return l
}

// takeStale reports whether c was dialed before the kill, and forgets it
// so that one stale conn counts once.
func (l *connLedger) takeStale(c net.Conn) bool {
	key := c.LocalAddr().String()
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.before[key]
	delete(l.before, key)
	return ok
}

func (l *connLedger) dialsAfterSeal() int64 { return l.after.Load() }

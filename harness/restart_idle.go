package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/server"
)

// IdleRestart is the restart-while-idle scenario: the failure a client
// meets when its server restarted while it sent nothing, and its next
// request takes a conn whose peer is gone.
//
// Workers load the server through one pool for Fill, then go quiet: each
// finishes its request in flight and sends nothing more, so every conn the
// pool kept is idle. The server is killed with SIGKILL, as a crash would,
// and started again on the same address; once it accepts, the load
// resumes for Resume. Every conn dialed before the kill is now stale. A
// pool whose Get skips dead idle conns (a peek at the kernel socket) hands
// out none of them and no request fails; a pool without that check hands
// each one out once, and that request fails.
//
// Restart under load (Restart) is the other mode: there the load itself
// uses and discards every stale conn during the outage, so it measures
// recovery, not the check.
type IdleRestart struct {
	// Server is the child server; it needs an -addr argument (see
	// Process.withAddr) so that it can be started again on the same address.
	Server   Process
	Protocol server.Protocol
	// New builds the pool under test.
	New func(pool.Config) (pool.Pool, error)
	// Workers share the pool, of MaxConns conns; MaxConns 0 means Workers.
	Workers, MaxConns int
	// Fill is how long the load runs before it goes quiet; Resume how long
	// it runs after the relaunched server accepted.
	Fill, Resume time.Duration
	Size         int           // message bytes; 0 means DefaultSize
	OpTimeout    time.Duration // one request's deadline, and a dial's; 0 means DefaultOpTimeout
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

// Run runs the scenario once, on a server it launches and stops.
func (r IdleRestart) Run(ctx context.Context) (res IdleRestartResult, err error) {
	if err := r.validate(); err != nil {
		return res, err
	}
	size, opTimeout := orDefaultInt(r.Size, DefaultSize), orDefault(r.OpTimeout, DefaultOpTimeout)
	maxConns := orDefaultInt(r.MaxConns, r.Workers)
	inst, err := r.Server.Launch(ctx)
	if err != nil {
		return res, fmt.Errorf("server: %w", err)
	}
	defer func() {
		if serr := inst.Stop(); serr != nil && err == nil {
			err = fmt.Errorf("server: %w", serr)
		}
	}()
	addr := inst.Addr()
	again, err := r.Server.withAddr(addr)
	if err != nil {
		return res, err
	}
	conns := newConnLedger()
	dialer := &net.Dialer{Timeout: opTimeout}
	p, err := r.New(pool.Config{
		Dial: func(ctx context.Context) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network(r.Protocol), addr)
			if err == nil {
				conns.dialed(c)
			}
			return c, err
		},
		MaxConns: maxConns,
	})
	if err != nil {
		return res, fmt.Errorf("pool: %w", err)
	}
	defer p.Close()

	xs := make([]exchanger, r.Workers)
	for i := range xs {
		if xs[i], err = newExchanger(r.Protocol, size, addr); err != nil {
			return res, err
		}
	}
	fill := phaseLoad{pool: p, xs: xs, opTimeout: opTimeout}
	if out, err := fill.run(ctx, r.Fill); err != nil {
		return res, err
	} else if out.ok == 0 {
		return res, fmt.Errorf("no request succeeded before the restart (%d failed)", out.failures)
	}
	res.Idle = conns.open(p)

	// Quiet: every worker has returned. Kill and relaunch on the same address.
	killed := time.Now()
	_ = syscall.Kill(inst.PID(), syscall.SIGKILL)
	_ = inst.Stop() // reaps the child; its error is the kill just done
	inst, err = launchRetry(ctx, again)
	if err != nil {
		inst = external(addr) // nothing left to stop
		return res, fmt.Errorf("relaunch after the kill: %w", err)
	}
	resumed := time.Now()
	res.Down = resumed.Sub(killed)
	stale := conns.seal()

	resume := phaseLoad{pool: p, xs: xs, opTimeout: opTimeout, stale: stale}
	out, err := resume.run(ctx, r.Resume)
	if err != nil {
		return res, err
	}
	res.Failures, res.Stale, res.OK = out.failures, out.stale, out.ok
	res.Dials = conns.dialsAfterSeal()
	if out.ok > 0 {
		res.FirstOK = out.firstOK
	}
	return res, nil
}

func (r IdleRestart) validate() error {
	switch {
	case r.New == nil:
		return errors.New("restart while idle: no pool constructor")
	case r.Workers < 1:
		return fmt.Errorf("restart while idle: %d workers, want >= 1", r.Workers)
	case r.MaxConns < 0:
		return fmt.Errorf("restart while idle: MaxConns %d, want >= 0", r.MaxConns)
	case r.Fill <= 0 || r.Resume <= 0:
		return fmt.Errorf("restart while idle: fill %v and resume %v, want both > 0", r.Fill, r.Resume)
	}
	_, err := r.Server.withAddr("127.0.0.1:1")
	return err
}

func orDefaultInt(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
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

package harness

import (
	"context"
	"sync"
	"syscall"
	"time"
)

// launch starts srv for one point. Under Restart it returns the instance
// that kills and relaunches the server, whose record the point reads;
// otherwise rp is nil.
func (s *Sweep) launch(ctx context.Context, srv Server) (inst Instance, rp *restartInstance, err error) {
	if s.Restart.At == 0 {
		if s.ShareServer {
			inst, err = s.shared.get(ctx, srv)
			return inst, nil, err
		}
		inst, err = srv.Launch.Launch(ctx)
		return inst, nil, err
	}
	proc := srv.Launch.(Process) // Validate checked
	first, err := proc.Launch(ctx)
	if err != nil {
		return nil, nil, err
	}
	rp = &restartInstance{
		at: s.Restart.At, relaunched: s.Restart.Relaunched, proc: proc, ctx: ctx, addr: first.Addr(), cur: first, stop: make(chan struct{}),
		rec: &restartPoint{base: time.Now(), span: s.Warmup + s.Duration, up: -1},
	}
	rp.wg.Go(rp.restartAt)
	return rp, rp, nil
}

// restartInstance is the server of one point, across its restart.
type restartInstance struct {
	at         time.Duration
	relaunched func() // Restart.Relaunched
	proc       Process
	ctx        context.Context
	rec        *restartPoint
	addr       string // stable across the restart
	stop       chan struct{}
	halt       sync.Once
	wg         sync.WaitGroup

	mu  sync.Mutex
	cur Instance // the live process; nil when the relaunch failed; guarded by mu
}

// relaunchTimeout bounds the attempts to start the server again; the port
// can be briefly unavailable (EADDRINUSE) right after the kill.
const relaunchTimeout = 10 * time.Second

func (ri *restartInstance) restartAt() {
	timer := time.NewTimer(ri.at)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ri.stop:
		return
	}
	ri.mu.Lock()
	old := ri.cur
	ri.mu.Unlock()
	_ = syscall.Kill(old.PID(), syscall.SIGKILL)
	killed := time.Since(ri.rec.base)
	_ = old.Stop()                       // reaps the child; its error is the kill we just did
	proc, _ := ri.proc.withAddr(ri.addr) // check made sure it has -addr
	inst, err := launchRetry(ri.ctx, proc)
	ri.mu.Lock()
	ri.cur = inst
	ri.mu.Unlock()
	ri.rec.restarted(killed, time.Since(ri.rec.base), err)
	if err == nil && ri.relaunched != nil {
		ri.relaunched()
	}
}

func (ri *restartInstance) Addr() string { return ri.addr }

func (ri *restartInstance) PID() int {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.cur == nil {
		return 0
	}
	return ri.cur.PID()
}

// finish cancels the restart if it is still pending, waits for one under
// way, and returns the point's result.
func (ri *restartInstance) finish(server, pool string, workers, maxConns int) RestartResult {
	ri.halt.Do(func() { close(ri.stop) })
	ri.wg.Wait()
	res := ri.rec.result()
	res.Server, res.Pool, res.Workers, res.MaxConns = server, pool, workers, maxConns
	return res
}

// Stop stops the restart if it is still pending, then the live server.
func (ri *restartInstance) Stop() error {
	ri.halt.Do(func() { close(ri.stop) })
	ri.wg.Wait()
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.cur == nil {
		return ri.rec.result().Err
	}
	return ri.cur.Stop()
}

package harness

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"time"
)

// restartLauncher launches a server that restartInstance kills and starts again.
type restartLauncher struct {
	r      *Restart
	server string
	proc   Process
}

func (l restartLauncher) Launch(ctx context.Context) (Instance, error) {
	inst, err := l.proc.Launch(ctx)
	if err != nil {
		return nil, err
	}
	rec := &restartPoint{base: time.Now(), span: l.r.span, up: -1}
	rec.res.Server = l.server
	l.r.mu.Lock()
	l.r.cur = rec
	l.r.mu.Unlock()
	ri := &restartInstance{l: l, ctx: ctx, rec: rec, addr: inst.Addr(), cur: inst, stop: make(chan struct{})}
	ri.wg.Go(ri.restartAt)
	return ri, nil
}

// restartInstance is the server of one point, across its restart.
type restartInstance struct {
	l    restartLauncher
	ctx  context.Context
	rec  *restartPoint
	addr string // stable across the restart
	stop chan struct{}
	wg   sync.WaitGroup

	mu  sync.Mutex
	cur Instance // the live process; nil when the relaunch failed; guarded by mu
}

// relaunchTimeout bounds the attempts to start the server again; the port
// can be briefly unavailable (EADDRINUSE) right after the kill.
const relaunchTimeout = 10 * time.Second

func (ri *restartInstance) restartAt() {
	timer := time.NewTimer(ri.l.r.At)
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
	_ = old.Stop()                         // reaps the child; its error is the kill we just did
	proc, _ := ri.l.proc.withAddr(ri.addr) // Apply checked it has -addr
	var inst Instance
	var err error
	for end := time.Now().Add(relaunchTimeout); ; {
		if inst, err = proc.Launch(ri.ctx); err == nil || time.Now().After(end) || ri.ctx.Err() != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	ri.mu.Lock()
	ri.cur = inst
	ri.mu.Unlock()
	ri.rec.restarted(killed, time.Since(ri.rec.base), err)
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

// Stop stops the restart if it is still pending, then the live server, and
// records and logs the point's result.
func (ri *restartInstance) Stop() error {
	close(ri.stop)
	ri.wg.Wait()
	res := ri.rec.result()
	r := ri.l.r
	r.mu.Lock()
	r.results = append(r.results, res)
	if r.cur == ri.rec {
		r.cur = nil
	}
	r.mu.Unlock()
	if r.Log != nil {
		fmt.Fprintln(r.Log, res)
	}
	if ri.cur == nil {
		return res.Err
	}
	return ri.cur.Stop()
}

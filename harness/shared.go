package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// sharedServers keeps one running instance per server design for a whole
// sweep (Sweep.ShareServer). Starting a child server costs 150-250 ms on a
// 2-core machine (the poolbench binary's start-up), more than a short
// point's whole window; sharing it trades the fresh process per point (no
// conns or heap left from the previous point, a clean RSS baseline) for
// the time to run enough points and repetitions to decide.
type sharedServers struct {
	mu   sync.Mutex
	live map[string]Instance // by server name; guarded by mu
}

// get returns srv's running instance, launching it on first use. The
// instance it returns ignores Stop, and reports PID 0 so that no point
// reads an RSS growth that earlier points left behind.
func (ss *sharedServers) get(ctx context.Context, srv Server) (Instance, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if inst, ok := ss.live[srv.Name]; ok {
		return keptInstance{inst}, nil
	}
	inst, err := srv.Launch.Launch(ctx)
	if err != nil {
		return nil, err
	}
	if ss.live == nil {
		ss.live = map[string]Instance{}
	}
	ss.live[srv.Name] = inst
	return keptInstance{inst}, nil
}

// stop stops every instance and waits for each.
func (ss *sharedServers) stop() error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var errs []error
	for name, inst := range ss.live {
		if err := inst.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("server %s: %w", name, err))
		}
	}
	ss.live = nil
	return errors.Join(errs...)
}

// keptInstance is a shared instance as one point sees it: its Stop leaves
// the server running for the next point. Its PID is 0, so that no point
// takes the RSS a whole sweep grew for its own; the kernel's counters are
// still read for it (kernelPID).
type keptInstance struct{ inst Instance }

func (k keptInstance) Addr() string { return k.inst.Addr() }
func (keptInstance) PID() int       { return 0 }
func (keptInstance) Stop() error    { return nil }

// kernelPID is the process whose sockets and fds the kernel probe reads
// for a point on inst: a shared server's too. Its TIME_WAIT sockets are
// counted by their timers from the window's start, and its other counters
// are peaks or moves within the window, so earlier points do not leak into
// this one's as they would into RSS per conn.
func kernelPID(inst Instance) int {
	if k, ok := inst.(keptInstance); ok {
		return k.inst.PID()
	}
	return inst.PID()
}

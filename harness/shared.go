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
// the server running for the next point.
type keptInstance struct{ inst Instance }

func (k keptInstance) Addr() string { return k.inst.Addr() }
func (keptInstance) PID() int       { return 0 }
func (keptInstance) Stop() error    { return nil }

package harness

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/poolbench/poolbench/impls/pool"
)

// rig is what a scenario point (restart while idle, a cold burst) runs
// on: a server instance of its own, a fresh pool of the point's design
// dialing it, and one exchanger per caller.
type rig struct {
	inst Instance // the live server; a restart replaces it
	addr string
	pool pool.Pool
	xs   []exchanger
}

// dialFunc is a pool's Dial.
type dialFunc = func(ctx context.Context) (net.Conn, error)

// newRig launches p's server with launch and builds p's pool of p's
// MaxConns over a dial to it, wrapped by wrap (which counts or delays
// dials), with one exchanger for each of callers. On error nothing is
// left running.
func (s *Sweep) newRig(ctx context.Context, p planned, launch Launcher, callers int, wrap func(dialFunc) dialFunc) (r *rig, err error) {
	inst, err := launch.Launch(ctx)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	r = &rig{inst: inst, addr: inst.Addr()}
	defer func() {
		if err != nil {
			err = errors.Join(err, r.close())
		}
	}()
	dialer := &net.Dialer{Timeout: s.OpTimeout}
	dial := func(ctx context.Context) (net.Conn, error) {
		return dialer.DialContext(ctx, network(p.srv.Protocol), r.addr)
	}
	if r.pool, err = p.pool.New(pool.Config{Dial: wrap(dial), MaxConns: p.size.maxConns}); err != nil {
		return r, fmt.Errorf("pool: %w", err)
	}
	r.xs = make([]exchanger, callers)
	for i := range r.xs {
		if r.xs[i], err = newExchanger(p.srv.Protocol, s.Size, r.addr); err != nil {
			return r, err
		}
	}
	return r, nil
}

// close closes the pool, then stops the server.
func (r *rig) close() error {
	if r.pool != nil {
		r.pool.Close()
	}
	if r.inst == nil {
		return nil
	}
	if err := r.inst.Stop(); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

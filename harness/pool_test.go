package harness

import (
	"context"
	"net"
	"sync/atomic"

	"github.com/poolbench/poolbench/impls/pool"
)

// testPool is a minimal pool.Pool so the harness is tested on its own,
// independent of the registered designs: a buffered channel of idle conns
// and a channel semaphore, allocation-free on Get and Put.
type testPool struct {
	dial   func(ctx context.Context) (net.Conn, error)
	idle   chan net.Conn
	slots  chan struct{} // one token per open or dialing conn
	dials  atomic.Uint64
	closed atomic.Bool
}

var testDesign = Pool{Name: "test", New: newTestPool}

func newTestPool(cfg pool.Config) (pool.Pool, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	return &testPool{dial: cfg.Dial, idle: make(chan net.Conn, cfg.MaxConns), slots: make(chan struct{}, cfg.MaxConns)}, nil
}

func (p *testPool) Get(ctx context.Context) (net.Conn, error) {
	if p.closed.Load() {
		return nil, pool.ErrClosed
	}
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, nil
	case p.slots <- struct{}{}:
		p.dials.Add(1)
		c, err := p.dial(ctx)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *testPool) Put(c net.Conn) error {
	if p.closed.Load() {
		return p.Discard(c)
	}
	p.idle <- c // never blocks: at most MaxConns conns exist
	return nil
}

func (p *testPool) Discard(c net.Conn) error {
	err := c.Close()
	<-p.slots
	return err
}

func (p *testPool) Close() error {
	p.closed.Store(true)
	for {
		select {
		case c := <-p.idle:
			p.Discard(c)
		default:
			return nil
		}
	}
}

func (p *testPool) Stats() pool.Stats { return pool.Stats{Dials: p.dials.Load()} }

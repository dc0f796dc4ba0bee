package bench

import (
	"context"
	"net"

	"github.com/poolbench/poolbench/impls/pool"
)

// fifoFloor is the lowest possible cost of a Get+Put that waits first in
// first out: a buffered channel holding MaxConns conns, dialed up front,
// and nothing else. A Get that finds it empty parks in the runtime's own
// receive queue and a Put hands its conn straight to the oldest one, so
// under exhaustion its time is the runtime's park, ready and switch and
// little more. It counts nothing, checks no misuse and never breaks the
// chain of hand-offs that keeps one Get in the run queue (see the package
// doc), which is why its max wait at -cpu 1 is the row's length. Like the
// floor it is the benchmarks' reference row, not a design: what a design
// costs over it in the exhausted rows is what the design does beyond
// waiting (counting waits, honouring ctx, fairness, leases).
type fifoFloor struct {
	idle chan net.Conn
}

func newFIFOFloor(cfg pool.Config) (pool.Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &fifoFloor{idle: make(chan net.Conn, cfg.MaxConns)}
	for range cfg.MaxConns {
		c, err := cfg.Dial(context.Background())
		if err != nil {
			f.Close()
			return nil, err
		}
		f.idle <- c
	}
	return f, nil
}

func (f *fifoFloor) Get(ctx context.Context) (net.Conn, error) {
	done := ctx.Done()
	if done == nil {
		return <-f.idle, nil // ctx cannot end: a plain receive, as our designs do
	}
	select {
	case c := <-f.idle:
		return c, nil
	case <-done:
		return nil, ctx.Err()
	}
}

func (f *fifoFloor) Put(c net.Conn) error { f.idle <- c; return nil }

// Discard returns c, as the floor's does: the benchmarks never discard.
func (f *fifoFloor) Discard(c net.Conn) error { return f.Put(c) }

// Close closes the idle conns; it is for the end of a row, when every conn
// is back.
func (f *fifoFloor) Close() error {
	for {
		select {
		case c := <-f.idle:
			c.Close()
		default:
			return nil
		}
	}
}

func (f *fifoFloor) Stats() pool.Stats { return pool.Stats{} }

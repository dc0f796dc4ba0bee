package bench

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync/atomic"

	"github.com/poolbench/poolbench/impls/pool"
)

// floor is the lowest possible cost of a Get+Put: a fixed array of
// pre-made conns, each claimed with one CAS on its own cache line and freed
// with one store. It has no idle list, no waiters, no expiry and no misuse
// checks, and spins (yielding) while every slot is taken; it exists only as
// the benchmarks' reference row, not as a design.
type floor struct {
	slots []floorSlot
	conns []fakeConn
	// failFast makes Get fail with errExhausted instead of spinning; the
	// tests use it to check the benchmarks' handling of fail-fast pools.
	failFast bool
}

// errExhausted is a fail-fast floor's Get error while every slot is taken.
var errExhausted = errors.New("floor: every slot is taken")

// floorSlot is padded to a cache line so that goroutines claiming
// neighbouring slots do not invalidate each other's line.
type floorSlot struct {
	held atomic.Bool
	_    [63]byte
}

func newFloor(cfg pool.Config) (pool.Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &floor{slots: make([]floorSlot, cfg.MaxConns), conns: make([]fakeConn, cfg.MaxConns)}
	for i := range f.conns {
		f.conns[i].slot = i
	}
	return f, nil
}

func (f *floor) Get(ctx context.Context) (net.Conn, error) {
	for {
		for i := range f.slots {
			s := &f.slots[i].held
			if !s.Load() && s.CompareAndSwap(false, true) {
				return &f.conns[i], nil
			}
		}
		if f.failFast {
			return nil, errExhausted
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		runtime.Gosched()
	}
}

func (f *floor) Put(c net.Conn) error {
	f.slots[c.(*fakeConn).slot].held.Store(false)
	return nil
}

func (f *floor) Discard(c net.Conn) error { return f.Put(c) }
func (f *floor) Close() error             { return nil }
func (f *floor) Stats() pool.Stats        { return pool.Stats{} }

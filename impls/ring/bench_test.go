package ring_test

import (
	"context"
	"net"
	"runtime"
	"testing"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/ring"
)

// nopConn is a conn that does nothing, so the benchmark measures the pool.
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }

// BenchmarkGetPut is the quick check of ring's own cost while working on it:
// one Get and one Put, uncontended (one goroutine, idle conns always there)
// and exhausted (32 goroutines per P share 4 conns, so nearly every Get
// parks for a hand-off). bench/ compares every design with wait tails.
func BenchmarkGetPut(b *testing.B) {
	ctx := context.Background()
	newPool := func(b *testing.B) pool.Pool {
		p, err := ring.New(pool.Config{
			Dial:     func(context.Context) (net.Conn, error) { return nopConn{}, nil },
			MaxConns: 4,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { p.Close() })
		return p
	}
	b.Run("scenario=uncontended", func(b *testing.B) {
		p := newPool(b)
		b.ReportAllocs()
		for b.Loop() {
			c, err := p.Get(ctx)
			if err != nil {
				b.Fatal(err)
			}
			p.Put(c)
		}
	})
	// parallel: one goroutine per P, as many conns as Ps, so a Get should
	// always find a conn. parks/op counts the Gets that parked anyway (a
	// push or pop in flight hid the conn), which is what made ring lose
	// to the lock-based designs here: a park costs a mutex, a channel and
	// sends every later Get and Put to the slow path until it is served.
	b.Run("scenario=parallel", func(b *testing.B) {
		p, err := ring.New(pool.Config{
			Dial:     func(context.Context) (net.Conn, error) { return nopConn{}, nil },
			MaxConns: runtime.GOMAXPROCS(0),
		})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c, err := p.Get(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				p.Put(c)
			}
		})
		s := p.Stats()
		b.ReportMetric(float64(s.Waits)/float64(b.N), "parks/op")
		b.ReportMetric(float64(s.MaxIdleClosed+s.Dials-uint64(runtime.GOMAXPROCS(0)))/float64(b.N), "extra-dials/op")
	})
	b.Run("scenario=exhausted", func(b *testing.B) {
		p := newPool(b)
		b.ReportAllocs()
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c, err := p.Get(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				p.Put(c)
			}
		})
	})
}

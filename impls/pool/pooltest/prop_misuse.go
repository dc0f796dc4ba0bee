package pooltest

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// rejects calls op, a Put or Discard the pool must refuse, and checks the
// refusal against the declared pool.Misuse.
func (f *fixture) rejects(m pool.Misuse, what string, op func() error) {
	err, panicked := func() (err error, panicked any) {
		defer func() { panicked = recover() }()
		return op(), nil
	}()
	switch {
	case m == pool.ReturnsError && panicked != nil:
		f.Errorf("%s panicked (%v), but the pool declares it returns an error", what, panicked)
	case m == pool.ReturnsError && err == nil:
		f.Errorf("%s was accepted (nil error), want an error", what)
	case m == pool.Panics && panicked == nil:
		f.Errorf("%s returned %v, but the pool declares it panics", what, err)
	}
}

// checkDoublePut: a second Put, and a Discard after a Put, are refused; the
// idle conn is not closed, not handed to two callers, and capacity stays.
func checkDoublePut(c *checkT) {
	const n = 2
	f := c.fixture(pool.Config{MaxConns: n})
	a, aid := f.mustGet("a conn")
	f.mustPut(a)
	f.rejects(f.caps.DoublePut, "a second Put of the same hand-out", func() error { return f.put(a) })
	f.rejects(f.caps.DoublePut, "a Discard of a hand-out already Put", func() error { return f.discard(a) })
	want := 0 // the conn is idle
	if f.caps.NeverReuses {
		want = 1 // the first Put closed it; a refused Discard must not again
	}
	if k := f.d.Closes(aid); k != want {
		f.Errorf("after a Put and a refused Discard conn %d was closed %d times, want %d", aid, k, want)
	}
	x, xid := f.mustGet("after the double Put")
	y, yid := f.mustGet("after the double Put")
	if xid == yid {
		f.Fatalf("after a double Put, conn %d was handed to two callers at once", xid)
	}
	w := f.blocked("after a double Put")
	maxDials := n // a and then x or y from the idle a
	if f.caps.NeverReuses {
		maxDials = n + 1 // a, closed by its Put, then x and y
	}
	if d := f.d.Stats().Dials; d > maxDials {
		f.Errorf("%d dials with MaxConns %d, want at most %d", d, n, maxDials)
	}
	f.mustPut(x)
	f.release(w)
	f.mustPut(y)
}

// staleDistances are the numbers of re-acquisitions between a hand-out's
// return and its stale Put. A pool that recognizes hand-outs by a ring of k
// handles misses a stale Put exactly k, 2k, ... hand-outs later; these catch
// a ring of any size up to 1000 that divides one of them, the common small
// ones (1, 2, 4, 8, 16, 32, 64) among them, as well as a plain generation check.
var staleDistances = []int{1, 4, 5, 64, 1000}

// checkStalePut: a hand-out that was returned and whose conn was handed out
// again, 1 to 1000 times, is refused by Put and Discard, and the current
// holder keeps the conn.
func checkStalePut(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 1})
	for _, n := range staleDistances {
		stale, aid := f.mustGet("the only conn")
		f.mustPut(stale)
		var holder net.Conn
		for i := 1; i <= n; i++ {
			conn, id := f.mustGet("re-acquiring the conn")
			if id != aid {
				f.Fatalf("with MaxConns 1 the returned conn %d was not reused (got %d), so a stale Put cannot be checked", aid, id)
			}
			if i < n {
				f.mustPut(conn)
			}
			holder = conn
		}
		what := fmt.Sprintf("a stale Put (the conn was re-acquired %d times since)", n)
		f.rejects(f.caps.StalePut, what, func() error { return f.put(stale) })
		w := f.blocked(fmt.Sprintf("after a stale Put %d re-acquisitions late, while the conn's holder has it", n))
		what = fmt.Sprintf("a stale Discard (the conn was re-acquired %d times since)", n)
		f.rejects(f.caps.StalePut, what, func() error { return f.discard(stale) })
		if k := f.d.Closes(aid); k != 0 {
			f.Fatalf("a stale Discard %d re-acquisitions late closed the conn its holder still uses", n)
		}
		if err := f.put(holder); err != nil {
			f.Fatalf("the holder's own Put after stale ones (%d re-acquisitions late) failed: %v", n, err)
		}
		f.release(w)
	}
}

// checkInvalidConfig: each invalid field is an ErrInvalidConfig error from
// the constructor; a valid Config builds.
func checkInvalidConfig(c *checkT) {
	d := NewDialer(0)
	c.Cleanup(d.closeAll)
	cases := []struct {
		what string
		edit func(*pool.Config)
	}{
		{"MaxConns 0", func(cfg *pool.Config) { cfg.MaxConns = 0 }},
		{"MaxConns -1", func(cfg *pool.Config) { cfg.MaxConns = -1 }},
		{"nil Dial", func(cfg *pool.Config) { cfg.Dial = nil }},
		{"MaxIdle -1", func(cfg *pool.Config) { cfg.MaxIdle = -1 }},
		{"MaxIdle above MaxConns", func(cfg *pool.Config) { cfg.MaxIdle = cfg.MaxConns + 1 }},
		{"IdleTimeout -1s", func(cfg *pool.Config) { cfg.IdleTimeout = -time.Second }},
		{"MaxLifetime -1s", func(cfg *pool.Config) { cfg.MaxLifetime = -time.Second }},
	}
	for _, tc := range cases {
		cfg := pool.Config{Dial: d.Dial, MaxConns: 2}
		tc.edit(&cfg)
		p, err := c.build(cfg)
		switch {
		case err == nil:
			c.Errorf("%s: the constructor accepted it", tc.what)
			p.Close()
		case !errors.Is(err, pool.ErrInvalidConfig):
			c.Errorf("%s: the constructor's error %q does not wrap pool.ErrInvalidConfig", tc.what, err)
		}
	}
	// n/a is earned: a Config field the pool declares it cannot honour
	// must be refused, not silently ignored.
	unsupported := []struct {
		what string
		has  bool
		edit func(*pool.Config)
	}{
		{"IdleTimeout 1m", c.caps.IdleTimeout, func(cfg *pool.Config) { cfg.IdleTimeout = time.Minute }},
		{"MaxLifetime 1h", c.caps.MaxLifetime, func(cfg *pool.Config) { cfg.MaxLifetime = time.Hour }},
		{"MaxIdle 1 of MaxConns 2", c.caps.MaxIdle, func(cfg *pool.Config) { cfg.MaxIdle = 1 }},
	}
	for _, tc := range unsupported {
		if tc.has {
			continue
		}
		cfg := pool.Config{Dial: d.Dial, MaxConns: 2}
		tc.edit(&cfg)
		p, err := c.build(cfg)
		switch {
		case err == nil:
			c.Errorf("%s: the pool declares it cannot honour this, yet the constructor accepted it (want an error wrapping pool.ErrUnsupported)", tc.what)
			p.Close()
		case !errors.Is(err, pool.ErrUnsupported) || !errors.Is(err, pool.ErrInvalidConfig):
			c.Errorf("%s: the constructor's error %q does not wrap both pool.ErrUnsupported and pool.ErrInvalidConfig", tc.what, err)
		}
	}
	p, err := c.build(pool.Config{Dial: d.Dial, MaxConns: 2})
	if err != nil {
		c.Fatalf("a valid Config was refused: %v", err)
	}
	p.Close()
}

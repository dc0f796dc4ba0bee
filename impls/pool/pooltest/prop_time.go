package pooltest

import (
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// checkIdleExpiry: a conn idle for half of IdleTimeout is reused; one idle
// for longer is closed, once, and a fresh conn dialed.
func checkIdleExpiry(c *checkT) {
	const timeout = time.Minute
	f := c.fixture(pool.Config{MaxConns: 2, IdleTimeout: timeout})
	a, aid := f.mustGet("first conn")
	f.mustPut(a)
	time.Sleep(timeout / 2)
	b, bid := f.mustGet("after half the idle timeout")
	if bid != aid {
		f.Errorf("a conn idle for %v (IdleTimeout %v) was not reused: got conn %d, want %d", timeout/2, timeout, bid, aid)
	}
	f.mustPut(b)
	time.Sleep(timeout + time.Second)
	conn, id := f.mustGet("after the idle timeout")
	if id == aid {
		f.Fatalf("a conn idle for %v (IdleTimeout %v) was handed out", timeout+time.Second, timeout)
	}
	synctest.Wait()
	if k := f.d.Closes(aid); k != 1 {
		f.Errorf("the expired conn was closed %d times, want 1", k)
	}
	if d := f.d.Stats().Dials; d != 2 {
		f.Errorf("%d dials, want 2", d)
	}
	f.mustPut(conn)
}

// checkReaper: idle conns past IdleTimeout are closed with no Get at all;
// a conn idle for less is left alone.
func checkReaper(c *checkT) {
	const timeout = time.Minute
	f := c.fixture(pool.Config{MaxConns: 3, IdleTimeout: timeout})
	a, aid := f.mustGet("first conn")
	b, bid := f.mustGet("second conn")
	f.mustPut(a)
	f.mustPut(b)
	time.Sleep(10 * timeout)
	synctest.Wait()
	if ka, kb := f.d.Closes(aid), f.d.Closes(bid); ka != 1 || kb != 1 {
		f.Errorf("after %v idle with IdleTimeout %v and no Get, the idle conns were closed %d and %d times, want 1 each",
			10*timeout, timeout, ka, kb)
	}
	conn, id := f.mustGet("a fresh conn")
	f.mustPut(conn)
	time.Sleep(timeout / 2)
	synctest.Wait()
	if k := f.d.Closes(id); k != 0 {
		f.Errorf("a conn idle for %v (IdleTimeout %v) was closed", timeout/2, timeout)
	}
}

// checkMaxLifetime: a conn held past MaxLifetime is closed when returned;
// an idle one past it is not handed out (and is closed).
func checkMaxLifetime(c *checkT) {
	const life = time.Hour
	f := c.fixture(pool.Config{MaxConns: 2, MaxLifetime: life})
	a, aid := f.mustGet("first conn")
	time.Sleep(life + time.Minute)
	f.mustPut(a)
	synctest.Wait()
	if k := f.d.Closes(aid); k != 1 {
		f.Errorf("a conn %v old (MaxLifetime %v) was closed %d times when returned, want 1", life+time.Minute, life, k)
	}

	b, bid := f.mustGet("second conn")
	f.mustPut(b)
	time.Sleep(life / 2)
	b, id := f.mustGet("a conn half its lifetime old")
	if id != bid {
		f.Errorf("a conn %v old (MaxLifetime %v) was not reused: got conn %d, want %d", life/2, life, id, bid)
	}
	f.mustPut(b)
	time.Sleep(life)
	conn, id := f.mustGet("after the lifetime")
	if id == bid {
		f.Fatalf("a conn %v old (MaxLifetime %v) was handed out", life+life/2, life)
	}
	synctest.Wait()
	if k := f.d.Closes(bid); k != 1 {
		f.Errorf("the conn past its lifetime was closed %d times, want 1", k)
	}
	f.mustPut(conn)
}

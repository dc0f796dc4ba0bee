package pooltest

import (
	"fmt"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// checkIdleExpiry: a conn idle for half of IdleTimeout is reused; one idle
// for longer is closed, once, and a fresh conn dialed.
func checkIdleExpiry(c *checkT) {
	const timeout = time.Minute
	f := c.fixture(pool.Config{MaxConns: 2, IdleTimeout: timeout})
	// Half a second past the timeout: a pool comparing whole seconds sees
	// 60s, not more than 60s, and reuses the conn.
	const past = timeout + time.Second/2
	f.agesOut(timeout/2, past,
		fmt.Sprintf("idle for %v (IdleTimeout %v)", timeout/2, timeout),
		fmt.Sprintf("idle for %v (IdleTimeout %v)", past, timeout))
	if d := f.d.Stats().Dials; d != 2 {
		f.Errorf("%d dials, want 2", d)
	}
}

// agesOut gets a fresh conn and Puts it back; after young it must be
// reused, and once Put again, after old it must be replaced and closed
// once. youngAge and oldAge describe the conn at those two Gets.
func (f *fixture) agesOut(young, old time.Duration, youngAge, oldAge string) {
	conn, first := f.mustGet("a fresh conn")
	f.mustPut(conn)
	time.Sleep(young)
	conn, id := f.mustGet("a young conn")
	if id != first {
		f.Errorf("a conn %s was not reused: got conn %d, want %d", youngAge, id, first)
	}
	f.mustPut(conn)
	time.Sleep(old)
	conn, id = f.mustGet("after the conn aged out")
	if id == first {
		f.Fatalf("a conn %s was handed out", oldAge)
	}
	synctest.Wait()
	if k := f.d.Closes(first); k != 1 {
		f.Errorf("the conn %s was closed %d times, want 1", oldAge, k)
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

	f.agesOut(life/2, life,
		fmt.Sprintf("%v old (MaxLifetime %v)", life/2, life),
		fmt.Sprintf("%v old (MaxLifetime %v)", life+life/2, life))
}

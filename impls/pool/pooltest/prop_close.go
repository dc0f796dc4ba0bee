package pooltest

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/pool"
)

// checkCloseIdle: Close closes each idle conn once; a second Close and a
// Close of an empty pool are safe.
func checkCloseIdle(c *checkT) {
	const n = 3
	f := c.fixture(pool.Config{MaxConns: n})
	f.putAll(f.fill(n))
	if err := f.close(); err != nil {
		f.Errorf("Close: %v", err)
	}
	f.secondClose()
	synctest.Wait()
	for id := 1; id <= n; id++ {
		if k := f.d.Closes(id); k != 1 {
			f.Errorf("idle conn %d was closed %d times by Close, want 1", id, k)
		}
	}
	empty := c.fixture(pool.Config{MaxConns: 1})
	if err := empty.close(); err != nil {
		f.Errorf("Close of an empty pool: %v", err)
	}
	empty.secondClose()
}

// secondClose closes the closed pool again: it must not panic, and may
// return nil or ErrClosed.
func (f *fixture) secondClose() {
	if err := f.close(); err != nil && !errors.Is(err, pool.ErrClosed) {
		f.Errorf("a second Close returned %v, want nil or ErrClosed", err)
	}
}

// checkGetAfterClose: Get on a closed pool fails with ErrClosed and does
// not dial; a Get waiting when the pool closes wakes with ErrClosed.
func checkGetAfterClose(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 1})
	a, _ := f.mustGet("a conn")
	f.mustPut(a)
	f.close()
	if conn, err := f.get(time.Second); !errors.Is(err, pool.ErrClosed) {
		f.Errorf("Get after Close returned conn %d and error %v, want ErrClosed", f.id(conn), err)
	}
	if d := f.d.Stats().Dials; d != 1 {
		f.Errorf("Get after Close dialed")
	}
	if f.caps.FailFast {
		return
	}
	g := c.fixture(pool.Config{MaxConns: 1})
	g.mustGet("the only conn")
	w := g.tryPark("waiter")
	if w == nil {
		return
	}
	g.close()
	g.settle(w)
	switch {
	case !w.wait(prompt):
		g.Errorf("a waiting Get had not returned %v after Close", prompt)
	case !errors.Is(w.err, pool.ErrClosed):
		g.Errorf("a Get waiting at Close returned conn %d and error %v, want ErrClosed", g.id(w.conn), w.err)
	}
}

// checkPutAfterClose: conns held at Close are closed when Put or
// Discarded, leaving none open.
func checkPutAfterClose(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 2})
	a, aid := f.mustGet("first conn")
	b, bid := f.mustGet("second conn")
	f.close()
	f.put(a)
	f.discard(b)
	synctest.Wait()
	if ka, kb := f.d.Closes(aid), f.d.Closes(bid); ka != 1 || kb != 1 {
		f.Errorf("after Close, a Put conn was closed %d times and a Discarded one %d times, want 1 each", ka, kb)
	}
	if live := f.d.Stats().Live; live != 0 {
		f.Errorf("%d conns open after Close with every conn returned, want 0", live)
	}
}

// checkNoLeakAfterClose: a pool that dialed, handed over, discarded, idled
// past its timeouts and closed leaves no goroutine behind. goleak finds the
// goroutines started since the property began; only those of this
// property's bubble count, so tests running in parallel cannot add false
// leaks.
func checkNoLeakAfterClose(c *checkT) {
	ignore := goleak.IgnoreCurrent()
	cfg := pool.Config{MaxConns: 2}
	if c.caps.IdleTimeout {
		cfg.IdleTimeout = time.Minute
	}
	if c.caps.MaxLifetime {
		cfg.MaxLifetime = time.Hour
	}
	f := c.fixture(cfg)
	a, _ := f.mustGet("first conn")
	b, _ := f.mustGet("second conn")
	if w := f.tryPark("waiter"); w != nil {
		f.mustPut(a)
		if !w.wait(waitLimit) {
			f.Fatalf("a waiter was not handed the returned conn within %v (see PutHandsToWaiter)", waitLimit)
		}
		if w.err != nil {
			f.Fatalf("a waiter failed instead of getting the returned conn (see PutHandsToWaiter): %v", w.err)
		}
		a = w.conn
	}
	f.mustDiscard(b)
	f.mustPut(a)
	time.Sleep(2 * time.Hour)
	conn, _ := f.mustGet("after idling")
	f.mustPut(conn)
	if err := f.close(); err != nil {
		f.Errorf("Close: %v", err)
	}
	synctest.Wait()
	err := goleak.Find(ignore)
	if err == nil {
		return
	}
	bubble := self().bubble
	ids := leakedIn(err.Error(), bubble)
	if len(ids) == 0 {
		return
	}
	var leaked []goroutine
	for _, g := range goroutines() {
		if ids[g.id] {
			leaked = append(leaked, g)
		}
	}
	f.Errorf("%d goroutines of the pool outlived Close:\n%s", len(ids), dump(leaked))
}

// goleakEntry matches goleak's line for each goroutine it reports.
var goleakEntry = regexp.MustCompile(`Goroutine (\d+) in state ([^\n]*), with [^\n]* on top of the stack:`)

// leakedIn returns the ids of the goroutines in goleak's report that belong
// to bubble.
func leakedIn(report string, bubble int64) map[int64]bool {
	suffix := fmt.Sprintf("synctest bubble %d", bubble)
	ids := make(map[int64]bool)
	for _, m := range goleakEntry.FindAllStringSubmatch(report, -1) {
		if strings.HasSuffix(m[2], suffix) {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			ids[id] = true
		}
	}
	return ids
}

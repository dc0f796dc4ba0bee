package pooltest

import (
	"context"
	"net"
	"runtime"
	"testing/synctest"

	"github.com/poolbench/poolbench/impls/pool"
)

// checkReuse: 10N sequential Get/Put cycles use one conn.
func checkReuse(c *checkT) {
	const n = 4
	f := c.fixture(pool.Config{MaxConns: n})
	for i := range 10 * n {
		conn, id := f.mustGet("a cycle")
		if id != 1 {
			f.Fatalf("cycle %d got conn %d, want conn 1 again (returned and idle)", i+1, id)
		}
		f.mustPut(conn)
	}
	if d := f.d.Stats().Dials; d != 1 {
		f.Errorf("%d sequential Get/Put cycles dialed %d times, want 1", 10*n, d)
	}
}

// parked starts a Get and fails the property unless it is still waiting
// once everything has settled.
func (f *fixture) parked(why string) *pending {
	w := f.startGet(waitLimit)
	f.settle(w)
	if w.returned() {
		f.Fatalf("a Get (%s) returned at once with MaxConns conns held: conn %d, error %v; want it to wait",
			why, f.id(w.conn), w.err)
	}
	return w
}

// tryPark starts a Get with MaxConns conns held and returns it if the pool
// makes it wait. If the pool does not (it dials past the cap or fails, which
// the capacity properties report), the conn is put back and tryPark returns
// nil, so a property about something else can skip its waiter half.
func (f *fixture) tryPark(why string) *pending {
	w := f.startGet(waitLimit)
	f.settle(w)
	if !w.returned() {
		return w
	}
	if w.err == nil {
		f.Partial("the waiter half: the pool handed a Get (%s) conn %d past MaxConns instead of making it wait "+
			"(see FullPoolDoesNotDial)", why, f.id(w.conn))
		f.mustPut(w.conn)
	} else {
		f.Partial("the waiter half: a Get (%s) failed at once instead of waiting: %v", why, w.err)
	}
	return nil
}

// blocked checks that a Get with MaxConns conns held neither gets a conn
// nor dials: it waits, or fails at once if the pool declares FailFast. It
// returns the waiting Get (nil if it failed fast); release it with release.
func (f *fixture) blocked(why string) *pending {
	dials := f.d.Stats().Dials
	w := f.startGet(waitLimit)
	f.settle(w)
	if d := f.d.Stats().Dials; d != dials {
		f.Errorf("a Get (%s) dialed with MaxConns conns held", why)
	}
	switch {
	case !w.returned():
		return w
	case w.err == nil:
		f.Fatalf("a Get (%s) got conn %d with MaxConns conns held", why, f.id(w.conn))
	case !f.caps.FailFast:
		f.Fatalf("a Get (%s) failed at once with MaxConns conns held (%v), though the pool does not declare FailFast; want it to wait",
			why, w.err)
	}
	return nil
}

// release waits for a Get that blocked to be served, now that a conn was
// returned, and puts its conn back. Serving it is what other properties
// check; here it is only cleanup, so it fails nothing.
func (f *fixture) release(w *pending) {
	if w == nil {
		return
	}
	if !w.wait(waitLimit + ctxGrace) {
		f.Logf("the waiting Get was not served after a conn came back (see PutHandsToWaiter)")
		return
	}
	if w.err == nil {
		f.mustPut(w.conn)
	}
}

// checkPutHandsToWaiter: a Put hands its conn to the parked Get.
func checkPutHandsToWaiter(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 1})
	a, aid := f.mustGet("the only conn")
	w := f.parked("waiter")
	f.mustPut(a)
	conn, err := f.result(w, waitLimit)
	if err != nil {
		f.Fatalf("the parked Get failed after a Put: %v", err)
	}
	if id := f.id(conn); id != aid {
		f.Errorf("the parked Get got conn %d, want the returned conn %d", id, aid)
	}
	if d := f.d.Stats().Dials; d != 1 {
		f.Errorf("%d dials, want 1: the returned conn should go to the waiter", d)
	}
	f.mustPut(conn)
}

// checkDiscardFreesSlot: a Discard frees the slot, for a plain Get and for
// a parked one, which dials a fresh conn.
func checkDiscardFreesSlot(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 1})
	a, aid := f.mustGet("the only conn")
	f.mustDiscard(a)
	// A pool may close the conn on a goroutine of its own (go-puddle v1
	// does): count once the bubble is idle, as CloseIdle does, or the count
	// depends on whether that goroutine ran yet.
	synctest.Wait()
	if n := f.d.Closes(aid); n != 1 {
		f.Errorf("the discarded conn was closed %d times, want 1", n)
	}
	b, bid := f.mustGet("after a Discard")
	if bid == aid {
		f.Fatalf("Get after Discard returned the discarded conn %d", aid)
	}
	w := f.tryPark("waiter")
	if w == nil {
		f.mustPut(b)
		return
	}
	f.mustDiscard(b)
	if !w.wait(waitLimit) {
		f.Fatalf("a Discard did not wake the parked Get within %v", waitLimit)
	}
	conn, err := w.conn, w.err
	if err != nil {
		f.Fatalf("the parked Get failed after a Discard freed the slot: %v", err)
	}
	if id := f.id(conn); id == bid || id == aid {
		f.Errorf("the parked Get got discarded conn %d, want a fresh one", id)
	}
	if d := f.d.Stats().Dials; d != 3 {
		f.Errorf("%d dials, want 3 (each Discard frees a slot for one new dial)", d)
	}
	f.mustPut(conn)
}

// checkDiscardedNeverReused: after a Discard, many Get rounds never see the
// discarded conn, and it was closed exactly once.
func checkDiscardedNeverReused(c *checkT) {
	const n = 3
	f := c.fixture(pool.Config{MaxConns: n})
	conns := f.fill(n)
	gone := f.id(conns[1])
	f.mustDiscard(conns[1])
	f.mustPut(conns[0])
	f.mustPut(conns[2])
	for round := range 10 {
		for i := range conns {
			var id int
			conns[i], id = f.mustGet("a round")
			if id == gone {
				f.Fatalf("round %d: Get returned the discarded conn %d", round+1, gone)
			}
		}
		f.putAll(conns)
	}
	if k := f.d.Closes(gone); k != 1 {
		f.Errorf("the discarded conn was closed %d times, want 1", k)
	}
}

// checkFIFO: three waiters park in order; then the goroutine returning the
// conn calls Get straight after its Put. The conn must go round waiter 1, 2,
// 3, then the returner.
//
// The returner's Put and Get run on one goroutine while the process has a
// single P, so no woken waiter can run in between. A pool that hands the
// conn to its oldest waiter makes the returner wait its turn; one that only
// wakes a waiter to race for the conn, or serves idle conns to newcomers
// before waiters, gives the returner the conn, in every run.
func checkFIFO(c *checkT) {
	f := c.fixture(pool.Config{MaxConns: 1})
	a, _ := f.mustGet("the only conn")
	var ws []*pending
	for range 3 {
		ws = append(ws, f.parked("a waiter"))
	}
	procs := runtime.GOMAXPROCS(1)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	ws = append(ws, f.startGetAfter(func() {
		if err := f.put(a); err != nil {
			f.Errorf("Put of the only conn, with 3 Gets waiting: %v", err)
		}
	}, ctx, cancel))
	f.settle(ws...)
	runtime.GOMAXPROCS(procs)
	names := []string{"waiter 1", "waiter 2", "waiter 3", "the returner's own Get, right after its Put"}
	for i := range ws {
		f.settle(ws[i:]...)
		for j := i + 1; j < len(ws); j++ {
			if ws[j].returned() && ws[j].err == nil {
				f.Fatalf("%s got the conn before %s, which was waiting earlier", names[j], names[i])
			}
		}
		if !ws[i].wait(waitLimit) {
			f.Fatalf("%s was not served within %v of the conn coming back", names[i], waitLimit)
		}
		if ws[i].err != nil {
			f.Fatalf("%s failed: %v", names[i], ws[i].err)
		}
		f.mustPut(ws[i].conn)
	}
}

// checkNoDoubleHandout: N Gets held at once are N different conns, before
// and after returning them; then 32 goroutines churn, checking that no conn
// is ever held twice.
func checkNoDoubleHandout(c *checkT) {
	const n = 4
	f := c.fixture(pool.Config{MaxConns: n})
	for round := range 2 {
		conns := make([]net.Conn, n)
		seen := make(map[int]bool)
		for i := range conns {
			var id int
			conns[i], id = f.mustGet("holding every conn")
			if seen[id] {
				f.Fatalf("round %d: conn %d was handed out twice while held", round+1, id)
			}
			seen[id] = true
		}
		f.putAll(conns)
	}
	f.churn(32, 200)
}

package pooltest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// Dialer is the fake dialer the suite gives every pool as Config.Dial. Each
// conn it makes gets an id (1, 2, ...), so the suite can tell conns apart
// behind whatever handle a pool wraps them in; it counts dials, live and
// closed conns and dials in flight, and checks the cap at every dial. By
// default its conns are one end of a net.Pipe, so a Dialer made inside a
// testing/synctest bubble runs on the bubble's virtual clock; a Dialer made
// by the suite's loopback echo server makes real TCP conns instead.
//
// Pool authors may use it in their own tests. All methods are safe for
// concurrent use.
type Dialer struct {
	limit int    // MaxConns every dial is checked against; 0 checks nothing
	addr  string // TCP address to dial; "" makes net.Pipe conns

	mu sync.Mutex
	// Everything below is guarded by mu.
	stats      DialerStats
	script     []error       // outcomes of the next dials, in order; nil succeeds
	gate       chan struct{} // while non-nil, dials wait for it to close
	ignoreCtx  bool          // gated dials ignore ctx, as a dial stuck in the kernel would
	closes     map[int]int   // Close calls per conn id
	conns      map[int]net.Conn
	byAddr     map[string]int // local address -> id, for TCP conns
	violations []string
	changed    chan struct{} // closed and replaced at every change, to wake waitFor
}

// DialerStats is a snapshot of a Dialer's counts.
type DialerStats struct {
	Dials        int // Dial calls
	Failed       int // Dial calls that returned an error
	Dialing      int // Dial calls in progress
	Live         int // conns returned by Dial and not yet closed
	Closed       int // conns closed (a second Close of a conn does not count)
	DoubleCloses int // Close calls on a conn already closed
	// MaxOpen is the most Live+Dialing seen at the start of any dial, that
	// dial included. A conn counts as open until its Close is called.
	MaxOpen int
}

// NewDialer returns a Dialer of net.Pipe conns that records a violation
// whenever a dial starts while limit conns are already open or dialing
// (limit 0 checks nothing).
func NewDialer(limit int) *Dialer {
	return &Dialer{
		limit:   limit,
		closes:  make(map[int]int),
		conns:   make(map[int]net.Conn),
		byAddr:  make(map[string]int),
		changed: make(chan struct{}),
	}
}

// Dial opens a conn, or fails when the script says so. While the dialer is
// held it waits for Release or for ctx to end (ctx is ignored after
// IgnoreCtx(true)).
func (d *Dialer) Dial(ctx context.Context) (net.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	d.mu.Lock()
	d.stats.Dials++
	d.stats.Dialing++
	n, open := d.stats.Dials, d.stats.Live+d.stats.Dialing
	d.stats.MaxOpen = max(d.stats.MaxOpen, open)
	if d.limit > 0 && open > d.limit {
		d.violations = append(d.violations, fmt.Sprintf(
			"dial #%d started with %d conns open and %d dialing (itself included), over MaxConns %d "+
				"(a conn counts as open until Close is called on it: close it before freeing its slot)",
			n, d.stats.Live, d.stats.Dialing, d.limit))
	}
	var outcome error
	if len(d.script) > 0 {
		outcome, d.script = d.script[0], d.script[1:]
	}
	gate, ignoreCtx := d.gate, d.ignoreCtx
	d.notifyLocked()
	d.mu.Unlock()

	if gate != nil {
		if ignoreCtx {
			<-gate
		} else {
			select {
			case <-gate:
			case <-ctx.Done():
				outcome = fmt.Errorf("pooltest dial #%d: %w", n, ctx.Err())
			}
		}
	}
	var c net.Conn
	if outcome == nil {
		c, outcome = d.open(ctx)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	defer d.notifyLocked()
	d.stats.Dialing--
	if outcome != nil {
		d.stats.Failed++
		return nil, outcome
	}
	d.stats.Live++
	id := len(d.conns) + 1
	d.conns[id] = c
	switch c := c.(type) {
	case *pipeConn:
		c.id = id
		return c, nil
	case *tcpConn:
		c.id = id
		d.byAddr[c.LocalAddr().String()] = id
		return c, nil
	}
	panic("pooltest: unknown conn type")
}

// open makes the conn itself: a pipe end, or a TCP conn to d.addr.
func (d *Dialer) open(ctx context.Context) (net.Conn, error) {
	if d.addr == "" {
		c, _ := net.Pipe()
		return &pipeConn{Conn: c, d: d}, nil
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, err
	}
	return &tcpConn{TCPConn: c.(*net.TCPConn), d: d}, nil
}

// Hold makes every dial that starts from now on wait until Release.
func (d *Dialer) Hold() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gate == nil {
		d.gate = make(chan struct{})
	}
}

// Release lets every held dial proceed, and later ones run at once.
func (d *Dialer) Release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gate != nil {
		close(d.gate)
		d.gate = nil
	}
}

// IgnoreCtx makes held dials ignore their ctx (true) or give up with
// ctx.Err() when it ends (false, the default), so a test can produce a conn
// that arrives after the Get that asked for it gave up.
func (d *Dialer) IgnoreCtx(ignore bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ignoreCtx = ignore
}

// FailNext scripts the outcomes of the next dials, in order: a non-nil error
// fails that dial with it, nil lets it succeed.
func (d *Dialer) FailNext(outcomes ...error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.script = append(d.script, outcomes...)
}

// Stats returns a snapshot of the counts.
func (d *Dialer) Stats() DialerStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Violations returns a line per dial that broke the cap.
func (d *Dialer) Violations() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.violations...)
}

// ID returns the id of the conn behind c, which may be a pool's handle: it
// follows Unwrap() net.Conn methods, then falls back on c.LocalAddr(), which
// handles that embed the conn pass through. It returns 0 for a conn this
// dialer did not make.
func (d *Dialer) ID(c net.Conn) int {
	for range 16 {
		switch v := c.(type) {
		case *pipeConn:
			if v.d == d {
				return v.id
			}
			return 0
		case *tcpConn:
			if v.d == d {
				return v.id
			}
			return 0
		case interface{ Unwrap() net.Conn }:
			c = v.Unwrap()
			continue
		}
		break
	}
	if c == nil {
		return 0
	}
	switch a := c.LocalAddr().(type) {
	case pipeAddr:
		if a.d == d {
			return a.id
		}
		return 0
	case nil:
		return 0
	default:
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.byAddr[a.String()]
	}
}

// Closes returns how many times the conn with this id was closed.
func (d *Dialer) Closes(id int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closes[id]
}

// conn returns the conn with this id as Dial returned it.
func (d *Dialer) conn(id int) net.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conns[id]
}

// closeAll closes every conn still live, so a failed property leaks no file
// descriptors. It does not count as the pool closing them.
func (d *Dialer) closeAll() {
	d.mu.Lock()
	var live []net.Conn
	for id, c := range d.conns {
		if d.closes[id] == 0 {
			live = append(live, c)
		}
	}
	d.mu.Unlock()
	for _, c := range live {
		switch c := c.(type) {
		case *pipeConn:
			c.Conn.Close()
		case *tcpConn:
			c.TCPConn.Close()
		}
	}
}

// closed records a Close of conn id.
func (d *Dialer) closed(id int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closes[id]++
	if d.closes[id] == 1 {
		d.stats.Live--
		d.stats.Closed++
	} else {
		d.stats.DoubleCloses++
	}
	d.notifyLocked()
}

func (d *Dialer) notifyLocked() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// waitFor waits up to limit for cond to hold and reports whether it did.
// Inside a bubble limit is virtual time.
func (d *Dialer) waitFor(limit time.Duration, cond func(DialerStats) bool) bool {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		d.mu.Lock()
		ok, changed := cond(d.stats), d.changed
		d.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-timer.C:
			return false
		}
	}
}

package pooltest

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// propertyLimit bounds one property in real time. Properties finish within
// a few seconds; only a pool that spins forever reaches it. A variable so
// the suite's own test can shorten it.
var propertyLimit = 30 * time.Second

// Real-time limits of the stall detector.
const (
	// stallPoll is how often the watchdog looks for a stalled bubble, and
	// stallLooks how many identical looks in a row prove the stall.
	stallPoll  = 100 * time.Millisecond
	stallLooks = 3
)

// abandoned is the done channel of the last property the watchdog gave up
// on, for the suite's own test of the watchdog.
var abandoned struct {
	sync.Mutex
	last <-chan struct{}
}

// errAbort is what checkT.Fatalf panics with to end a property.
var errAbort = errors.New("pooltest: property aborted")

// checkT is what a property body gets instead of a *testing.T: it records
// failures, so Check can report them without failing its caller, and it
// stops forwarding logs once the property is over, so a goroutine the
// watchdog abandoned cannot touch a finished test.
type checkT struct {
	t       *testing.T
	newPool NewPool
	caps    pool.Capabilities

	mu sync.Mutex
	// Guarded by mu.
	over     bool
	failures []string
	skipped  []string // parts of the check that could not run
	cleanups []func()

	op atomic.Pointer[string] // the pool call in progress, for hang messages
}

// Errorf records a failure and lets the property go on.
func (c *checkT) Errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.over {
		c.failures = append(c.failures, msg)
	}
}

// Fatalf records a failure and ends the property. Call it from the
// property's own goroutine or one started with c.Go.
func (c *checkT) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	panic(errAbort)
}

// Partial records that part of the check could not run, and why: the
// property is then reported Partial, not Pass, unless it fails.
func (c *checkT) Partial(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.over {
		c.skipped = append(c.skipped, msg)
	}
}

// Logf logs to the test while the property runs.
func (c *checkT) Logf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.over {
		c.t.Helper()
		c.t.Logf(format, args...)
	}
}

// Error makes checkT a goleak.TestingT.
func (c *checkT) Error(args ...any) { c.Errorf("%s", fmt.Sprint(args...)) }

func (c *checkT) failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.failures) > 0
}

// Cleanup registers f to run when the property ends, last registered first.
func (c *checkT) Cleanup(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cleanups = append(c.cleanups, f)
}

// Go runs f on a new goroutine, where Fatalf ends f alone and a panic is a
// failure. The returned channel closes when f returns.
func (c *checkT) Go(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.guard(f)
	}()
	return done
}

// guard runs f, turning a panic into a failure and Fatalf into a return.
func (c *checkT) guard(f func()) {
	defer func() {
		if r := recover(); r != nil && r != errAbort {
			c.Errorf("panic%s: %v\n%s", c.during(), r, debug.Stack())
		}
	}()
	f()
}

// setOp records the pool call in progress; "" clears it.
func (c *checkT) setOp(op string) { c.op.Store(&op) }

// during names the pool call in progress, if any, for a message.
func (c *checkT) during() string {
	if op := c.op.Load(); op != nil && *op != "" {
		return " during " + *op
	}
	return ""
}

// body runs a property and then its cleanups, each guarded.
func (c *checkT) body(p Property) {
	c.guard(func() { p.check(c) })
	for {
		c.mu.Lock()
		n := len(c.cleanups)
		if n == 0 {
			c.mu.Unlock()
			return
		}
		f := c.cleanups[n-1]
		c.cleanups = c.cleanups[:n-1]
		c.mu.Unlock()
		c.guard(f)
	}
}

// finish ends the property and returns its result.
func (c *checkT) finish(p Property) Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.over = true
	r := Result{Property: p.Name, Number: p.Number, Status: Pass}
	switch {
	case len(c.failures) > 0:
		r.Status, r.Message = Fail, strings.Join(c.failures, "\n")
	case len(c.skipped) > 0:
		r.Status, r.Message = Partial, "not run: "+strings.Join(c.skipped, "\n")
	}
	return r
}

// runProperty checks one property of the pool, under the watchdog. It never
// fails t: the outcome is in the Result.
func runProperty(t *testing.T, p Property, newPool NewPool, caps pool.Capabilities) Result {
	if reason := p.na(caps); reason != "" {
		return Result{Property: p.Name, Number: p.Number, Status: NA, Message: reason}
	}
	c := &checkT{t: t, newPool: newPool, caps: caps}
	var bubble atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		if !p.virtual {
			c.body(p)
			return
		}
		defer func() {
			if r := recover(); r != nil {
				c.bubbleDeadlock(r, bubble.Load())
			}
		}()
		synctest.Test(t, func(*testing.T) {
			bubble.Store(self().bubble)
			c.body(p)
		})
	}()
	if !c.watch(done, &bubble) {
		abandoned.Lock()
		abandoned.last = done
		abandoned.Unlock()
	}
	return c.finish(p)
}

// watch waits for the property to finish, failing it if it runs past
// propertyLimit or if its bubble stalls on a lock. It reports whether the
// property finished; if not, its goroutines are left behind.
func (c *checkT) watch(done <-chan struct{}, bubble *atomic.Int64) bool {
	limit := time.NewTimer(propertyLimit)
	defer limit.Stop()
	tick := time.NewTicker(stallPoll)
	defer tick.Stop()
	lastKey, looks := "", 0
	for {
		select {
		case <-done:
			return true
		case <-limit.C:
			c.Errorf("hang: the property did not finish within %v of real time%s; goroutines:\n%s",
				propertyLimit, c.during(), dump(goroutines()))
			return false
		case <-tick.C:
			id := bubble.Load()
			if id == 0 {
				continue
			}
			gs := goroutines()
			key, ok := stalled(gs, id)
			if !ok || key != lastKey {
				lastKey, looks = key, 0
				if ok {
					looks = 1
				}
				continue
			}
			if looks++; looks >= stallLooks {
				c.Errorf("hang%s: every goroutine is blocked and some wait for a sync.Mutex, which nothing "+
					"will unlock (does the pool hold a lock across a blocking call, such as Dial?); goroutines:\n%s",
					c.during(), dump(inBubble(gs, id)))
				return false
			}
		}
	}
}

// bubbleDeadlock turns synctest's deadlock panic into a result. A deadlock
// while the property runs is a failure. Goroutines left blocked after the
// property ended (the pool was closed) belong to NoLeakAfterClose; here they
// are only logged, unless the property already failed and left its own
// helpers behind.
func (c *checkT) bubbleDeadlock(r any, bubble int64) {
	msg := fmt.Sprint(r)
	leftover := dump(inBubble(goroutines(), bubble))
	if !strings.Contains(msg, "main bubble goroutine has exited") {
		c.Errorf("hang%s: %s (every goroutine is blocked and no timer is pending); goroutines:\n%s",
			c.during(), msg, leftover)
		return
	}
	if !c.failed() {
		c.Logf("note: goroutines outlived the property after the pool was closed (see NoLeakAfterClose):\n%s", leftover)
	}
}

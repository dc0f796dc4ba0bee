package pooltest

import (
	"slices"
	"testing"

	"github.com/poolbench/poolbench/impls/pool"
)

// NewPool builds a fresh pool from cfg; the suite calls it once per property
// (more for InvalidConfig), with a Config whose Dial is the suite's own.
type NewPool func(cfg pool.Config) (pool.Pool, error)

// Property is one behaviour of the contract in CONFORMANCE.md.
type Property struct {
	Name    string // stable CamelCase subtest name
	Number  int    // its number in CONFORMANCE.md (PutHandsToWaiter and PutGetRace share 6)
	Summary string // one line

	virtual bool                           // runs in a testing/synctest bubble
	needs   func(pool.Capabilities) string // why it is n/a for caps, or ""
	check   func(*checkT)
}

// na returns why p does not apply to a pool with caps, or "".
func (p Property) na(caps pool.Capabilities) string {
	if p.needs == nil {
		return ""
	}
	return p.needs(caps)
}

// Properties returns every property the suite checks, in order.
func Properties() []Property { return append([]Property(nil), properties...) }

// Run checks the pool built by newPool against every property, one subtest
// each, named after Property.Name: -run 'Conformance/ring/IdleExpiry' selects
// one. A failing property fails its subtest with the reason. A property that
// caps says the pool cannot express is skipped with a line starting "n/a:",
// and one that could run only in part with a line starting "partial:", so
// neither shows as PASS.
func Run(t *testing.T, newPool NewPool, caps pool.Capabilities) {
	t.Helper()
	for _, p := range properties {
		t.Run(p.Name, func(t *testing.T) {
			r := runProperty(t, p, newPool, caps)
			switch r.Status {
			case NA:
				t.Skipf("n/a: %s", r.Message)
			case Partial:
				t.Skipf("partial: %s", r.Message)
			case Fail:
				t.Errorf("property %d (%s) does not hold:\n%s", p.Number, p.Summary, r.Message)
			}
		})
	}
}

// Check runs the same properties as Run but records each outcome instead of
// failing t, and returns them in order. It logs one line per property. Use it
// to assert a third-party pool's known failures (Report.Diff), to build a
// conformance matrix, or to test the suite itself.
func Check(t *testing.T, newPool NewPool, caps pool.Capabilities) Report {
	t.Helper()
	return check(t, newPool, caps, nil)
}

// check is Check of the properties named in only (all when only is nil).
func check(t *testing.T, newPool NewPool, caps pool.Capabilities, only []string) Report {
	t.Helper()
	report := make(Report, 0, len(properties))
	for _, p := range properties {
		if only != nil && !slices.Contains(only, p.Name) {
			continue
		}
		r := runProperty(t, p, newPool, caps)
		t.Logf("%2d %-26s %v %s", r.Number, r.Property, r.Status, firstLine(r.Message))
		report = append(report, r)
	}
	return report
}

// needs returns a Property.needs that reports reason unless has(caps).
func needs(has func(pool.Capabilities) bool, reason string) func(pool.Capabilities) string {
	return func(c pool.Capabilities) string {
		if has(c) {
			return ""
		}
		return reason
	}
}

// both returns the first reason a or b gives.
func both(a, b func(pool.Capabilities) string) func(pool.Capabilities) string {
	return func(c pool.Capabilities) string {
		if r := a(c); r != "" {
			return r
		}
		return b(c)
	}
}

// Reasons a property is n/a.
var (
	needWaiters = needs(func(c pool.Capabilities) bool { return !c.FailFast },
		"the pool fails fast instead of queueing waiters")
	needFIFO = both(needWaiters, needs(func(c pool.Capabilities) bool { return c.FIFO },
		"the pool does not declare FIFO waiters (it lets newcomers barge)"))
	needMaxIdle     = needs(func(c pool.Capabilities) bool { return c.MaxIdle }, "the pool has no MaxIdle")
	needIdleTimeout = needs(func(c pool.Capabilities) bool { return c.IdleTimeout }, "the pool has no IdleTimeout")
	needReaper      = both(needIdleTimeout, needs(func(c pool.Capabilities) bool { return c.Reaper },
		"the pool has no reaper: idle conns expire only on Get"))
	needMaxLifetime = needs(func(c pool.Capabilities) bool { return c.MaxLifetime }, "the pool has no MaxLifetime")
	needReuse       = needs(func(c pool.Capabilities) bool { return !c.NeverReuses },
		"the pool never reuses a conn (Put closes it)")
	needStats = needs(func(c pool.Capabilities) bool { return c.Stats }, "the pool's Stats do not report real values")
)

// properties is the suite, in CONFORMANCE.md order.
var properties = []Property{
	{Name: "TotalCap", Number: 1, Summary: "open + dialing never exceeds MaxConns with 4N concurrent Gets",
		check: checkTotalCap},
	{Name: "CapUnderChurn", Number: 2, Summary: "the cap holds at every dial under random Get/Put/Discard",
		check: checkCapUnderChurn},
	{Name: "FullPoolDoesNotDial", Number: 3, Summary: "with MaxConns held, Get waits (or fails fast) and does not dial",
		virtual: true, check: checkFullPoolDoesNotDial},
	{Name: "IdleBound", Number: 4, Summary: "with MaxIdle k, returning N conns keeps k and closes N-k",
		virtual: true, needs: both(needReuse, needMaxIdle), check: checkIdleBound},
	{Name: "Reuse", Number: 5, Summary: "10N sequential Get/Put cycles dial once",
		virtual: true, needs: needReuse, check: checkReuse},
	{Name: "PutHandsToWaiter", Number: 6, Summary: "a parked Get receives the returned conn, no new dial",
		virtual: true, needs: both(needReuse, needWaiters), check: checkPutHandsToWaiter},
	{Name: "PutGetRace", Number: 6, Summary: "a Get racing a Put never sleeps while a conn is idle",
		needs: both(needReuse, needWaiters), check: checkPutGetRace},
	{Name: "DiscardFreesSlot", Number: 7, Summary: "Discard wakes a parked Get, which dials a fresh conn",
		virtual: true, check: checkDiscardFreesSlot},
	{Name: "DiscardedNeverReused", Number: 8, Summary: "a discarded conn is closed once and never handed out again",
		virtual: true, check: checkDiscardedNeverReused},
	{Name: "FIFO", Number: 9, Summary: "waiters are served first-in first-out; a newcomer does not barge",
		virtual: true, needs: needFIFO, check: checkFIFO},
	{Name: "NoDoubleHandout", Number: 10, Summary: "one conn is never held by two callers at once",
		check: checkNoDoubleHandout},
	{Name: "IdleExpiry", Number: 11, Summary: "a conn idle past IdleTimeout is closed once and replaced; a younger one is reused",
		virtual: true, needs: both(needReuse, needIdleTimeout), check: checkIdleExpiry},
	{Name: "Reaper", Number: 12, Summary: "expired idle conns are closed without any Get",
		virtual: true, needs: both(needReuse, needReaper), check: checkReaper},
	{Name: "MaxLifetime", Number: 13, Summary: "a conn older than MaxLifetime is never handed out and is closed when returned",
		virtual: true, needs: both(needReuse, needMaxLifetime), check: checkMaxLifetime},
	{Name: "DeadPeer", Number: 14, Summary: "an idle conn whose peer closed it is not handed out (real TCP)",
		needs: needReuse, check: checkDeadPeer},
	{Name: "CancelWhileWaiting", Number: 15, Summary: "cancelling a waiting Get returns ctx.Err() promptly; capacity unchanged",
		virtual: true, needs: needWaiters, check: checkCancelWhileWaiting},
	{Name: "CancelDuringDial", Number: 16, Summary: "a Get cancelled during its dial returns promptly; the late conn is not leaked",
		check: checkCancelDuringDial},
	{Name: "CancelGrantRace", Number: 17, Summary: "cancel racing a Put, thousands of rounds, leaks nothing",
		needs: needWaiters, check: checkCancelGrantRace},
	{Name: "AcquireTimeout", Number: 18, Summary: "a ctx deadline while waiting is an error that errors.Is DeadlineExceeded",
		virtual: true, needs: needWaiters, check: checkAcquireTimeout},
	{Name: "DialErrorRestoresCapacity", Number: 19, Summary: "a dial error reaches the caller and frees the slot at once",
		virtual: true, check: checkDialErrorRestoresCapacity},
	{Name: "NoStrandedWaiter", Number: 20, Summary: "a Get waiting behind a failing dial is served",
		needs: needWaiters, check: checkNoStrandedWaiter},
	{Name: "DialOutsideLock", Number: 21, Summary: "while a dial hangs, Put, Get of an idle conn and Stats complete",
		needs: needReuse, check: checkDialOutsideLock},
	{Name: "DoublePut", Number: 22, Summary: "a double Put is rejected; no conn is shared and capacity is unchanged",
		virtual: true, check: checkDoublePut},
	{Name: "StalePut", Number: 23, Summary: "a stale Put after re-acquisition does not affect the new holder",
		virtual: true, needs: needReuse, check: checkStalePut},
	{Name: "InvalidConfig", Number: 24, Summary: "an invalid or unsupported Config is an ErrInvalidConfig (ErrUnsupported) error from the constructor",
		virtual: true, check: checkInvalidConfig},
	{Name: "CloseIdle", Number: 25, Summary: "Close closes every idle conn exactly once; empty and second Close are safe",
		virtual: true, check: checkCloseIdle},
	{Name: "GetAfterClose", Number: 26, Summary: "Get after Close is ErrClosed without a dial; waiters wake with ErrClosed",
		virtual: true, check: checkGetAfterClose},
	{Name: "PutAfterClose", Number: 27, Summary: "conns returned after Close are closed; live conns reach 0",
		virtual: true, check: checkPutAfterClose},
	{Name: "NoLeakAfterClose", Number: 28, Summary: "no goroutine of the pool outlives Close (goleak)",
		virtual: true, check: checkNoLeakAfterClose},
	{Name: "StatsConsistent", Number: 29, Summary: "quiet Stats agree with each other and the dialer; counters move once per event",
		virtual: true, needs: both(needReuse, needStats), check: checkStatsConsistent},
}

package silenceper_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/peers/silenceper"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

// TestMain checks for leaked goroutines, except those parked in the library's
// own Get: a waiting Get has no ctx and Release does not wake it, so every
// property that leaves a waiter behind (CancelWhileWaiting, AcquireTimeout,
// FullPoolDoesNotDial, DiscardFreesSlot, GetAfterClose: failures expected
// below) strands one there for good.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/silenceper/pool.(*channelPool).Get"))
}

// expected is silenceper/pool v1.0.0's outcome for every property. Its
// failures have four causes:
//   - Get has no ctx: a waiting Get can be neither cancelled nor timed out.
//   - Only Put wakes a waiter: Close(conn) (our Discard) frees the slot
//     without waking anyone, and Release (our Close) wakes nobody either.
//   - The factory runs under the pool's mutex, so a slow dial blocks the
//     whole pool, Len (our Stats) included.
//   - Lost wake-up: Get looks at the idle channel without the lock, then
//     queues as a waiter under it; a Put landing in between puts the conn in
//     the channel and the Get sleeps beside it.
var expected = map[string]pooltest.Status{
	"TotalCap":            pooltest.Pass,
	"FullPoolDoesNotDial": pooltest.Pass, // it waits without dialing (that its Get ignores ctx is AcquireTimeout's failure)
	"IdleBound":           pooltest.Pass,
	"Reuse":               pooltest.Pass,
	"PutHandsToWaiter":    pooltest.Pass,
	// PutGetRace and CancelGrantRace: see racy.
	"DiscardFreesSlot":          pooltest.Fail, // Close(conn) does not wake the parked Get; it sleeps past its deadline
	"DiscardedNeverReused":      pooltest.Pass,
	"FIFO":                      pooltest.Pass,    // waiters queue in a slice served from the front
	"IdleExpiry":                pooltest.Pass,    // IdleTimeout is checked on Get
	"Reaper":                    pooltest.NA,      // no reaper
	"MaxLifetime":               pooltest.NA,      // no MaxLifetime
	"DeadPeer":                  pooltest.Pass,    // the Ping hook, fed lease's peek
	"CancelWhileWaiting":        pooltest.Fail,    // Get has no ctx
	"CancelDuringDial":          pooltest.Partial, // only the late-conn half runs: the factory has no ctx
	"AcquireTimeout":            pooltest.Fail,    // Get has no ctx
	"DialErrorRestoresCapacity": pooltest.Pass,
	"NoStrandedWaiter":          pooltest.Pass,
	"DialOutsideLock":           pooltest.Fail, // the factory runs under the mutex that Len (Stats) takes
	"DoublePut":                 pooltest.Fail, // Put(any) keeps no record of hand-outs: a Discard after a Put closes the idle conn
	"StalePut":                  pooltest.Fail, // a stale Put puts the holder's conn back idle; the next Get gets it too
	"InvalidConfig":             pooltest.Pass,
	"CloseIdle":                 pooltest.Pass,
	"GetAfterClose":             pooltest.Fail, // Get after Release is ErrClosed, but Release does not wake a waiting Get
	"PutAfterClose":             pooltest.Fail, // Release nils the close func, so conns returned later are never closed
	"NoLeakAfterClose":          pooltest.Pass,
	"StatsConsistent":           pooltest.NA, // Len counts idle conns only
}

// racy lists the properties whose outcome depends on whether a run happens
// to hit the lost wake-up's window, with the text their failure must carry.
// Either outcome is accepted; any other failure is not. PutGetRace and
// CancelGrantRace race a Put against one Get; CapUnderChurn and
// NoDoubleHandout churn 64 and 32 goroutines through Get/Put/Discard, where
// a Get that lands in the window stays parked for good (its Get has no ctx)
// unless a later Put wakes it. Catch rates are in CONFORMANCE.md.
var racy = map[string]string{
	"PutGetRace":      "lost wake-up",
	"CancelGrantRace": "had not returned",
	"CapUnderChurn":   "lost wake-up",
	"NoDoubleHandout": "lost wake-up",
}

// TestConformance runs the suite on silenceper/pool and asserts every
// outcome, so a change upstream (or in the suite) shows up as a difference.
func TestConformance(t *testing.T) {
	pooltest.Expect(t, silenceper.New, silenceper.Caps, pooltest.Expected{Status: expected, Racy: racy})
}

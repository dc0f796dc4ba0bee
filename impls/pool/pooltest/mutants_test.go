package pooltest_test

import (
	"testing"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

// mutants are refPool with one bug each, and the properties that must
// catch it. TestMutants fails if any of them passes one of its properties:
// the suite would have let that bug through.
var mutants = []struct {
	bug      bug
	name     string
	mustFail []string
}{
	{noCap, "NoCap", []string{"TotalCap", "CapUnderChurn", "FullPoolDoesNotDial"}},
	{lostWakeup, "LostWakeup", []string{"PutHandsToWaiter"}},
	{racyWait, "RacyWait", []string{"PutGetRace"}},
	{noIdleExpiry, "NoIdleExpiry", []string{"IdleExpiry", "Reaper"}},
	{noReuse, "NoReuse", []string{"Reuse"}},
	{ignoreCtx, "IgnoreCtx", []string{"CancelWhileWaiting", "AcquireTimeout"}},
	{discardLeaksSlot, "DiscardLeaksSlot", []string{"DiscardFreesSlot"}},
	{closeLeaksIdle, "CloseLeaksIdle", []string{"CloseIdle"}},
	{doubleHandout, "DoubleHandout", []string{"NoDoubleHandout"}},
	{dialUnderLock, "DialUnderLock", []string{"DialOutsideLock"}},
	{lifoWaiters, "LIFOWaiters", []string{"FIFO"}},
	{doublePutAccepted, "DoublePutAccepted", []string{"DoublePut"}},
	{statsDrift, "StatsDrift", []string{"StatsConsistent"}},
	{noMaxLifetime, "NoMaxLifetime", []string{"MaxLifetime"}},
	{noAliveCheck, "NoAliveCheck", []string{"DeadPeer"}},
	{cancelLosesGrant, "CancelLosesGrant", []string{"CancelGrantRace"}},
	{dialErrorLeaksSlot, "DialErrorLeaksSlot", []string{"DialErrorRestoresCapacity"}},
	{closeKeepsWaiters, "CloseKeepsWaiters", []string{"GetAfterClose"}},
	{reaperOutlivesClose, "ReaperOutlivesClose", []string{"NoLeakAfterClose"}},
}

// TestMutants: Check reports each broken pool as failing the properties
// that target its bug.
func TestMutants(t *testing.T) {
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			report := pooltest.CheckOnly(t, refNew(m.bug), pool.Full, m.mustFail...)
			for _, name := range m.mustFail {
				if got := report.Status(name); got != pooltest.Fail {
					t.Errorf("%s: %v, want fail: the suite let the %s bug through", name, got, m.name)
				}
			}
		})
	}
}

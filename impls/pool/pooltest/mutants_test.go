package pooltest_test

import (
	"testing"

	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

// mutant is refPool with one bug planted, and the properties that must
// catch it.
type mutant struct {
	bug      bug
	name     string
	mustFail []string
	seed     bool // one of the seed design's bugs
}

// mutants are the planted bugs. TestMutants fails if any of them passes one
// of its properties: the suite would have let that bug through; and
// TestMutantsCoverEveryProperty fails if a property has no planted bug.
var mutants = []mutant{
	{bug: noCap, name: "NoCap", mustFail: []string{"TotalCap", "CapUnderChurn", "FullPoolDoesNotDial"}},
	{bug: idleUnbounded, name: "IdleUnbounded", mustFail: []string{"IdleBound"}},
	{bug: lostWakeup, name: "LostWakeup", mustFail: []string{"PutHandsToWaiter"}},
	{bug: racyWait, name: "RacyWait", mustFail: []string{"PutGetRace"}},
	{bug: noIdleExpiry, name: "NoIdleExpiry", mustFail: []string{"IdleExpiry", "Reaper"}},
	{bug: noReuse, name: "NoReuse", mustFail: []string{"Reuse"}},
	{bug: ignoreCtx, name: "IgnoreCtx", mustFail: []string{"CancelWhileWaiting", "AcquireTimeout"}},
	{bug: discardLeaksSlot, name: "DiscardLeaksSlot", mustFail: []string{"DiscardFreesSlot"}},
	{bug: discardKeepsIdle, name: "DiscardKeepsIdle", mustFail: []string{"DiscardedNeverReused"}},
	{bug: closeLeaksIdle, name: "CloseLeaksIdle", mustFail: []string{"CloseIdle"}},
	{bug: doubleHandout, name: "DoubleHandout", mustFail: []string{"NoDoubleHandout"}},
	{bug: dialUnderLock, name: "DialUnderLock", mustFail: []string{"DialOutsideLock"}, seed: true},
	{bug: lifoWaiters, name: "LIFOWaiters", mustFail: []string{"FIFO"}},
	{bug: wakerRaces, name: "WakerRaces", mustFail: []string{"FIFO"}},
	{bug: doublePutAccepted, name: "DoublePutAccepted", mustFail: []string{"DoublePut"}, seed: true},
	{bug: staleRing4, name: "StaleRing4", mustFail: []string{"StalePut"}},
	{bug: statsDrift, name: "StatsDrift", mustFail: []string{"StatsConsistent"}},
	{bug: noMaxLifetime, name: "NoMaxLifetime", mustFail: []string{"MaxLifetime"}},
	{bug: noAliveCheck, name: "NoAliveCheck", mustFail: []string{"DeadPeer"}, seed: true},
	{bug: lateConnLost, name: "LateConnLost", mustFail: []string{"CancelDuringDial"}},
	{bug: cancelLosesGrant, name: "CancelLosesGrant", mustFail: []string{"CancelGrantRace"}},
	{bug: dialErrorLeaksSlot, name: "DialErrorLeaksSlot", mustFail: []string{"DialErrorRestoresCapacity"}, seed: true},
	{bug: dialErrorStrandsWaiter, name: "DialErrorStrandsWaiter", mustFail: []string{"NoStrandedWaiter"}},
	{bug: noValidate, name: "NoValidate", mustFail: []string{"InvalidConfig"}},
	{bug: acceptsUnsupported, name: "AcceptsUnsupported", mustFail: []string{"InvalidConfig"}},
	{bug: closeKeepsWaiters, name: "CloseKeepsWaiters", mustFail: []string{"GetAfterClose"}},
	{bug: putAfterCloseKeeps, name: "PutAfterCloseKeeps", mustFail: []string{"PutAfterClose"}},
	{bug: reaperOutlivesClose, name: "ReaperOutlivesClose", mustFail: []string{"NoLeakAfterClose"}},

	{bug: seedCounter, name: "SeedCounter", mustFail: []string{"Reuse"}, seed: true},
	{bug: seedCondMutex, name: "SeedCondMutex", mustFail: []string{"PutGetRace", "CancelWhileWaiting"}, seed: true},
	{bug: seedClose, name: "SeedClose", mustFail: []string{"CloseIdle", "GetAfterClose"}, seed: true},
	{bug: seedWholeSeconds, name: "SeedWholeSeconds", mustFail: []string{"IdleExpiry"}, seed: true},
}

// TestMutants: Check reports each broken pool as failing the properties
// that target its bug.
func TestMutants(t *testing.T) {
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			report := pooltest.CheckOnly(t, refNew(m.bug), refCaps(m.bug), m.mustFail...)
			for _, name := range m.mustFail {
				if got := report.Status(name); got != pooltest.Fail {
					t.Errorf("%s: %v, want fail: the suite let the %s bug through", name, got, m.name)
				}
			}
		})
	}
}

// TestMutantsCoverEveryProperty: every property of the suite has a planted
// bug that it must catch, so none of them can stop catching anything
// unnoticed.
func TestMutantsCoverEveryProperty(t *testing.T) {
	covered := make(map[string]bool)
	for _, m := range mutants {
		for _, name := range m.mustFail {
			covered[name] = true
		}
	}
	for _, p := range pooltest.Properties() {
		if !covered[p.Name] {
			t.Errorf("property %d %s has no planted bug in mutants", p.Number, p.Name)
		}
	}
}

package commons_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/peers/commons"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// expected is go-commons-pool v2.1.2's outcome for every property; a
// property not listed must pass.
var expected = map[string]pooltest.Status{
	// The evictor, not BorrowObject, expires idle conns; run every
	// IdleTimeout it lets a conn idle up to twice that long be handed out.
	"IdleExpiry": pooltest.Fail,
	// A failed MakeObject wakes no waiter: a Get parked behind it waits
	// until its ctx ends, though the slot is free.
	"NoStrandedWaiter": pooltest.Fail,
	// A second ReturnObject is refused, but InvalidateObject of a conn
	// already returned destroys the idle conn and reports success.
	"DoublePut": pooltest.Fail,
	// Objects are known by identity only: a stale return of a conn that
	// another caller now holds is taken as that caller's return.
	"StalePut": pooltest.Fail,
	// No fairness: waiters are not served in a set order.
	"FIFO": pooltest.NA,
	// No max lifetime setting.
	"MaxLifetime": pooltest.NA,
	// No dial or reuse counters.
	"StatsConsistent": pooltest.NA,
}

// TestConformance runs the suite on go-commons-pool and asserts every
// outcome, so a change upstream (or in the suite) shows up.
func TestConformance(t *testing.T) {
	pooltest.Expect(t, commons.New, commons.Caps, pooltest.Expected{Status: expected})
}

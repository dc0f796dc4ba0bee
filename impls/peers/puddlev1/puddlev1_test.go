package puddlev1_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/peers/puddlev1"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

// TestMain checks for leaked goroutines, except those a blocked Close
// strands: the library's Close waits for every held resource, so each
// property that closes the pool with a conn held (GetAfterClose,
// PutAfterClose, and DeadPeer, whose failure leaves its conns held: failures
// expected below) leaves a Close blocked for good, with the property's
// bubble or its echo server behind it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/jackc/puddle.(*Pool).Close"),
		goleak.IgnoreAnyFunction("testing/synctest.testingSynctestTest"),
		goleak.IgnoreAnyFunction("github.com/poolbench/poolbench/impls/pool/pooltest.(*echoServer).accept"),
		goleak.IgnoreAnyFunction("github.com/poolbench/poolbench/impls/pool/pooltest.(*echoServer).accept.func1"))
}

// expected is go-puddlev1-pool v2.1.2's outcome for every property; a
// property not listed must pass.
var expected = map[string]pooltest.Status{
	// No alive check: a conn whose peer closed it is handed out.
	"DeadPeer": pooltest.Fail,
	// The handle leads to the *Resource, the same for every hand-out: a stale
	// Release releases the current holder's resource.
	"StalePut": pooltest.Fail,
	// Close waits until every held resource is returned, so a Close with a
	// conn held (or a Get waiting) never returns.
	"GetAfterClose": pooltest.Fail,
	"PutAfterClose": pooltest.Fail,
	// No settings for these.
	"IdleBound":   pooltest.NA,
	"IdleExpiry":  pooltest.NA,
	"Reaper":      pooltest.NA,
	"MaxLifetime": pooltest.NA,
	// Waiters race on a sync.Cond: not declared FIFO.
	"FIFO": pooltest.NA,
	// No dial or reuse counters.
	"StatsConsistent": pooltest.NA,
}

// TestConformance runs the suite on go-puddlev1-pool and asserts every
// outcome, so a change upstream (or in the suite) shows up.
func TestConformance(t *testing.T) {
	pooltest.Expect(t, puddlev1.New, puddlev1.Caps, pooltest.Expected{Status: expected})
}

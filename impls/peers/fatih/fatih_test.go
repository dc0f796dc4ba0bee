package fatih_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/peers/fatih"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Shorthands for the expected table.
const (
	pass = pooltest.Pass
	fail = pooltest.Fail
	na   = pooltest.NA
)

// expected is fatih/pool v3.0.0's outcome for every property. Most failures
// have one cause: Get never waits. With no idle conn at hand it dials, however
// many conns are open; maxCap bounds only the idle channel. Properties that
// need a parked Get therefore fail at their set-up: the would-be waiter
// returns at once with a conn past MaxConns.
var expected = map[string]pooltest.Status{
	"TotalCap":                  fail, // Get dials past MaxConns: 16 dials in flight with MaxConns 4
	"CapUnderChurn":             fail, // the same under random Get/Put/Discard
	"FullPoolDoesNotDial":       fail, // with MaxConns held, Get dials instead of waiting
	"IdleBound":                 pass, // maxCap (= MaxIdle) sizes the idle channel; Put closes the overflow
	"Reuse":                     pass,
	"PutHandsToWaiter":          fail, // no waiter: the Get dials at once
	"PutGetRace":                fail, // a Get that misses the idle conn dials a second one with MaxConns 1
	"DiscardFreesSlot":          pass, // Discard frees the slot; no Get parks, so the waiter half does not apply
	"DiscardedNeverReused":      pass, // MarkUnusable + Close closes the conn
	"FIFO":                      na,   // no waiters, so no order to declare
	"NoDoubleHandout":           pass,
	"IdleExpiry":                na,   // no IdleTimeout
	"Reaper":                    na,   // no IdleTimeout, no reaper
	"MaxLifetime":               na,   // no MaxLifetime
	"DeadPeer":                  fail, // no alive check: hands out a conn whose peer closed it
	"CancelWhileWaiting":        fail, // Get ignores ctx and returns a conn past the cap instead of waiting
	"CancelDuringDial":          pass, // only the late-conn half applies: the factory has no ctx
	"CancelGrantRace":           fail, // the racing Get dials a second conn with MaxConns 1
	"AcquireTimeout":            fail, // Get never waits, so no deadline fires: it returns a conn past the cap
	"DialErrorRestoresCapacity": pass,
	"NoStrandedWaiter":          pass, // nobody waits behind the failed dial: each Get dials for itself
	"DialOutsideLock":           pass, // the factory runs outside the pool's RWMutex
	"DoublePut":                 na,   // PoolConn.Close twice puts the conn in the channel twice; nothing records hand-outs
	"StalePut":                  na,   // the same
	"InvalidConfig":             pass,
	"CloseIdle":                 pass,
	"GetAfterClose":             pass, // ErrClosed after Close; no Get parks, so the waiter half does not apply
	"PutAfterClose":             pass, // put on a closed pool closes the conn
	"NoLeakAfterClose":          pass, // the library starts no goroutine
	"StatsConsistent":           na,   // Len counts idle conns only
}

// TestConformance runs the suite on fatih/pool and asserts every outcome, so
// a change upstream (or in the suite) shows up as a difference.
func TestConformance(t *testing.T) {
	report := pooltest.Check(t, fatih.New, fatih.Caps)
	for _, d := range report.Diff(expected) {
		t.Error(d)
	}
}

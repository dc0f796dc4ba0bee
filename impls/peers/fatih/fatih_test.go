package fatih_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/peers/fatih"
	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// expected is fatih/pool v3.0.0's outcome for every property. Most failures
// have one cause: Get never waits. With no idle conn at hand it dials, however
// many conns are open; maxCap bounds only the idle channel. Properties that
// need a parked Get therefore fail at their set-up: the would-be waiter
// returns at once with a conn past MaxConns.
var expected = map[string]pooltest.Status{
	"TotalCap":                  pooltest.Fail, // Get dials past MaxConns: 16 dials in flight with MaxConns 4
	"CapUnderChurn":             pooltest.Fail, // the same under random Get/Put/Discard
	"FullPoolDoesNotDial":       pooltest.Fail, // with MaxConns held, Get dials instead of waiting
	"IdleBound":                 pooltest.Pass, // maxCap (= MaxIdle) sizes the idle channel; Put closes the overflow
	"Reuse":                     pooltest.Pass,
	"PutHandsToWaiter":          pooltest.Fail,    // no waiter: the Get dials at once
	"PutGetRace":                pooltest.Fail,    // a Get that misses the idle conn dials a second one with MaxConns 1
	"DiscardFreesSlot":          pooltest.Partial, // Discard frees the slot; no Get parks, so the waiter half cannot run
	"DiscardedNeverReused":      pooltest.Pass,    // MarkUnusable + Close closes the conn
	"FIFO":                      pooltest.NA,      // no waiters, so no order to declare
	"NoDoubleHandout":           pooltest.Pass,
	"IdleExpiry":                pooltest.NA,      // no IdleTimeout
	"Reaper":                    pooltest.NA,      // no IdleTimeout, no reaper
	"MaxLifetime":               pooltest.NA,      // no MaxLifetime
	"DeadPeer":                  pooltest.Fail,    // no alive check: hands out a conn whose peer closed it
	"CancelWhileWaiting":        pooltest.Fail,    // Get ignores ctx and returns a conn past the cap instead of waiting
	"CancelDuringDial":          pooltest.Partial, // only the late-conn half runs: the factory has no ctx
	"CancelGrantRace":           pooltest.Fail,    // the racing Get dials a second conn with MaxConns 1
	"AcquireTimeout":            pooltest.Fail,    // Get never waits, so no deadline fires: it returns a conn past the cap
	"DialErrorRestoresCapacity": pooltest.Pass,
	"NoStrandedWaiter":          pooltest.Pass, // nobody waits behind the failed dial: each Get dials for itself
	"DialOutsideLock":           pooltest.Pass, // the factory runs outside the pool's RWMutex
	"DoublePut":                 pooltest.Fail, // nothing records hand-outs: a Discard after a Put closes the idle conn
	"StalePut":                  pooltest.Fail, // a stale Put puts the holder's conn back idle; the next Get gets it too
	"InvalidConfig":             pooltest.Pass,
	"CloseIdle":                 pooltest.Pass,
	"GetAfterClose":             pooltest.Partial, // ErrClosed after Close; no Get parks, so the waiter half cannot run
	"PutAfterClose":             pooltest.Pass,    // put on a closed pool closes the conn
	"NoLeakAfterClose":          pooltest.Partial, // the library starts no goroutine; no Get parks, so the waiter half cannot run
	"StatsConsistent":           pooltest.NA,      // Len counts idle conns only
}

// TestRejectsUnsupportedConfig: the library has no idle timeout and no max
// lifetime, so the adapter refuses them instead of ignoring them.
func TestRejectsUnsupportedConfig(t *testing.T) {
	dial := func(context.Context) (net.Conn, error) { return nil, errors.New("no dial in this test") }
	for _, cfg := range []pool.Config{
		{Dial: dial, MaxConns: 2, IdleTimeout: time.Minute},
		{Dial: dial, MaxConns: 2, MaxLifetime: time.Hour},
	} {
		p, err := fatih.New(cfg)
		if !errors.Is(err, pool.ErrUnsupported) || !errors.Is(err, pool.ErrInvalidConfig) {
			t.Errorf("New(IdleTimeout %v, MaxLifetime %v): got %v, %v; want an error wrapping ErrUnsupported and ErrInvalidConfig",
				cfg.IdleTimeout, cfg.MaxLifetime, p, err)
		}
	}
}

// TestConformance runs the suite on fatih/pool and asserts every outcome, so
// a change upstream (or in the suite) shows up as a difference.
func TestConformance(t *testing.T) {
	pooltest.Expect(t, fatih.New, fatih.Caps, pooltest.Expected{Status: expected})
}

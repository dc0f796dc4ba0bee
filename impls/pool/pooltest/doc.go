// Package pooltest is the reusable conformance suite for pool.Pool
// implementations: it checks a pool against every property of
// CONFORMANCE.md (at the repository root), the behaviour contract of
// poolbench's pools.
//
// # Use
//
// Give the suite a constructor and declare what the pool can express:
//
//	func TestConformance(t *testing.T) {
//		pooltest.Run(t, ring.New, pool.Full)
//	}
//
// Run runs one subtest per property, named as in Properties, so
// -run 'TestConformance/IdleExpiry' selects one. A property that does not
// hold fails its subtest with the reason. Check runs the same properties but
// returns a Report (pass, fail, partial or n/a, with the text, per property)
// instead of failing t; the conformance matrix of REPORT.md is built from
// Reports. A third-party pool asserts its known outcomes with Expect, which
// fails t for every property whose outcome differs (Report.Diff):
//
//	pooltest.Expect(t, fatih.New, fatih.Caps, pooltest.Expected{
//		Status: map[string]pooltest.Status{"TotalCap": pooltest.Fail}, // every property not listed must pass
//	})
//
// Run the suite under -race: several properties are races built to expose
// data races as well as logic errors.
//
// # Capabilities and n/a
//
// pool.Capabilities says what the pool can be configured for and which
// policies it declares. A property whose capability is false is not
// applicable: Run skips its subtest with a line starting "n/a:" (so it shows
// as SKIP, never as PASS) and Check reports NA. MaxIdle gates IdleBound;
// IdleTimeout gates IdleExpiry; IdleTimeout and Reaper gate Reaper;
// MaxLifetime gates MaxLifetime; FIFO gates FIFO; Stats gates
// StatsConsistent. FailFast (Get fails at once instead of waiting) makes
// every property about a waiting Get n/a: PutHandsToWaiter, PutGetRace, FIFO,
// CancelWhileWaiting, CancelGrantRace, AcquireTimeout, NoStrandedWaiter.
// DialCtx false makes the prompt-return half of CancelDuringDial n/a; its
// late-conn half still runs. DeadPeer is checked for every pool: a dead-peer
// check is behaviour a pool has or lacks, not an API.
//
// # The properties
//
// Numbers are those of CONFORMANCE.md; PutHandsToWaiter and PutGetRace both
// check property 6. "Virtual" properties run in a testing/synctest bubble,
// where every timeout is virtual time and costs nothing; the others need
// real goroutine interleavings, a kernel socket, or a dial that hangs while
// a pool may hold its lock (which would stall a bubble), and run in real
// time with bounded waits.
//
//	 1 TotalCap                  real: 4N Gets at once while dials hang: at most N dials in flight, N conns held
//	 2 CapUnderChurn             real: 64 goroutines of random Get/Put/Discard; the cap holds at every dial
//	 3 FullPoolDoesNotDial       virtual: with N held, Get waits (or fails fast if declared) and does not dial
//	 4 IdleBound                 virtual: MaxIdle 2, MaxConns 6: returning 6 keeps 2 and closes 4, once each
//	 5 Reuse                     virtual: 10N sequential Get/Put cycles dial once
//	 6 PutHandsToWaiter          virtual: a parked Get gets the returned conn, no dial
//	 6 PutGetRace                real: size 1, a Get races a Put each round: the Get never sleeps beside an idle conn
//	 7 DiscardFreesSlot          virtual: Discard frees the slot; a parked Get wakes and dials a fresh conn
//	 8 DiscardedNeverReused      virtual: a discarded conn is closed once and never handed out again
//	 9 FIFO                      virtual: waiters served in arrival order; the returner's own Get right after its Put
//	                                   (one P, same goroutine) does not barge
//	10 NoDoubleHandout           real: N held conns are distinct; under churn no conn is held twice
//	11 IdleExpiry                virtual: idle 30s of 1m is reused; idle past 1m is closed once and replaced
//	12 Reaper                    virtual: idle conns past IdleTimeout are closed without any Get
//	13 MaxLifetime               virtual: a conn past MaxLifetime is closed when returned and never handed out
//	14 DeadPeer                  real TCP: an idle conn whose server side closed is not handed out, and is closed
//	15 CancelWhileWaiting        virtual: cancelling a parked Get returns context.Canceled at once; capacity kept
//	16 CancelDuringDial          real: with DialCtx, a Get cancelled mid-dial returns promptly; a conn delivered
//	                                   after its Get gave up goes idle (or to a waiter) or is closed, never lost
//	17 CancelGrantRace           real: size 1, cancel races a Put for thousands of rounds: the conn is never lost
//	18 AcquireTimeout            virtual: a parked Get returns at its deadline an error that errors.Is DeadlineExceeded
//	19 DialErrorRestoresCapacity virtual: failed dials return the dial's error (errors.Is) and free their slots
//	20 NoStrandedWaiter          real: Gets waiting behind a dial that fails are served
//	21 DialOutsideLock           real: while a dial hangs, Stats, Put and a Get of an idle conn complete
//	22 DoublePut                 virtual: a second Put (and a Discard after a Put) is refused as declared; the
//	                                   idle conn is not closed, not shared, capacity unchanged
//	23 StalePut                  virtual: a Put or Discard of an old hand-out, after the conn was handed out
//	                                   again 1, 4, 5, 64 or 1000 times, is refused; the holder keeps the conn
//	24 InvalidConfig             virtual: MaxConns <= 0, nil Dial, MaxIdle < 0 or > MaxConns, negative
//	                                   durations: the constructor returns an error wrapping ErrInvalidConfig;
//	                                   a field the pool declares it cannot honour wraps ErrUnsupported too
//	25 CloseIdle                 virtual: Close closes each idle conn once; a second Close and an empty Close are safe
//	26 GetAfterClose             virtual: Get after Close is ErrClosed without a dial; parked Gets wake with ErrClosed
//	27 PutAfterClose             virtual: conns Put or Discarded after Close are closed; none stays open
//	28 NoLeakAfterClose          virtual: after use (waiters, discards, expiry) and Close, goleak finds no goroutine
//	                                   left from the property's bubble
//	29 StatsConsistent           virtual: after each event, Stats agree with the dialer and counters moved once
//
// # What the suite assumes of a pool (so that it reports no false failure)
//
// Every failure is behaviour the suite observed, with a message saying what.
// To make that hold, a pool under test must:
//
//   - Dial through Config.Dial, which is the suite's Dialer. The suite tells
//     conns apart by the Dialer's ids, so the handle Get returns must lead
//     back to the dialed conn: through an Unwrap() net.Conn method (as
//     lease.Conn has), or by embedding it so that LocalAddr passes through.
//   - Count a conn as open from the moment Dial returns it until Close is
//     called on it. The Dialer checks the cap at the start of every dial, so
//     a pool must close a conn before it frees the conn's slot.
//   - Return errors callers can test: ErrClosed after Close, the dial's own
//     error when Dial fails, ctx.Err() wrapped when ctx ends, and
//     ErrInvalidConfig from the constructor (errors.Is for all of them).
//   - Not block Close on conns still held, and stop its goroutines on Close
//     (goleak gives them about 0.4s of virtual time to exit).
//   - Create its goroutines and timers in New or in its methods, not at
//     package init, so that in a virtual property they belong to the bubble.
//
// Only StatsConsistent reads Stats; every other property counts through the
// Dialer, so a pool whose Stats are poor is still checked on everything else.
// StatsConsistent expects, once all is quiet: Open == Idle + InUse == the
// conns the Dialer has open; InUse == the conns the suite holds; Dialing 0.
// Counters move exactly once per event: Dials per dial started (failed ones
// too), DialErrors per failed dial, Reuses per Get served by an idle conn or
// by a Put handing its conn over, Expired per conn closed for IdleTimeout,
// MaxLifetime or a dead peer (on Get or by a reaper), Discards per Discard,
// Waits per Get that parked, Cancels per parked Get ended by its ctx
// (cancel or deadline); WaitTime is the parked time, exact in virtual time.
//
// A property about something else does not fail because of a missing
// capability: a pool whose Get ignores ctx still passes FullPoolDoesNotDial
// (it waits without dialing). A property that cannot run all of itself is
// Partial, never Pass: a pool that never parks a Get gets Partial for
// DiscardFreesSlot, GetAfterClose and NoLeakAfterClose (their waiter half did
// not run), and one without DialCtx for CancelDuringDial. A property whose
// subject is waiting does fail when the pool does not wait.
//
// # Hangs
//
// A hang is a failure with a message, never a stuck test binary. Every Get
// the suite makes has a ctx deadline (virtual inside a bubble), and the suite
// gives up on a Get that outlives it by 2s. A bubble in which every goroutine
// is blocked is reported by synctest as a deadlock and becomes a failure; a
// bubble where goroutines wait for a sync.Mutex that nothing will unlock,
// which synctest cannot see, is found by a watchdog that reads goroutine
// stacks; and any property still running after 30s of real time fails. The
// goroutines of a property given up on stay behind, blocked, for the rest of
// the test binary. A pool whose Get ignores ctx also leaves its parked Gets
// behind, which goleak.VerifyTestMain in the pool's own package will see.
//
// # Cost
//
// All 30 subtests take about 7s of real time for a correct pool under
// -race, most of it in the bounded races, which run until their time budget
// is spent (no round cap): PutGetRace (3s), CancelGrantRace (1s),
// CapUnderChurn and NoDoubleHandout (1s each at most). A failing pool costs
// more: each wait it misses runs to its limit (5s).
//
// PutGetRace catches a lost wake-up that needs a Put to land within a few
// instructions of a Get; github.com/silenceper/pool v1.0.0 has one. The race
// is statistical: a run may miss it (see raceBudget).
package pooltest

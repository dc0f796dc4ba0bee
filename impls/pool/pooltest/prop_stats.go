package pooltest

import (
	"context"
	"fmt"
	"net"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// statsCheck drives a pool through one event at a time and, once all is
// quiet after each, compares Stats with the dialer and with the counters
// the events should have moved.
type statsCheck struct {
	*fixture
	want pool.Stats // counters expected so far; gauges unused
	held map[net.Conn]bool
}

// checkStatsConsistent: after each event, Open == Idle + InUse == the
// dialer's live conns, InUse == what the suite holds, Dialing == 0, and
// every counter moved exactly as the events say.
func checkStatsConsistent(c *checkT) {
	cfg := pool.Config{MaxConns: 2}
	if c.caps.IdleTimeout {
		cfg.IdleTimeout = time.Minute
	}
	s := &statsCheck{fixture: c.fixture(cfg), held: make(map[net.Conn]bool)}
	s.verify("a new pool")

	a := s.take("a Get that dialed", func(w *pool.Stats) { w.Dials++ })
	s.give(a, "a Put")
	a = s.take("a Get of the idle conn", func(w *pool.Stats) { w.Reuses++ })
	b := s.take("a second Get that dialed", func(w *pool.Stats) { w.Dials++ })

	if !s.caps.FailFast {
		w := s.parked("waiter")
		time.Sleep(time.Second)
		s.mustPut(a)
		delete(s.held, a)
		a = s.expect(w, "a Put handed to a waiter after 1s", func(w *pool.Stats) {
			w.Waits++
			w.Reuses++
			w.WaitTime += time.Second
		})
	}
	s.mustDiscard(b)
	delete(s.held, b)
	s.verify("a Discard", func(w *pool.Stats) { w.Discards++ })

	s.d.FailNext(errDial)
	if _, err := s.get(waitLimit); err == nil {
		s.Fatalf("a Get whose dial failed succeeded")
	}
	s.verify("a failed dial", func(w *pool.Stats) { w.Dials++; w.DialErrors++ })
	b = s.take("a Get that dialed after a failed dial", func(w *pool.Stats) { w.Dials++ })

	if !s.caps.FailFast {
		ctx, cancel := context.WithCancel(context.Background())
		w := s.startGetCtx(ctx, cancel)
		s.settle(w)
		time.Sleep(time.Second)
		cancel()
		s.expect(w, "a waiting Get cancelled after 1s", func(w *pool.Stats) {
			w.Waits++
			w.Cancels++
			w.WaitTime += time.Second
		})
		s.expect(s.startGet(prompt), "a waiting Get past its deadline", func(w *pool.Stats) {
			w.Waits++
			w.Cancels++
			w.WaitTime += prompt
		})
	}
	s.give(a, "a Put")
	s.give(b, "a Put")
	if s.caps.IdleTimeout {
		time.Sleep(2 * time.Minute)
		a = s.take("a Get after both idle conns expired", func(w *pool.Stats) { w.Dials++; w.IdleTimeoutClosed += 2 })
		s.give(a, "a Put")
	}
}

// take runs a Get that must succeed, then verifies.
func (s *statsCheck) take(event string, moved func(*pool.Stats)) net.Conn {
	conn, _ := s.mustGet(event)
	s.held[conn] = true
	s.verify(event, moved)
	return conn
}

// give Puts conn, then verifies.
func (s *statsCheck) give(conn net.Conn, event string) {
	s.mustPut(conn)
	delete(s.held, conn)
	s.verify(event)
}

// expect waits for w, holds its conn if it got one, then verifies.
func (s *statsCheck) expect(w *pending, event string, moved func(*pool.Stats)) net.Conn {
	conn, err := s.result(w, waitLimit)
	if err == nil {
		s.held[conn] = true
	}
	s.verify(event, moved)
	return conn
}

// verify applies the counter moves of an event, waits for quiet, and
// compares.
func (s *statsCheck) verify(event string, moved ...func(*pool.Stats)) {
	for _, m := range moved {
		m(&s.want)
	}
	synctest.Wait()
	got, d := s.p.Stats(), s.d.Stats()
	var bad []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			bad = append(bad, fmt.Sprintf(format, args...))
		}
	}
	check(got.Open == got.Idle+got.InUse, "Open %d != Idle %d + InUse %d", got.Open, got.Idle, got.InUse)
	check(got.Open == d.Live, "Open %d, but %d conns are live", got.Open, d.Live)
	check(got.InUse == len(s.held), "InUse %d, but the suite holds %d", got.InUse, len(s.held))
	check(got.Dialing == 0, "Dialing %d with no dial in flight", got.Dialing)
	w := s.want
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"Dials", got.Dials, w.Dials}, {"DialErrors", got.DialErrors, w.DialErrors},
		{"Reuses", got.Reuses, w.Reuses},
		{"IdleTimeoutClosed", got.IdleTimeoutClosed, w.IdleTimeoutClosed},
		{"MaxLifetimeClosed", got.MaxLifetimeClosed, w.MaxLifetimeClosed},
		{"DeadPeerClosed", got.DeadPeerClosed, w.DeadPeerClosed},
		{"MaxIdleClosed", got.MaxIdleClosed, w.MaxIdleClosed},
		{"Discards", got.Discards, w.Discards}, {"Waits", got.Waits, w.Waits},
		{"Cancels", got.Cancels, w.Cancels},
	} {
		check(c.got == c.want, "%s %d, want %d", c.name, c.got, c.want)
	}
	check(got.WaitTime >= w.WaitTime && got.WaitTime <= w.WaitTime+prompt,
		"WaitTime %v, want %v (virtual time: waits are exact)", got.WaitTime, w.WaitTime)
	if len(bad) > 0 {
		s.Fatalf("Stats after %s: %v\nStats: %+v", event, bad, got)
	}
}

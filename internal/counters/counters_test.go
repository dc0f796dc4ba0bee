package counters

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/internal/expiry"
)

func TestSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c Counters
		c.Dials.Add(3)
		c.Reuses.Add(2)
		start := WaitStart()
		time.Sleep(1500 * time.Millisecond)
		c.Waited(start)
		c.Waited(start)
		c.Expired(expiry.IdleTimeout)
		c.Expired(expiry.MaxLifetime)
		c.Expired(expiry.MaxLifetime)
		c.Expired(expiry.DeadPeer)
		c.MaxIdle.Add(1)
		s := c.Snapshot()
		if s.Dials != 3 || s.Reuses != 2 || s.WaitTime != 3*time.Second || s.Open != 0 {
			t.Fatalf("snapshot %+v", s)
		}
		if s.IdleTimeoutClosed != 1 || s.MaxLifetimeClosed != 2 || s.DeadPeerClosed != 1 || s.MaxIdleClosed != 1 || s.Expired() != 4 {
			t.Fatalf("closes by cause in snapshot %+v", s)
		}
	})
}

// TestWaitStart checks that a wait timed from WaitStart, which reads only the
// monotonic clock, records the time that passed, inside a synctest bubble
// (whose clock is not the one epoch was read from), and that outside one it
// agrees with time.Now.
func TestWaitStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c Counters
		start := WaitStart()
		time.Sleep(2 * time.Second)
		c.Waited(start)
		if got := c.Snapshot().WaitTime; got != 2*time.Second {
			t.Fatalf("WaitTime %v after a 2s wait, want 2s", got)
		}
	})
	var c Counters
	before := time.Now()
	start := WaitStart()
	for time.Since(before) < 2*time.Millisecond {
		// let the clock move by far more than its resolution
	}
	c.Waited(start)
	elapsed := time.Since(before)
	if got := c.Snapshot().WaitTime; got < time.Millisecond || got > elapsed {
		t.Fatalf("WaitTime %v outside a bubble, want at least 1ms (of a 2ms wait) and at most %v, what time.Now measured around it", got, elapsed)
	}
}

// BenchmarkWaited is the clock's share of one counted wait: WaitStart and
// Waited with no wait between, which a pool under exhaustion pays on every
// Get.
func BenchmarkWaited(b *testing.B) {
	var c Counters
	for b.Loop() {
		c.Waited(WaitStart())
	}
}

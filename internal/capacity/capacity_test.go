package capacity

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestReserveStopsAtLimit(t *testing.T) {
	var c Counter
	for i := range 3 {
		if !c.TryReserve(3) {
			t.Fatalf("reserve %d of 3 refused", i+1)
		}
	}
	if c.TryReserve(3) {
		t.Fatal("a fourth reserve under a limit of 3 succeeded")
	}
	if got := c.InUse(); got != 3 {
		t.Fatalf("InUse = %d, want 3", got)
	}
	c.Release()
	if got := c.InUse(); got != 2 {
		t.Fatalf("InUse after Release = %d, want 2", got)
	}
	if !c.TryReserve(3) {
		t.Fatal("reserve after a Release refused")
	}
	if c.TryReserve(0) {
		t.Fatal("reserve under a limit of 0 succeeded")
	}
}

// TestReserveNeverOvershoots races reservers and releasers for a bounded
// time and checks that the count never passes the limit.
func TestReserveNeverOvershoots(t *testing.T) {
	const limit = 4
	var (
		c    Counter
		held atomic.Int64
		over atomic.Int64
		wg   sync.WaitGroup
	)
	deadline := time.Now().Add(200 * time.Millisecond)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if !c.TryReserve(limit) {
					continue
				}
				if h := held.Add(1); h > limit {
					over.Store(h)
				}
				held.Add(-1)
				c.Release()
			}
		}()
	}
	wg.Wait()
	if h := over.Load(); h != 0 {
		t.Fatalf("%d slots held at once under a limit of %d", h, limit)
	}
	if got := c.InUse(); got != 0 {
		t.Fatalf("InUse after every release = %d, want 0", got)
	}
}

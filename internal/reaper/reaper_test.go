package reaper

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestArmByEarliestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sweeps atomic.Int32
		var at time.Time
		r := New(func() { sweeps.Add(1); at = time.Now() })
		start := time.Now()
		r.ArmBy(start.Add(10*time.Second), start)
		r.ArmBy(start.Add(3*time.Second), start) // earlier: re-arms
		r.ArmBy(start.Add(5*time.Second), start) // later: no change
		time.Sleep(4 * time.Second)
		synctest.Wait()
		if sweeps.Load() != 1 || at.Sub(start) != 3*time.Second {
			t.Fatalf("sweeps %d at +%v, want 1 at +3s", sweeps.Load(), at.Sub(start))
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if sweeps.Load() != 1 {
			t.Fatalf("disarmed reaper swept again: %d sweeps", sweeps.Load())
		}
		r.Stop()
	})
}

func TestSweepRearms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sweeps atomic.Int32
		var r *Reaper
		r = New(func() {
			sweeps.Add(1)
			now := time.Now()
			r.ArmBy(now.Add(time.Second), now)
		})
		now := time.Now()
		r.ArmBy(now.Add(time.Second), now)
		time.Sleep(3*time.Second + time.Millisecond)
		synctest.Wait()
		if sweeps.Load() != 3 {
			t.Fatalf("sweeps %d after 3s, want 3", sweeps.Load())
		}
		r.Stop()
		time.Sleep(time.Hour)
		synctest.Wait()
		if sweeps.Load() != 3 {
			t.Fatalf("swept after Stop: %d sweeps", sweeps.Load())
		}
		r.ArmBy(time.Now().Add(time.Second), time.Now())
		time.Sleep(time.Hour)
		synctest.Wait()
		if sweeps.Load() != 3 {
			t.Fatal("ArmBy after Stop armed the timer")
		}
	})
}

// TestStopWaitsForSweep runs on the real clock: a goroutine blocked on a
// mutex (Stop) is not durably blocked, so virtual time would stand still.
func TestStopWaitsForSweep(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var done atomic.Bool
	r := New(func() {
		close(entered)
		<-release
		done.Store(true)
	})
	now := time.Now()
	r.ArmBy(now, now)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("sweep did not start within 10s")
	}
	// Give Stop time to block before the sweep ends; if Stop did not wait,
	// it would return with the sweep unfinished.
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(release)
	}()
	r.Stop()
	if !done.Load() {
		t.Fatal("Stop returned while a sweep was running")
	}
}

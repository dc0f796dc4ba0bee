package harness

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestFaultLatencyDelaysDials: latency=D makes every dial wait D, as a
// handshake across that round trip would; other faults leave dials alone,
// and an explicit DialDelay wins.
func TestFaultLatencyDelaysDials(t *testing.T) {
	for spec, want := range map[string]time.Duration{
		"latency=10ms": 10 * time.Millisecond,
		"reset_peer":   0,
		"none":         0,
	} {
		s := &Sweep{Fault: spec}
		if got := s.dialDelay(); got != want {
			t.Errorf("Fault %q: dial delay %v, want %v", spec, got, want)
		}
	}
	if got := (&Sweep{Fault: "latency=10ms", DialDelay: time.Millisecond}).dialDelay(); got != time.Millisecond {
		t.Errorf("DialDelay 1ms under latency=10ms: dial delay %v, want 1ms", got)
	}
}

func TestSleepCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := sleepCtx(t.Context(), 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 10*time.Millisecond {
			t.Errorf("waited %v, want 10ms", got)
		}

		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Millisecond)
		defer cancel()
		start = time.Now()
		if err := sleepCtx(ctx, time.Second); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("sleepCtx past its ctx: %v, want DeadlineExceeded", err)
		}
		if got := time.Since(start); got != 3*time.Millisecond {
			t.Errorf("returned after %v, want at the ctx deadline (3ms)", got)
		}
	})
}

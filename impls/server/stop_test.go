package server

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestStop: begin runs once, before the first Shutdown returns; a Shutdown
// whose ctx ends before wait does returns ctx's error and the stop goes
// on; every later Shutdown returns nil once wait has returned.
func TestStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s Stop
		begins := 0
		release := make(chan struct{})
		begin := func() { begins++ }
		wait := func() { <-release }

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.Shutdown(ctx, begin, wait); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown while wait blocks: %v, want DeadlineExceeded", err)
		}
		if begins != 1 {
			t.Fatalf("begin ran %d times by the first Shutdown's return, want 1", begins)
		}
		done := make(chan error, 2)
		for range 2 {
			go func() { done <- s.Shutdown(context.Background(), begin, wait) }()
		}
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Shutdown returned %v before wait did", err)
		default:
		}
		close(release)
		for range 2 {
			if err := <-done; err != nil {
				t.Fatalf("Shutdown after wait returned: %v, want nil", err)
			}
		}
		if begins != 1 {
			t.Fatalf("begin ran %d times in all, want 1", begins)
		}
	})
}

// TestStopNil: with neither begin nor wait, Shutdown returns nil at once.
func TestStopNil(t *testing.T) {
	var s Stop
	if err := s.Shutdown(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
}

package pooltest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

// TestWatchdog: a pool that hangs fails the property with a message, fast,
// and never fails the caller of Check or hangs the test binary.
func TestWatchdog(t *testing.T) {
	cases := []struct {
		name     string
		bug      bug
		property string
		want     string        // in the failure message
		limit    time.Duration // the watchdog's real-time limit for this case
	}{
		// A Get spins until told to stop: only the real-time limit ends it.
		{"Spinning", spinningWait, "PutHandsToWaiter", "did not finish within 2s", 2 * time.Second},
		// A goroutine waits for a lock nobody will release: the stall detector.
		{"LockLeak", putLeaksLock, "Reuse", "wait for a sync.Mutex", time.Minute},
		// Close blocks on a channel and nothing else can run: synctest's
		// deadlock report.
		{"CloseBlocks", closeWaits, "PutAfterClose", "hang during Close: deadlock", time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer pooltest.SetPropertyLimit(tc.limit)()
			stopSpinning.Store(false)
			start := time.Now()
			report := pooltest.CheckOnly(t, refNew(tc.bug), pool.Full, tc.property)
			if tc.bug == spinningWait {
				stopSpinning.Store(true)
				if !pooltest.WaitAbandoned(10 * time.Second) {
					t.Fatal("the spinning property did not finish once unstuck")
				}
			}
			r, _ := report.Result(tc.property)
			if r.Status != pooltest.Fail || !strings.Contains(r.Message, tc.want) {
				t.Errorf("%s: %v %q, want a failure saying %q", tc.property, r.Status, r.Message, tc.want)
			}
			if took := time.Since(start); took > tc.limit/2+5*time.Second && tc.limit == time.Minute {
				t.Errorf("the hang took %v to detect", took)
			}
		})
	}
}

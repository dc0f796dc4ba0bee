package harness

import (
	"testing"
	"time"
)

// untilSeen waits, with a bounded deadline, for what a test of real
// sockets and clocks must see happen inside a sweep's fixed windows (a
// request completed in every point, a shard started within its warm-up):
// on a loaded machine a short window can pass before a goroutine gets the
// CPU, so a run that did not see it is run again with the window doubled,
// from first up to limit. attempt runs the sweep with window, asserts
// whatever must hold however late the goroutines were, and reports
// whether the event happened (and if not, what was missed). The test
// fails when it still has not at limit.
func untilSeen(t *testing.T, first, limit time.Duration, attempt func(window time.Duration) (seen bool, missed string)) {
	t.Helper()
	for w := first; ; w *= 2 {
		seen, missed := attempt(w)
		if seen || t.Failed() {
			return
		}
		if w*2 > limit {
			t.Fatalf("not seen with windows up to %v: %s", w, missed)
		}
		t.Logf("window %v: %s; again with %v", w, missed, 2*w)
	}
}

package pooltest

import (
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// WaitAbandoned waits up to limit for the goroutine of the last property
// the watchdog gave up on, once the test has unstuck it, so that it finishes
// while its test still runs.
func WaitAbandoned(limit time.Duration) bool {
	abandoned.Lock()
	done := abandoned.last
	abandoned.Unlock()
	return done != nil && waitClosed(done, limit)
}

// SetPropertyLimit shortens the watchdog's real-time limit until restore.
func SetPropertyLimit(d time.Duration) (restore func()) {
	old := propertyLimit
	propertyLimit = d
	return func() { propertyLimit = old }
}

// CheckOnly is Check of the named properties only, so the mutation test
// can run each broken pool against the properties it must fail quickly.
func CheckOnly(t *testing.T, newPool NewPool, caps pool.Capabilities, names ...string) Report {
	t.Helper()
	return check(t, newPool, caps, names)
}

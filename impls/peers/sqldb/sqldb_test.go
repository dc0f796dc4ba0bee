package sqldb_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/peers/sqldb"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// expected is database/sql's (Go 1.26) outcome for every property; a
// property not listed must pass.
var expected = map[string]pooltest.Status{
	// SetConnMaxIdleTime is enforced only by the cleaner goroutine, which
	// runs every IdleTimeout: Get checks a free conn's lifetime, not its idle
	// time, so a conn idle up to twice IdleTimeout is still handed out.
	"IdleExpiry": pooltest.Fail,
	// Waiters sit in a map and are served in random order (golang/go#31708);
	// the pool declares no FIFO.
	"FIFO": pooltest.NA,
	// DB.Stats counts no dials or reuses.
	"StatsConsistent": pooltest.NA,
}

// TestConformance runs the suite on database/sql's pool and asserts every
// outcome, so a change in the standard library (or in the suite) shows up.
func TestConformance(t *testing.T) {
	pooltest.Expect(t, sqldb.New, sqldb.Caps, pooltest.Expected{Status: expected})
}

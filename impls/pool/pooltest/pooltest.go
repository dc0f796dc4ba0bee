// Package pooltest is the reusable conformance suite for pool.Pool
// implementations. See Run.
package pooltest

import (
	"testing"

	"github.com/poolbench/poolbench/impls/pool"
)

// NewPool builds a fresh pool from cfg; the suite calls it once per property.
type NewPool func(cfg pool.Config) (pool.Pool, error)

// Run checks the pool built by newPool against every property, one subtest each.
// (Placeholder signature; the suite is being written.)
func Run(t *testing.T, newPool NewPool, caps Capabilities) {
	t.Helper()
	t.Fatal("pooltest: suite not written yet")
}

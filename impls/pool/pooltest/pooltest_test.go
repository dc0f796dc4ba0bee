package pooltest_test

import (
	"testing"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

// refNew builds refPools with bug b planted.
func refNew(b bug) pooltest.NewPool {
	return func(cfg pool.Config) (pool.Pool, error) { return newRefPool(cfg, b) }
}

// TestReference: the reference pool passes the whole suite.
func TestReference(t *testing.T) {
	pooltest.Run(t, refNew(correct), pool.Full)
}

package ring_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
	"github.com/poolbench/poolbench/impls/ring"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	pooltest.Run(t, ring.New, pool.Full)
}

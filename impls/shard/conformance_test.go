package shard

import (
	"testing"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) { pooltest.Run(t, New, pool.Full) }

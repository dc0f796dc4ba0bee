package udp_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/servertest"
	"github.com/poolbench/poolbench/impls/servers/udp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) { servertest.Run(t, udp.Start, server.UDP) }

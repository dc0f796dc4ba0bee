package nbio_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/servertest"
	"github.com/poolbench/poolbench/impls/servers/nbio"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	servertest.Run(t, nbio.Start, server.Echo)
}

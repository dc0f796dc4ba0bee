package gnet_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/servertest"
	"github.com/poolbench/poolbench/impls/servers/gnet"
)

func TestMain(m *testing.M) {
	// gnet's package-wide worker pool (an ants pool built at package init,
	// used for Engine.Register) keeps two goroutines for the life of the
	// process; they are not a server's.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
	)
}

func TestConformance(t *testing.T) {
	servertest.Run(t, gnet.Start, server.Echo)
}

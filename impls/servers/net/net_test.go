package net_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/servertest"
	netserver "github.com/poolbench/poolbench/impls/servers/net"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	servertest.Run(t, netserver.Start, server.Echo)
}

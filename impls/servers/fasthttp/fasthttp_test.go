package fasthttp_test

import (
	"testing"

	fh "github.com/valyala/fasthttp"
	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/servertest"
	"github.com/poolbench/poolbench/impls/servers/fasthttp"
)

// dateClock is fasthttp's process-wide Date-header clock: a goroutine it
// starts on the first response head it builds with a Date (error replies
// do, whatever the server's NoDefaultDate says) and never stops.
const dateClock = "github.com/valyala/fasthttp.updateServerDate.func1"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction(dateClock))
}

func TestConformance(t *testing.T) {
	// Start the clock now, so that the suite's per-property leak check,
	// which ignores what ran before the property, does not blame the first
	// property that makes fasthttp answer with an error.
	var h fh.ResponseHeader
	_ = h.AppendBytes(nil)
	servertest.Run(t, fasthttp.Start, server.HTTP)
}

//go:build !race

// The race detector's instrumentation allocates, so the allocation check
// runs only in a normal build.

package harness

import (
	"testing"

	"github.com/poolbench/poolbench/impls/server"
)

// TestWorkerLoopAllocs: the worker loop allocates nothing per request.
func TestWorkerLoopAllocs(t *testing.T) {
	for _, proto := range []server.Protocol{server.Echo, server.HTTP} {
		req := benchRequest(t, proto)
		req()
		if n := testing.AllocsPerRun(500, req); n != 0 {
			t.Errorf("%s: %v allocs per request, want 0", proto, n)
		}
	}
}

package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/impls"
)

// TestTimeWaitSide runs the dial design (no pool: a conn per request)
// against a "poolbench serve" child twice: as it is, where the client
// closes first, and under Sweep.ServerCloses with the server started with
// -close-after (one echo per conn), where the server closes first. The
// kernel's TIME_WAIT sockets, per point, must land on the side that closed
// first: on the client's side and none on the server's, then the other
// way round. A request that failed may have been closed by the client
// first, so the other side may hold at most one per failure.
func TestTimeWaitSide(t *testing.T) {
	var d impls.ServerDesign
	for _, sd := range impls.Servers() {
		if sd.ClosesFirst {
			d = sd
			break
		}
	}
	if d.Name == "" {
		t.Fatal("no server design that can close first is registered")
	}
	dial, err := impls.LookupPool("dial")
	if err != nil {
		t.Fatal(err)
	}
	for _, serverCloses := range []bool{false, true} {
		t.Run("serverCloses="+strconv.FormatBool(serverCloses), func(t *testing.T) {
			args := []string{"serve", "-design", d.Name, "-addr", "127.0.0.1:0", "-loops", "1"}
			if serverCloses {
				args = append(args, "-close-after", strconv.Itoa(harness.DefaultSize))
			}
			s := &harness.Sweep{
				Servers:      []harness.Server{{Name: d.Name, Protocol: d.Protocol, Loops: 1, Launch: harness.Process{Path: poolbench, Args: args}}},
				Pools:        []harness.Pool{{Name: dial.Name, New: dial.New}},
				Settings:     oneLevel(4, 20*time.Millisecond, 10*time.Second, 2*time.Second),
				ServerCloses: serverCloses,
			}
			// The window ends once 64 requests (64 conns) have ended after
			// the warm-up, not after a time a loaded machine may not keep to. (Under
			// ServerCloses every conn is discarded, success or not, so the
			// pool cannot tell the outcomes apart; the point counts them.)
			endOnEvent(s, afterRequests(64, s.Settings.Warmup))
			pt := runSweep(t, s).Points[0]
			if !pt.HasKernel {
				t.Fatal("no kernel counters for a server started as a child process")
			}
			k := pt.Kernel
			t.Logf("%d requests, %d dials, %v: TIME_WAIT client %d, server %d", pt.Requests, pt.Dials, pt.Errors, k.TimeWaitClient, k.TimeWaitServer)
			if pt.Requests == 0 {
				t.Fatalf("no request succeeded: %v", pt.Errors)
			}
			if pt.ServerClosed != serverCloses {
				t.Errorf("point says ServerClosed %v, want %v", pt.ServerClosed, serverCloses)
			}
			first, second := k.TimeWaitClient, k.TimeWaitServer
			if serverCloses {
				first, second = second, first
			}
			failed := int(pt.Errors.Total())
			if first == 0 || int64(second) > int64(failed) {
				t.Errorf("TIME_WAIT client %d, server %d after %d requests (%d failed) with the server closing first: %v; "+
					"want them on the side that closed first, and at most one per failure on the other",
					k.TimeWaitClient, k.TimeWaitServer, pt.Requests, failed, serverCloses)
			}
		})
	}
}

package harness

import (
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/dial"
	"github.com/poolbench/poolbench/impls/server"
)

// TestKernelPerPoint: a point against a child server carries the kernel's
// view of it. The dial baseline closes every conn from the client side
// first, so its window leaves TIME_WAIT sockets on the client's side, about
// one per request; a pool that keeps its conns leaves none. A server not
// started as a child (in-process here, like an external one) gets no
// kernel view at all. A child shared by every point (ShareServer, as make
// bench runs the sweep) gets it too, and the pool's point, run after
// dial's against the same server, does not count the TIME_WAIT sockets
// dial's left behind.
func TestKernelPerPoint(t *testing.T) {
	s := &Sweep{
		Servers:  []Server{{Name: "child", Protocol: server.Echo, Loops: 1, Launch: childProcess(server.Echo)}},
		Pools:    []Pool{{Name: "dial", New: dial.New}, testDesign},
		Settings: oneLevel(2, 20*time.Millisecond, 100*time.Millisecond),
	}
	for _, share := range []bool{false, true} {
		s.ShareServer = share
		res, err := s.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Points) != 2 || res.Points[0].Pool != "dial" {
			t.Fatalf("share %v: points %d, first %q; want dial's point and then the pool's", share, len(res.Points), res.Points[0].Pool)
		}
		checkKernelPoints(t, res.Points)
	}

	in := startTestServer(t, server.Echo, faultNone)
	s.ShareServer = false
	s.Servers = []Server{{Name: "inproc", Protocol: server.Echo, Launch: inProcess{in}}}
	s.Pools = []Pool{testDesign}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Points[0]; p.HasKernel {
		t.Errorf("a server not started as a child got a kernel view: %+v", p.Kernel)
	}
}

// checkKernelPoints asserts each point's kernel view: about one client-side
// TIME_WAIT per request for dial, at most one per failure for a pool.
func checkKernelPoints(t *testing.T, points []Point) {
	t.Helper()
	for _, p := range points {
		k := p.Kernel
		t.Logf("%s: %d requests, %d dials, kernel %+v", p.Pool, p.Requests, p.Dials, k)
		if !p.HasKernel || k.Ports == 0 || k.FDs.Limit == 0 || k.FDs.Open == 0 {
			t.Fatalf("%s: kernel view %v %+v, want one with the port range and the server's fds", p.Pool, p.HasKernel, k)
		}
		switch p.Pool {
		case "dial":
			// Each request of the window closed a conn first; the last
			// ones may still be in FIN_WAIT when the window ends, more of
			// them on a loaded machine.
			if k.TimeWaitClient < int(p.Requests)/4 || k.TimeWaitServer != 0 {
				t.Errorf("dial: %d requests left %d client and %d server TIME_WAIT, want about one client-side per request",
					p.Requests, k.TimeWaitClient, k.TimeWaitServer)
			}
		default:
			// A pool closes a conn only after a failed request.
			if tw := k.TimeWaitClient + k.TimeWaitServer; tw > int(p.Errors.Total()) {
				t.Errorf("%s: a pool left %d client and %d server TIME_WAIT with %d failed requests, want at most one per failure",
					p.Pool, k.TimeWaitClient, k.TimeWaitServer, p.Errors.Total())
			}
		}
	}
}

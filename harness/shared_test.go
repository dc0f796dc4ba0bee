package harness

import (
	"testing"

	"github.com/poolbench/poolbench/impls/server"
)

// TestShareServer: under ShareServer every point of a server runs against
// one child process, launched once and reaped when the sweep ends, and no
// point claims an RSS it cannot attribute.
func TestShareServer(t *testing.T) {
	rec := &recorder{Launcher: childProcess(server.Echo)}
	s := shortSweep(Server{Name: "child", Protocol: server.Echo, Launch: rec})
	s.ShareServer = true
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 4 {
		t.Fatalf("%d points, want 4 (2 levels x 2 repetitions)", len(res.Points))
	}
	if len(rec.pids) != 1 {
		t.Errorf("%d server launches for %d points, want 1", len(rec.pids), len(res.Points))
	}
	for _, pt := range res.Points {
		if pt.Requests == 0 || pt.Errors.Total() != 0 {
			t.Errorf("%+v: want requests and no errors against the shared server", pt)
		}
		if pt.HasRSS {
			t.Errorf("workers=%d rep %d reports RSS per conn from a shared server", pt.Workers, pt.Rep)
		}
	}
	rec.checkReaped(t)
}

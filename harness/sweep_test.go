package harness

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/server"
)

// shortSweep is a sweep small enough for a unit test.
func shortSweep(servers ...Server) *Sweep {
	return &Sweep{
		Servers:  servers,
		Pools:    []Pool{testDesign},
		Conns:    []int{4, 1},
		Duration: 100 * time.Millisecond,
		Warmup:   20 * time.Millisecond,
		Count:    2,
	}
}

func TestSweepInProcess(t *testing.T) {
	echo := startTestServer(t, server.Echo, faultNone)
	web := startTestServer(t, server.HTTP, faultNone)
	var log strings.Builder
	s := shortSweep(
		Server{Name: "raw", Protocol: server.Echo, Launch: inProcess{echo}},
		Server{Name: "web", Protocol: server.HTTP, Launch: inProcess{web}},
	)
	s.Progress = &log
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Repetitions outermost: rep 1 of every point, then rep 2.
	var order []string
	for _, p := range res.Points {
		order = append(order, p.Server+"/"+p.Pool+"/"+itoa(p.Conns)+"/"+itoa(p.Rep))
	}
	want := "raw/test/1/1 raw/test/4/1 web/test/1/1 web/test/4/1 raw/test/1/2 raw/test/4/2 web/test/1/2 web/test/4/2"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("points ran in order\n%s\nwant\n%s", got, want)
	}
	for _, p := range res.Points {
		if p.Requests == 0 || p.Errors.Total() != 0 {
			t.Errorf("%+v: want requests and no errors", p)
		}
		if p.Dials < 1 || p.Dials > uint64(p.Conns) {
			t.Errorf("%s conns=%d: %d dials, want 1 to conns", p.Server, p.Conns, p.Dials)
		}
		l := p.Latency
		if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max+l.Max/1000) {
			t.Errorf("%s conns=%d: latency percentiles out of order: %+v", p.Server, p.Conns, l)
		}
		if p.HasRSS || p.Window != s.Duration {
			t.Errorf("%+v: an in-process server has no RSS; window must be the duration", p)
		}
	}
	if len(res.Knees) != 2 {
		t.Errorf("knees %+v, want one per server and pool", res.Knees)
	}
	for _, want := range []string{"8 points", "[8/8] web/test conns=4 rep 2/2", "knee raw/test"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, log.String())
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// recorder wraps a Launcher to remember every child it started and to run
// a hook after each launch.
type recorder struct {
	Launcher
	mu     sync.Mutex
	pids   []int
	launch func(n int)
}

func (r *recorder) Launch(ctx context.Context) (Instance, error) {
	inst, err := r.Launcher.Launch(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.pids = append(r.pids, inst.PID())
	n := len(r.pids)
	r.mu.Unlock()
	if r.launch != nil {
		r.launch(n)
	}
	return inst, nil
}

// checkReaped wants every recorded child to have exited and been waited for.
func (r *recorder) checkReaped(t *testing.T) {
	t.Helper()
	for _, pid := range r.pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("child server %d still exists after the sweep (kill 0: %v)", pid, err)
		}
	}
}

func TestSweepChildProcess(t *testing.T) {
	rec := &recorder{Launcher: childProcess(server.Echo)}
	s := shortSweep(Server{Name: "child", Protocol: server.Echo, Loops: 1, Launch: rec})
	s.Count = 1
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.pids) != 2 {
		t.Errorf("%d servers launched, want one per point (2)", len(rec.pids))
	}
	rec.checkReaped(t)
	for _, p := range res.Points {
		if !p.HasRSS || p.RSSPerConn < 0 || p.Errors.Total() != 0 || p.Requests == 0 {
			t.Errorf("%+v: want requests, no errors and the child's RSS", p)
		}
	}
}

// TestSweepInterrupt: ending ctx during the third point keeps the two
// finished points, drops the third and stops its server.
func TestSweepInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rec := &recorder{Launcher: childProcess(server.Echo)}
	rec.launch = func(n int) {
		if n == 3 {
			time.AfterFunc(50*time.Millisecond, cancel) // inside its warm-up or window
		}
	}
	s := shortSweep(Server{Name: "child", Protocol: server.Echo, Launch: rec})
	s.Count = 3
	res, err := s.Run(ctx)
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want ErrInterrupted wrapping context.Canceled", err)
	}
	if len(res.Points) != 2 || len(rec.pids) != 3 {
		t.Errorf("%d points kept of %d launched, want 2 of 3", len(res.Points), len(rec.pids))
	}
	rec.checkReaped(t)
}

func TestSweepServerFailsToStart(t *testing.T) {
	s := shortSweep(Server{Name: "missing", Protocol: server.Echo, Launch: Process{Path: "/nonexistent/poolbench"}})
	if _, err := s.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "/nonexistent/poolbench") {
		t.Fatalf("Run: %v, want an error naming the missing server binary", err)
	}
	// A child that exits before printing its address.
	s = shortSweep(Server{Name: "false", Protocol: server.Echo, Launch: Process{Path: "/bin/false"}})
	if _, err := s.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "exited before printing its address") {
		t.Fatalf("Run: %v, want the early exit reported", err)
	}
	// Its stderr, kept back, is quoted in the error.
	s = shortSweep(Server{Name: "sh", Protocol: server.Echo, Launch: Process{Path: "/bin/sh", Args: []string{"-c", "echo boom >&2; exit 3"}}})
	if _, err := s.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "exit status 3; stderr: boom") {
		t.Fatalf("Run: %v, want the exit status and stderr quoted", err)
	}
}

func TestSweepValidate(t *testing.T) {
	ok := Server{Name: "x", Protocol: server.Echo, Launch: External("127.0.0.1:1")}
	for _, tc := range []struct {
		name string
		edit func(s *Sweep)
		want string
	}{
		{"no servers", func(s *Sweep) { s.Servers = nil }, "no servers"},
		{"no pools", func(s *Sweep) { s.Pools = nil }, "no pool"},
		{"duration", func(s *Sweep) { s.Duration = 0 }, "duration"},
		{"warmup", func(s *Sweep) { s.Warmup = -1 }, "warm-up"},
		{"size", func(s *Sweep) { s.Size = MaxSize + 1 }, "message size"},
		{"negative size", func(s *Sweep) { s.Size = -1 }, "message size"},
		{"rate", func(s *Sweep) { s.Rate = -1 }, "rate"},
		{"conns", func(s *Sweep) { s.Conns = []int{1, MaxConns + 1} }, "concurrency level 10001"},
		{"zero conns", func(s *Sweep) { s.Conns = []int{0} }, "concurrency level 0"},
		{"protocol", func(s *Sweep) { s.Servers[0].Protocol = "smtp" }, "unknown protocol"},
		{"launch", func(s *Sweep) { s.Servers[0].Launch = nil }, "no Launch"},
	} {
		s := shortSweep(ok)
		tc.edit(s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	s := shortSweep(ok)
	s.Conns, s.Count, s.Size = nil, 0, 0
	if err := s.Validate(); err != nil || len(s.Conns) != len(DefaultConns) || s.Count != 1 || s.Size != DefaultSize {
		t.Errorf("defaults: %v, conns %v count %d size %d", err, s.Conns, s.Count, s.Size)
	}
}

// TestThreadedServerLevels: a server that is not an event loop is not
// loaded past MaxConnsThreaded; an event-loop server is.
func TestThreadedServerLevels(t *testing.T) {
	s := shortSweep()
	s.Conns = []int{1, 1024, 4096, 10000}
	s.Validate()
	if got := s.levels(Server{}); len(got) != 2 || got[1] != 1024 {
		t.Errorf("threaded levels %v, want [1 1024]", got)
	}
	if got := s.levels(Server{EventLoop: true}); len(got) != 4 {
		t.Errorf("event-loop levels %v, want all four", got)
	}
}

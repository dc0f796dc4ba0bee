package harness

import (
	"context"
	"errors"
	"fmt"
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
		Servers: servers,
		Pools:   []Pool{testDesign},
		Settings: Settings{
			Workers: []int{4, 1}, MaxConns: []int{Auto},
			Duration: 100 * time.Millisecond, Warmup: 20 * time.Millisecond, Count: 2,
			Size: DefaultSize, OpTimeout: DefaultOpTimeout,
		},
	}
}

// TestSweepInProcess runs 2 servers x 2 levels x 2 repetitions in order,
// and checks each point's measurement. A point must complete requests in
// its window for its latency, wait and fairness to mean anything; that
// is waited for (untilSeen), from a 100ms window up to 1.6s, not assumed.
func TestSweepInProcess(t *testing.T) {
	echo := startTestServer(t, server.Echo, faultNone)
	web := startTestServer(t, server.HTTP, faultNone)
	untilSeen(t, 100*time.Millisecond, 1600*time.Millisecond, func(window time.Duration) (bool, string) {
		var log strings.Builder
		s := shortSweep(
			Server{Name: "raw", Protocol: server.Echo, Launch: inProcess{echo}},
			Server{Name: "web", Protocol: server.HTTP, Launch: inProcess{web}},
		)
		s.Duration, s.Warmup = window, window/5
		s.Progress = &log
		res, err := s.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// Repetitions outermost: rep 1 of every point, then rep 2.
		var order []string
		for _, p := range res.Points {
			order = append(order, p.Server+"/"+p.Pool+"/"+itoa(p.Workers)+"/"+itoa(p.Rep))
		}
		want := "raw/test/1/1 raw/test/4/1 web/test/1/1 web/test/4/1 raw/test/1/2 raw/test/4/2 web/test/1/2 web/test/4/2"
		if got := strings.Join(order, " "); got != want {
			t.Errorf("points ran in order\n%s\nwant\n%s", got, want)
		}
		for _, p := range res.Points {
			if p.Errors.Total() != 0 {
				t.Errorf("%+v: want no errors", p)
			}
			if p.Dials > uint64(p.MaxConns) || p.MaxConns != p.Workers {
				t.Errorf("%s workers=%d maxconns=%d: %d dials, want at most maxconns = workers", p.Server, p.Workers, p.MaxConns, p.Dials)
			}
			if p.HasRSS || p.Window != s.Duration || p.Stall <= 0 || p.Stall > s.Duration {
				t.Errorf("%+v: an in-process server has no RSS; window must be the duration, stall in (0, window]", p)
			}
		}
		if len(res.Knees) != 2 {
			t.Errorf("knees %+v, want one per server and pool", res.Knees)
		}
		for _, want := range []string{"8 points", "[8/8] web/test maxconns=4 workers=4 rep 2/2", "knee raw/test"} {
			if !strings.Contains(log.String(), want) {
				t.Errorf("progress lacks %q:\n%s", want, log.String())
			}
		}
		for _, p := range res.Points {
			if p.Requests == 0 {
				return false, fmt.Sprintf("%s workers=%d rep %d completed no request in its window", p.Server, p.Workers, p.Rep)
			}
		}
		// Every point measured requests: what they measured must be sound.
		for _, p := range res.Points {
			if p.Dials < 1 {
				t.Errorf("%s workers=%d: %d requests over %d dials", p.Server, p.Workers, p.Requests, p.Dials)
			}
			if p.Fairness <= 0 || p.Fairness > 1 || p.Wait.Waited < 0 || p.Wait.Waited > 1 {
				t.Errorf("%s workers=%d: fairness %v, waited %v; want (0,1], [0,1]", p.Server, p.Workers, p.Fairness, p.Wait.Waited)
			}
			l := p.Latency
			if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max+l.Max/1000) {
				t.Errorf("%s workers=%d: latency percentiles out of order: %+v", p.Server, p.Workers, l)
			}
		}
		return true, ""
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// oneLevel is the settings of one point per server and pool: workers
// workers on a pool as large, one repetition.
func oneLevel(workers int, warmup, window time.Duration) Settings {
	return Settings{Workers: []int{workers}, MaxConns: []int{Auto}, Duration: window, Warmup: warmup,
		Count: 1, Size: DefaultSize, OpTimeout: DefaultOpTimeout}
}

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
		{"workers", func(s *Sweep) { s.Workers = []int{1, MaxWorkers + 1} }, "worker level 10001"},
		{"zero workers", func(s *Sweep) { s.Workers = []int{0} }, "worker level 0"},
		{"no workers", func(s *Sweep) { s.Workers = nil }, "no worker levels"},
		{"pool size", func(s *Sweep) { s.MaxConns = []int{-1} }, "pool size -1"},
		{"pools larger than workers", func(s *Sweep) { s.MaxConns = []int{16} }, "nothing to run"},
		{"count", func(s *Sweep) { s.Count = 0 }, "count"},
		{"timeout", func(s *Sweep) { s.OpTimeout = 0 }, "op timeout"},
		{"fault", func(s *Sweep) { s.Fault = "latency=banana" }, "fault"},
		{"pool New", func(s *Sweep) { s.Pools = []Pool{{Name: "nil"}} }, "has no New"},
		{"protocol", func(s *Sweep) { s.Servers[0].Protocol = "smtp" }, "unknown protocol"},
		{"launch", func(s *Sweep) { s.Servers[0].Launch = nil }, "no Launch"},
	} {
		s := shortSweep(ok)
		tc.edit(s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	// Validate only validates: it fills in nothing and reorders nothing.
	s := shortSweep(ok)
	before := fmt.Sprint(s.Settings)
	if err := s.Validate(); err != nil || fmt.Sprint(s.Settings) != before {
		t.Errorf("Validate = %v; settings %s, were %s", err, fmt.Sprint(s.Settings), before)
	}
}

// TestPresets: every preset is valid and a copy (changing one returned
// does not change the next), and an unknown name says which exist.
func TestPresets(t *testing.T) {
	for _, name := range PresetNames() {
		p, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
		p.Workers[0] = -7
		if q, _ := Preset(name); q.Workers[0] == -7 {
			t.Errorf("preset %s shares its levels with a caller", name)
		}
	}
	if _, err := Preset("slow"); err == nil || !strings.Contains(err.Error(), "quick") {
		t.Errorf("Preset(slow) = %v, want an error naming the presets", err)
	}
}

// TestLevels: pool sizes against worker levels, Auto resolved to the
// workers, pools larger than their workers left out, each pair once, and
// a server that is not an event loop held to MaxConnsThreaded conns.
func TestLevels(t *testing.T) {
	s := shortSweep()
	s.Workers = []int{4, 16, 2048}
	s.MaxConns = []int{Auto, 4, 16}
	got := fmt.Sprint(s.levels(Server{EventLoop: true}))
	if want := "[{4 4} {16 4} {2048 4} {16 16} {2048 16} {2048 2048}]"; got != want {
		t.Errorf("event-loop levels %s, want %s", got, want)
	}
	got = fmt.Sprint(s.levels(Server{}))
	if want := "[{4 4} {16 4} {2048 4} {16 16} {2048 16}]"; got != want {
		t.Errorf("threaded levels %s, want %s", got, want)
	}
}

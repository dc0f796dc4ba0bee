package harness

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestProcessWithAddr(t *testing.T) {
	for _, tc := range []struct{ args, want []string }{
		{[]string{"serve", "-addr", "127.0.0.1:0", "-loops", "1"}, []string{"serve", "-addr", "10.0.0.1:7", "-loops", "1"}},
		{[]string{"serve", "--addr", "127.0.0.1:0"}, []string{"serve", "--addr", "10.0.0.1:7"}},
		{[]string{"serve", "-addr=127.0.0.1:0"}, []string{"serve", "-addr=10.0.0.1:7"}},
	} {
		p := Process{Path: "x", Args: tc.args}
		got, err := p.withAddr("10.0.0.1:7")
		if err != nil || !slices.Equal(got.Args, tc.want) {
			t.Errorf("withAddr(%q) = %q, %v; want %q", tc.args, got.Args, err, tc.want)
		}
		if slices.Equal(p.Args, got.Args) {
			t.Errorf("withAddr changed the original's args %q", tc.args)
		}
	}
	for _, args := range [][]string{{"serve"}, {"serve", "-addr"}} {
		if _, err := (Process{Args: args}).withAddr("10.0.0.1:7"); err == nil {
			t.Errorf("withAddr(%q) succeeded, want an error", args)
		}
	}
}

// TestRestartValidate: Validate rejects a restart it cannot carry out, and
// changes nothing.
func TestRestartValidate(t *testing.T) {
	child := Process{Path: "x", Args: []string{"serve", "-addr", "127.0.0.1:0"}}
	sweep := func(l Launcher, at time.Duration) *Sweep {
		s := shortSweep(Server{Name: "s", Protocol: "echo", Launch: l})
		s.Duration, s.Warmup, s.Restart = time.Second, 100*time.Millisecond, Restart{At: at}
		return s
	}
	for _, tc := range []struct {
		name string
		at   time.Duration
		l    Launcher
		want string
	}{
		{"negative", -time.Second, child, "inside each point"},
		{"after the point", 1100 * time.Millisecond, child, "inside each point"},
		{"external", time.Second / 2, External("127.0.0.1:1"), "child server process"},
		{"no -addr", time.Second / 2, Process{Path: "x", Args: []string{"serve"}}, "-addr"},
	} {
		s := sweep(tc.l, tc.at)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error about %q", tc.name, err, tc.want)
		}
	}
	for _, at := range []time.Duration{0, time.Second / 2} {
		s := sweep(child, at)
		if err := s.Validate(); err != nil {
			t.Errorf("restart at %v: Validate = %v", at, err)
		}
		if _, ok := s.Servers[0].Launch.(Process); !ok {
			t.Errorf("Validate changed the launcher to %T", s.Servers[0].Launch)
		}
	}
}

// TestRestartPointAccounting drives a point's record on a virtual clock:
// only requests that end after the relaunch and inside the point count.
func TestRestartPointAccounting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &restartPoint{base: time.Now(), span: time.Second, up: -1}
		p.observe(false) // before the kill: not the restart's doing
		time.Sleep(300 * time.Millisecond)
		p.restarted(290*time.Millisecond, 300*time.Millisecond, nil)
		time.Sleep(time.Millisecond)
		p.failedGet(300 * time.Millisecond) // a Get begun once the server was back
		time.Sleep(time.Millisecond)
		p.observe(true)
		time.Sleep(time.Millisecond)
		p.observe(false) // a stale conn's one failed use
		time.Sleep(time.Millisecond)
		p.failedGet(299 * time.Millisecond) // a dial refused before up, reported late
		p.observe(true)
		time.Sleep(time.Second) // past the point's end
		p.observe(false)
		r := p.result()
		want := RestartResult{Down: 10 * time.Millisecond, FirstOK: 2 * time.Millisecond, Settled: 3 * time.Millisecond,
			ErrorsAfter: 2, OKAfter: 2, LastOK: 4 * time.Millisecond}
		if r != want {
			t.Errorf("result = %+v\nwant     %+v", r, want)
		}
		if !r.Recovered() {
			t.Errorf("%v: not recovered", r)
		}
	})
}

func TestRestartResultNotRecovered(t *testing.T) {
	for _, r := range []RestartResult{
		{Err: errNoRestart},
		{ErrorsAfter: 5}, // nothing succeeded after the restart
		{ErrorsAfter: 5, OKAfter: 3, Settled: 9, LastOK: 8},         // still failing at the end
		{Err: errors.New("relaunch failed"), OKAfter: 1, LastOK: 1}, // the server never came back
	} {
		if r.Recovered() {
			t.Errorf("%+v counts as recovered", r)
		}
	}
	p := &restartPoint{up: -1}
	if r := p.result(); !errors.Is(r.Err, errNoRestart) {
		t.Errorf("a point without a restart: Err = %v, want errNoRestart", r.Err)
	}
}

package harness

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/verdict"
)

// TestScenariosDecide runs both scenarios in one sweep on mutexlist and
// fatih and checks that restart while idle tells them apart on failures
// (0 every time against one per idle conn), that the cold burst names
// fatih over its cap, that no echo point ran, and that the results read
// back under the documented names and configuration.
func TestScenariosDecide(t *testing.T) {
	s := &Sweep{
		Servers: []Server{{Name: "child", Protocol: server.Echo, Launch: childProcess(server.Echo)}},
		Pools:   lookupPools(t, "mutexlist", "fatih"),
		Settings: Settings{Workers: []int{2}, MaxConns: []int{Auto}, Duration: 100 * time.Millisecond,
			Warmup: time.Second, Count: verdict.MinReps, Size: DefaultSize, OpTimeout: DefaultOpTimeout},
		Restart:   Restart{At: 50 * time.Millisecond, Idle: true},
		ColdBurst: ColdBurst{Factor: 4, DialDelays: []time.Duration{time.Millisecond}},
		Decide:    verdict.Cap{Reps: verdict.MinReps},
	}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 0 || len(res.Questions) != 2 {
		t.Fatalf("%d echo points and questions %+v; want none and one per scenario", len(res.Points), res.Questions)
	}
	idle := res.Questions[0]
	if best, _ := idle.Verdict.Best(); idle.Scenario != "restart-idle" || !idle.Verdict.Decided || best.Name != "mutexlist" || best.Median != 0 {
		t.Errorf("restart while idle: %+v; want decided, mutexlist best at 0 failures", idle)
	}
	if worst, _ := idle.Verdict.Worst(); worst.Name != "fatih" || worst.Median != 2 {
		t.Errorf("restart while idle: worst %v, want fatih with 2 failures (one per idle conn)", worst)
	}
	if burst := res.Questions[1]; burst.Scenario != "cold-burst" || burst.Key != "server=child/maxconns=2/burst=8/dial=1ms" {
		t.Errorf("second question %s %s, want the cold burst's server=child/maxconns=2/burst=8/dial=1ms", burst.Scenario, burst.Key)
	}
	if n := len(res.Idle); n != 2*verdict.MinReps {
		t.Errorf("%d restart-while-idle runs, want %d", n, 2*verdict.MinReps)
	}
	for _, p := range res.Burst {
		if over := p.OverCap(p.MaxConns); over != (p.Pool == "fatih") {
			t.Errorf("cold burst %s rep %d: peak %d dials for MaxConns %d", p.Pool, p.Rep, p.PeakDials, p.MaxConns)
		}
	}

	var buf bytes.Buffer
	if err := res.Write(&buf); err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	rd := benchfmt.NewReader(&buf, "scenarios.txt")
	for rd.Scan() {
		r, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		names[string(r.Name)]++
		for key, want := range map[string]string{"cap-reps": "6", "restart": "50ms", "duration": "100ms", "warmup": "none", "count": "6"} {
			if got := r.GetConfig(key); got != want {
				t.Errorf("%s: %s %q, want %q", r.Name, key, got, want)
			}
		}
	}
	for _, want := range []string{
		"RestartIdle/server=child/pool=fatih/maxconns=2/workers=2-",
		"ColdBurst/server=child/pool=mutexlist/maxconns=2/burst=8/dial=1ms-",
	} {
		found := false
		for n, c := range names {
			found = found || strings.HasPrefix(n, want) && c == verdict.MinReps
		}
		if !found {
			t.Errorf("no %d results named %s*; have %v", verdict.MinReps, want, names)
		}
	}
	for n := range names {
		if strings.HasPrefix(n, "Echo/") {
			t.Errorf("an echo result %s in a sweep of scenarios", n)
		}
	}
}

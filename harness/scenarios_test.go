package harness

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/results"
	"github.com/poolbench/poolbench/verdict"
)

// TestScenariosDecide runs both scenarios on mutexlist and fatih and checks
// that restart while idle tells them apart on failures (0 every time
// against one per idle conn), that the cold burst names fatih over its cap,
// and that the results read back under the documented names.
func TestScenariosDecide(t *testing.T) {
	var pools []Pool
	for _, name := range []string{"mutexlist", "fatih"} {
		pd, err := impls.LookupPool(name)
		if err != nil {
			t.Fatal(err)
		}
		pools = append(pools, Pool{Name: pd.Name, New: pd.New})
	}
	s := &Scenarios{
		Servers: []Server{{Name: "child", Protocol: server.Echo, Launch: childProcess(server.Echo)}},
		Pools:   pools,
		Idle:    &IdlePlan{Workers: []int{2}, Fill: 50 * time.Millisecond, Resume: 100 * time.Millisecond},
		Burst:   &BurstPlan{MaxConns: []int{2}, Factor: 4, DialDelays: []time.Duration{time.Millisecond}},
		Cap:     verdict.Cap{Reps: verdict.MinReps},
	}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Questions) != 2 {
		t.Fatalf("questions = %+v, want one per scenario", res.Questions)
	}
	idle := res.Questions[0]
	if best, _ := idle.Verdict.Best(); idle.Scenario != "restart-idle" || !idle.Verdict.Decided || best.Name != "mutexlist" || best.Median != 0 {
		t.Errorf("restart while idle: %+v; want decided, mutexlist best at 0 failures", idle)
	}
	if worst, _ := idle.Verdict.Worst(); worst.Name != "fatih" || worst.Median != 2 {
		t.Errorf("restart while idle: worst %v, want fatih with 2 failures (one per idle conn)", worst)
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
	w := results.NewWriter(&buf)
	if err := res.write(w); err != nil || w.Flush() != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	rd := benchfmt.NewReader(&buf, "scenarios.txt")
	for rd.Scan() {
		if r, ok := rd.Result().(*benchfmt.Result); ok {
			names[string(r.Name)]++
			if r.GetConfig("cap-reps") != "6" {
				t.Errorf("%s: cap-reps %q, want 6", r.Name, r.GetConfig("cap-reps"))
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
}

package gate

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCountInstructions counts the stand-in benchmark under Valgrind: with
// the count collected inside the per-op function (-collect), the same
// binary twice gives counts within 0.1% of each other (a pure computation
// repeats exactly; a pool's maps add up to about 1%, see
// InstructionThreshold), and 25% more work per op
// shows as 25% more instructions. Counted over the whole process, the
// runtime's other threads add a little noise (a few tenths of a percent
// here) around the same figure.
func TestCountInstructions(t *testing.T) {
	bin := spinBinary(t)
	slow := bin
	slow.Env = []string{"GATE_SPIN_EXTRA=25"}
	// A bound on a hang: six Valgrind runs took over five minutes one after
	// another on a machine loaded 30 times over its cores, so the counts
	// run at once.
	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
	defer cancel()
	perOp := CountOptions{Bench: "^BenchmarkSpin$", Short: 100, Long: 1100, Collect: "*/spin.spin"}
	whole := perOp
	whole.Collect = ""
	runs := []struct {
		bin Binary
		o   CountOptions
	}{{bin, perOp}, {bin, perOp}, {slow, perOp}, {bin, whole}}
	counts := make([]float64, len(runs))
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Go(func() {
			s, err := CountInstructions(ctx, r.bin, r.o)
			switch {
			case err != nil:
				errs[i] = err
			case len(s.Results) != 1 || s.Results[0].Values[0].Unit != InstructionsUnit:
				errs[i] = fmt.Errorf("counted %d results, want 1 in %s: %+v", len(s.Results), InstructionsUnit, s.Results)
			default:
				counts[i] = s.Results[0].Values[0].Value
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	a, b, c, w := counts[0], counts[1], counts[2], counts[3]
	t.Logf("instructions/op: %.2f, %.2f, slowed %.2f, whole process %.2f", a, b, c, w)
	if a < 4000 || math.Abs(b/a-1) > 0.001 {
		t.Errorf("the same binary counted %.2f then %.2f instructions/op: want >= 4000 and within 0.1%%", a, b)
	}
	if d := c/a - 1; d < 0.24 || d > 0.26 {
		t.Errorf("25%% more work counted %+.2f%% instructions, want +25%% (+-1%%)", 100*d)
	}
	if math.Abs(w/a-1) > 0.01 {
		t.Errorf("the whole process counted %.2f instructions/op, not within 1%% of the per-op function's %.2f", w, a)
	}
}

// TestKeepLeast: a recount lowers a row to its smaller count and never
// raises it; rows the recount did not count keep theirs.
func TestKeepLeast(t *testing.T) {
	read := func(s string) Set {
		t.Helper()
		set, warnings, err := Read(strings.NewReader(s), "test")
		if err != nil || len(warnings) > 0 {
			t.Fatal(err, warnings)
		}
		return set
	}
	s := read(bench("A", InstructionsUnit, 1263) + bench("B", InstructionsUnit, 410) + bench("C", InstructionsUnit, 735))
	keepLeast(&s, read(bench("A", InstructionsUnit, 1106)+bench("B", InstructionsUnit, 450)))
	want := map[string]float64{"A-2": 1106, "B-2": 410, "C-2": 735}
	for _, r := range s.Results {
		if got := r.Values[0].Value; got != want[string(r.Name)] {
			t.Errorf("%s: %v instructions/op after the recount, want %v", r.Name, got, want[string(r.Name)])
		}
	}
	if len(s.Results) != 3 {
		t.Errorf("%d rows after the recount, want 3", len(s.Results))
	}
}

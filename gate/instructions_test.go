package gate

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// TestCountInstructions counts the stand-in benchmark under Valgrind: the
// same binary twice gives counts within 1% of each other (the reason the
// -instructions gate may use a 1% threshold), and 25% more work per op
// shows as about 25% more instructions.
func TestCountInstructions(t *testing.T) {
	bin := spinBinary(t)
	slow := bin
	slow.Env = []string{"GATE_SPIN_EXTRA=25"}
	// A bound on a hang: six Valgrind runs took over five minutes one after
	// another on a machine loaded 30 times over its cores, so the three
	// counts run at once.
	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
	defer cancel()
	o := CountOptions{Bench: "^BenchmarkSpin$", Short: 100, Long: 1100}
	bins := []Binary{bin, bin, slow}
	counts := make([]float64, len(bins))
	errs := make([]error, len(bins))
	var wg sync.WaitGroup
	for i, b := range bins {
		wg.Go(func() {
			s, err := CountInstructions(ctx, b, o)
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
	a, b, c := counts[0], counts[1], counts[2]
	t.Logf("instructions/op: %.1f, %.1f, slowed %.1f", a, b, c)
	if a < 4000 || math.Abs(b/a-1) > 0.01 {
		t.Errorf("the same binary counted %.1f then %.1f instructions/op: want >= 4000 and within 1%%", a, b)
	}
	if d := c/a - 1; d < 0.2 || d > 0.3 {
		t.Errorf("25%% more work counted %+.1f%% instructions, want about +25%%", 100*d)
	}
}

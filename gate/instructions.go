package gate

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// InstructionsUnit is the unit of an instruction count per op.
const InstructionsUnit = "instructions/op"

// InstructionThreshold is the change in instructions per op that counts
// as a regression: counts under Valgrind repeat to well under 1% (the same
// binary twice: see the package tests), so 1% is a real change, not noise.
const InstructionThreshold = 0.01

// CountOptions configure CountInstructions.
type CountOptions struct {
	// Bench selects the rows (-test.bench); each is counted alone.
	Bench string
	// Short and Long are the two -test.benchtime iteration counts: a row's
	// instructions per op are the difference of the two runs' totals over
	// the difference of their iterations, so start-up and the testing
	// package's own work cancel out.
	Short, Long int
	Progress    func(format string, args ...any)
}

// CountInstructions runs every benchmark b's Bench pattern selects, one at
// a time at GOMAXPROCS 1, twice under Valgrind's cachegrind (valgrind must
// be on PATH; scripts/gate-instructions.sh installs it), and returns one
// result per row in instructions/op. This is for single-goroutine rows:
// Valgrind runs one thread at a time, so a contended row's count says
// nothing about its scheduling cost, which is what it measures.
func CountInstructions(ctx context.Context, b Binary, o CountOptions) (Set, error) {
	if _, err := exec.LookPath("valgrind"); err != nil {
		return Set{}, fmt.Errorf("-instructions needs valgrind (Debian package valgrind; scripts/gate-instructions.sh installs it): %w", err)
	}
	if o.Short < 1 || o.Long <= o.Short {
		return Set{}, fmt.Errorf("instruction counts need 1 <= short < long iterations, got %d and %d", o.Short, o.Long)
	}
	// A native 1x run names the rows.
	rows, err := runOnce(ctx, b, RunOptions{Benchtime: "1x", CPU: "1"}, o.Bench, "listing rows")
	if err != nil {
		return Set{}, err
	}
	var out Set
	for _, r := range rows.Results {
		groups, _ := rerunGroups([]string{string(r.Name)})
		var total [2]float64
		for i, n := range []int{o.Short, o.Long} {
			if o.Progress != nil {
				o.Progress("gate: counting instructions of %s, %d iterations", r.Name, n)
			}
			if total[i], err = cachegrind(ctx, b, groups[0], n); err != nil {
				return Set{}, fmt.Errorf("%s: %w", r.Name, err)
			}
		}
		res := r.Clone()
		res.Iters = o.Long - o.Short
		res.Values = []benchfmt.Value{{Value: (total[1] - total[0]) / float64(o.Long-o.Short), Unit: InstructionsUnit}}
		out.Results = append(out.Results, res)
	}
	return out, nil
}

// cachegrind runs one benchmark for n iterations under cachegrind (no
// cache simulation: instruction counts only) and returns the process's
// total instructions.
func cachegrind(ctx context.Context, b Binary, bench string, n int) (float64, error) {
	dir, err := os.MkdirTemp("", "poolbench-cachegrind-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	outFile := filepath.Join(dir, "cachegrind.out")
	cmd := exec.CommandContext(ctx, "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file="+outFile,
		b.Path, "-test.run=^$", "-test.bench="+bench, "-test.cpu=1", "-test.benchtime="+strconv.Itoa(n)+"x")
	cmd.Dir = b.Dir
	cmd.Env = append(os.Environ(), b.Env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("valgrind: %w: %s", err, tail(string(out)))
	}
	f, err := os.Open(outFile)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "summary: "); ok {
			return strconv.ParseFloat(strings.Fields(v)[0], 64)
		}
	}
	return 0, fmt.Errorf("no summary line in %s", outFile)
}

// Instructions is the -instructions gate: both sides built as Gate builds
// them, each row of o.Bench counted under Valgrind on both, and compared:
// a row regresses when its count is worse by more than
// InstructionThreshold.
func (b BaseRun) Instructions(ctx context.Context, opt Options, o CountOptions) (out *Outcome, old, new Set, err error) {
	_, err = b.withBinaries(ctx, func(oldBin, newBin Binary) error {
		if old, err = CountInstructions(ctx, oldBin, o); err != nil {
			return fmt.Errorf("old: %w", err)
		}
		if new, err = CountInstructions(ctx, newBin, o); err != nil {
			return fmt.Errorf("new: %w", err)
		}
		out, err = Compare(old, new, opt)
		return err
	})
	return out, old, new, err
}

package gate

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"golang.org/x/perf/benchfmt"
)

// InstructionsUnit is the unit of an instruction count per op.
const InstructionsUnit = "instructions/op"

// InstructionThreshold is the change in instructions per op that counts
// as a regression. Counted inside the per-op function, a pure computation
// repeats exactly (the package tests); a pool's count still moves a little
// between processes, because Go seeds every map's hash at random and a
// map's collisions decide how many instructions an access takes: the
// first measurement here put the largest move between two runs of the same
// pool code at 1.05% (database/sql's, which keeps its conns in maps; the
// other eleven rows 0.56% at most). Later A/A gates saw larger single
// counts: sql +3.00%, silenceper -5.65%, puddle +14% once, each a count
// pushed up by interference (see Instructions), which the recount's least
// count takes out. 3% stays far below what the 10% and 25% slowdowns
// scripts/gate-power.sh injects add.
const InstructionThreshold = 0.03

// CountOptions configure CountInstructions.
type CountOptions struct {
	// Bench selects the rows (-test.bench); each is counted alone.
	Bench string
	// Short and Long are the two -test.benchtime iteration counts: a row's
	// instructions per op are the difference of the two runs' totals over
	// the difference of their iterations, so start-up and the testing
	// package's own work cancel out.
	Short, Long int
	// Collect, when set, is a Valgrind function pattern (callgrind's
	// --toggle-collect, * and ? as wildcards): only instructions executed
	// inside a matching function, and what it calls, count. Name the
	// benchmark's per-op function: the runtime's own threads (sysmon, the
	// scavenger, timers), whose work grows with the wall time Valgrind's
	// slowness stretches, and the set-up whose maps iterate in a random
	// order then stay out of the count, which is what makes it repeat.
	// Empty counts the whole process.
	Collect string
	// Parallel is how many Valgrind processes run at once; 0 means one per
	// CPU. The counts do not depend on what else the machine runs, so
	// running them side by side costs no accuracy.
	Parallel int
	Progress func(format string, args ...any)
}

// CountInstructions runs every benchmark b's Bench pattern selects, one at
// a time at GOMAXPROCS 1, twice under Valgrind's callgrind (valgrind must
// be on PATH; scripts/gate.sh installs it), and returns one result per row
// in instructions/op. This is for single-goroutine rows: Valgrind runs one
// thread at a time, so a contended row's count says nothing about its
// scheduling cost, which is what it measures.
//
// The runs have the garbage collector off (GOGC=off: how much marking an
// allocation triggers depends on the heap's history) and no asynchronous
// preemption (GODEBUG=asyncpreemptoff=1: callgrind cannot follow the
// preemption signal the runtime sends a long-running goroutine).
func CountInstructions(ctx context.Context, b Binary, o CountOptions) (Set, error) {
	if _, err := exec.LookPath("valgrind"); err != nil {
		return Set{}, fmt.Errorf("-instructions needs valgrind (Debian package valgrind; scripts/gate.sh installs it): %w", err)
	}
	if o.Short < 1 || o.Long <= o.Short {
		return Set{}, fmt.Errorf("instruction counts need 1 <= short < long iterations, got %d and %d", o.Short, o.Long)
	}
	// A native 1x run names the rows.
	rows, err := runOnce(ctx, b, RunOptions{Benchtime: "1x", CPU: "1"}, o.Bench, "listing rows")
	if err != nil {
		return Set{}, err
	}
	// totals[i] are row i's counts at Short and Long iterations.
	totals := make([][2]float64, len(rows.Results))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(o.Parallel, runtime.NumCPU()))
	for i, r := range rows.Results {
		groups, _ := rerunGroups([]string{string(r.Name)})
		for j, n := range []int{o.Short, o.Long} {
			g.Go(func() error {
				if o.Progress != nil {
					o.Progress("gate: counting instructions of %s, %d iterations", r.Name, n)
				}
				total, err := callgrind(gctx, b, groups[0], n, o.Collect)
				if err != nil {
					return fmt.Errorf("%s: %w", r.Name, err)
				}
				totals[i][j] = total
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return Set{}, err
	}
	var out Set
	for i, r := range rows.Results {
		short, long := totals[i][0], totals[i][1]
		if long <= short {
			return Set{}, fmt.Errorf("%s: %d iterations counted %.0f instructions, %d counted %.0f: nothing grew with the iterations (does -collect %q name the per-op function?)",
				r.Name, o.Short, short, o.Long, long, o.Collect)
		}
		res := r.Clone()
		res.Iters = o.Long - o.Short
		res.Values = []benchfmt.Value{{Value: (long - short) / float64(o.Long-o.Short), Unit: InstructionsUnit}}
		out.Results = append(out.Results, res)
	}
	return out, nil
}

// callgrind runs one benchmark for n iterations under callgrind (no cache
// simulation: instruction counts only) and returns the instructions it
// counted: all of the process's, or those inside collect's functions.
func callgrind(ctx context.Context, b Binary, bench string, n int, collect string) (float64, error) {
	dir, err := os.MkdirTemp("", "poolbench-callgrind-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	outFile := filepath.Join(dir, "callgrind.out")
	args := []string{"--tool=callgrind", "--callgrind-out-file=" + outFile}
	if collect != "" {
		args = append(args, "--toggle-collect="+collect)
	}
	args = append(args, b.Path, "-test.run=^$", "-test.bench="+bench, "-test.cpu=1", "-test.benchtime="+strconv.Itoa(n)+"x")
	cmd := exec.CommandContext(ctx, "valgrind", args...)
	cmd.Dir = b.Dir
	cmd.Env = append(append(os.Environ(), b.Env...), "GOGC=off", "GODEBUG=asyncpreemptoff=1")
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
//
// A row the count flags is counted again, on both sides, up to Recounts
// more times while it stays flagged, and each side's least count decides.
// A count can only be pushed up, never down, by what is not the row's own
// work: inside the per-op function a goroutine that parks lets another run,
// and a pool's background goroutine is then counted too (puddle's count
// jumped 14% in one process of an unchanged tree, and not in the next).
// The least of three counts is the row's own work unless all three were
// pushed up, while a real change moves every count.
func (b BaseRun) Instructions(ctx context.Context, opt Options, o CountOptions) (out *Outcome, old, new Set, err error) {
	_, err = b.withBinaries(ctx, func(oldBin, newBin Binary) error {
		if old, err = CountInstructions(ctx, oldBin, o); err != nil {
			return fmt.Errorf("old: %w", err)
		}
		if new, err = CountInstructions(ctx, newBin, o); err != nil {
			return fmt.Errorf("new: %w", err)
		}
		if out, err = Compare(old, new, opt); err != nil {
			return err
		}
		for recount := 1; recount <= Recounts; recount++ {
			var flagged []string
			for _, r := range out.Rows {
				if r.Verdict == Regression {
					flagged = append(flagged, r.Name)
				}
			}
			if len(flagged) == 0 {
				return nil
			}
			groups, _ := rerunGroups(flagged)
			if o.Progress != nil {
				o.Progress("gate: recount %d/%d of %d flagged row(s): %s", recount, Recounts, len(flagged), strings.Join(flagged, " "))
			}
			for _, g := range groups {
				again := o
				again.Bench = g
				oldAgain, err := CountInstructions(ctx, oldBin, again)
				if err != nil {
					return fmt.Errorf("old: %w", err)
				}
				newAgain, err := CountInstructions(ctx, newBin, again)
				if err != nil {
					return fmt.Errorf("new: %w", err)
				}
				keepLeast(&old, oldAgain)
				keepLeast(&new, newAgain)
			}
			if out, err = Compare(old, new, opt); err != nil {
				return err
			}
		}
		return nil
	})
	return out, old, new, err
}

// Recounts is how many more times the instruction gate counts a row it
// flagged (see Instructions).
const Recounts = 2

// keepLeast lowers each of s's results to again's count of the same row
// when that is smaller.
func keepLeast(s *Set, again Set) {
	for _, a := range again.Results {
		for _, r := range s.Results {
			if string(r.Name) == string(a.Name) && a.Values[0].Value < r.Values[0].Value {
				r.Values[0].Value = a.Values[0].Value
			}
		}
	}
}

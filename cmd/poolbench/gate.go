package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/poolbench/poolbench/atomicfile"
	"github.com/poolbench/poolbench/gate"
)

func init() {
	commands["gate"] = command{"decide whether a change made benchmarks worse (exit 1 on a regression)", runGate}
}

// gateUsage is the gate's manual, printed by -h.
const gateUsage = `usage: poolbench gate [flags] OLD.txt NEW.txt
       poolbench gate [flags] -base REF [-pkg ./bench] [-bench REGEX] [-count 10] [-benchtime 100ms] [-cpu 1,2]

Compares two sets of benchmark results as pairs: the i-th result of a row
in OLD and the i-th in NEW are one round. With -base, builds the benchmark
package of REF (in a temporary git worktree) and of the working tree, and
runs -count rounds, each running both binaries back to back in random order
(one process each, -test.count 1).

The rule (the gate package's doc has the reasons):
  timed rows (sec/op, cpu-sec/op, any unit not below): one-sided Wilcoxon
    signed-rank test of the per-round log ratios new/old, significant at
    -alpha after -correction (Holm-Bonferroni over the timed rows only), and
    a median ratio worse than -threshold percent in the unit's worse
    direction (costs up; anything per second down; unknown units up,
    marked "assumed");
  allocs/op, B/op: a regression when every new run is worse than every old
    run (for a steady row, any increase), no statistics;
  p99-wait-sec, max-wait-sec: shown, never gated.
With -base, a row worse than the threshold (significant, or a suspect with
p < 0.05) is rerun alone with fresh pairs, 8 per look, up to -confirm pairs;
only its fresh pairs decide it, at alpha / (suspects x looks). The verdict
says how many fresh pairs decided it. Tables keep benchstat's layout:
medians with 95% intervals per side, then the median ratio with its
interval.

A value that is not a finite number (NaN, Inf) is bad input, named by
file and line. An OLD side with no results cannot decide (exit 2): a base
whose benchmarks did not run must not pass every change.

-instructions counts instructions per op under Valgrind's callgrind
(each row alone, at 2000 and 22000 iterations; the difference cancels
start-up; the garbage collector off) for single-goroutine rows, by
default the uncontended rows, and fails a row whose count grows by more
than 3%. -collect names the per-op function (a Valgrind pattern such as
'*/bench.cycle'): only the instructions inside it count, which makes the
count repeat (to about 1%: maps hash with a random seed per process);
without it the whole process counts, and the
runtime's own threads move it by a few tenths of a percent. Contended
rows need wall time and CPU time: Valgrind runs one thread at a time.

Exit status: 0 no regression; 1 regression; 2 bad input, a failed build or
run, no results on a side, or too few pairs to decide.

flags:
`

func runGate(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), gateUsage); fs.PrintDefaults() }
	opt := gate.DefaultOptions
	fs.Float64Var(&opt.Alpha, "alpha", opt.Alpha, "family-wise significance level over the timed rows (`alpha`)")
	threshold := fs.Float64("threshold", 100*opt.Threshold, "smallest worsening of the median ratio, in `percent`, that is a regression")
	fs.Float64Var(&opt.Confidence, "confidence", opt.Confidence, "confidence `level` of the medians' and ratios' intervals")
	fs.StringVar(&opt.Filter, "filter", "", "benchstat -filter `expression` selecting results and units")
	correction := fs.String("correction", "holm", "multiple-comparison `correction` over the timed rows: holm or none (benchstat)")
	base := fs.String("base", "", "git `ref` to build and run as the old side (the working tree is the new side)")
	pkg := fs.String("pkg", "./bench", "benchmark `package` for -base")
	bench := fs.String("bench", "^BenchmarkPool$", "benchmarks to run for -base (`regexp`, as go test -bench)")
	count := fs.Int("count", 6, "rounds (pairs of processes) for -base")
	benchtime := fs.String("benchtime", "100ms", "go test -benchtime per benchmark per process for -base")
	cpu := fs.String("cpu", "", "go test -cpu `list` for -base")
	confirm := fs.Int("confirm", gate.DefaultConfirm.Pairs, "with -base, rerun suspect rows with up to `n` fresh pairs (0: no confirmation)")
	instructions := fs.Bool("instructions", false, "with -base, count instructions per op under Valgrind instead of timing (single-goroutine rows; -bench defaults to the uncontended rows)")
	collect := fs.String("collect", "", "with -instructions, count only inside functions matching this Valgrind `pattern` (callgrind --toggle-collect), e.g. '*/bench.cycle'")
	timeout := fs.Duration("timeout", 5*time.Minute, "kill a benchmark process still running after `d` (-base); the gate then fails naming the benchmark")
	save := fs.String("save", "", "write the compared results to `dir`/old.txt and new.txt (benchstat input), each atomically; nothing when a side has no results")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	if err := (gateFlags{opt: opt, threshold: *threshold, correction: *correction, base: *base, pkg: *pkg, bench: *bench,
		benchtime: *benchtime, cpu: *cpu, save: *save, collect: *collect, instructions: *instructions, count: *count, confirm: *confirm, timeout: *timeout, nargs: fs.NArg()}).check(); err != nil {
		return err
	}
	opt.Threshold = *threshold / 100
	var err error
	if opt.Correction, err = gate.ParseCorrection(*correction); err != nil {
		return badInput("gate: %v", err)
	}
	if _, err := gate.Compare(gate.Set{}, gate.Set{}, opt); err != nil {
		return badInput("gate: %v", err)
	}

	var o *gate.Outcome
	var old, new gate.Set
	var warnings []string
	switch {
	case *instructions && *base == "":
		return badInput("gate: -instructions needs -base REF")
	case *instructions:
		if fs.NArg() != 0 {
			return badInput("gate: -base takes no file arguments, got %q", fs.Args())
		}
		pattern := *bench
		if !flagSet(fs, "bench") {
			pattern = uncontendedRows
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		run := gate.BaseRun{Ref: *base, Pkg: *pkg, Run: gate.RunOptions{Timeout: *timeout, Progress: stderr}}
		count := gate.CountOptions{Bench: pattern, Short: 2000, Long: 22000, Collect: *collect,
			Progress: func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) }}
		if o, old, new, err = run.Instructions(ctx, opt, count); err != nil {
			return &gate.Error{Code: 2, Msg: "gate: " + err.Error()}
		}
	case *base != "":
		if fs.NArg() != 0 {
			return badInput("gate: -base takes no file arguments, got %q", fs.Args())
		}
		if min := gate.NeedPairs(opt.Alpha); *count < min {
			return badInput("gate: -count %d: need >= %d rounds for alpha=%v", *count, min, opt.Alpha)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		run := gate.BaseRun{Ref: *base, Pkg: *pkg, Run: gate.RunOptions{
			Bench: *bench, Split: true, Benchtime: *benchtime, CPU: *cpu, Count: *count, Timeout: *timeout, Progress: stderr}}
		c := gate.ConfirmOptions{Batch: min(gate.DefaultConfirm.Batch, *confirm), Pairs: *confirm}
		if o, old, new, err = run.Gate(ctx, opt, c); err != nil {
			return &gate.Error{Code: 2, Msg: "gate: " + err.Error()}
		}
	case fs.NArg() == 2:
		var w []string
		for i, s := range []*gate.Set{&old, &new} {
			if *s, w, err = gate.ReadFile(fs.Arg(i)); err != nil {
				return badInput("gate: %v", err)
			}
			if len(s.Results) == 0 {
				return badInput("gate: %w", gate.NoResults(fs.Arg(i), "benchmark", w))
			}
			warnings = append(warnings, w...)
		}
		if o, err = gate.Compare(old, new, opt); err != nil {
			return badInput("gate: %v", err)
		}
	default:
		return badInput("gate: want OLD.txt NEW.txt or -base REF, got %d file argument(s)", fs.NArg())
	}

	if *save != "" {
		if err := saveSets(stderr, *save, old, new); err != nil {
			return fmt.Errorf("gate: -save: %w", err)
		}
	}
	o.Warnings = append(warnings, o.Warnings...)
	if err := gate.Format(stdout, o); err != nil {
		return err
	}
	if err := o.Err(); err != nil {
		var ge *gate.Error
		errors.As(err, &ge)
		return &gate.Error{Code: ge.Code, Msg: "gate: " + ge.Msg}
	}
	return nil
}

// uncontendedRows are the rows -instructions counts by default: the
// single-goroutine rows, the only ones whose instruction count stands for
// their cost (see the README).
const uncontendedRows = "^BenchmarkPool$/^impl=/^scenario=uncontended$"

// flagSet reports whether the command line set flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// saveSets writes both sides where benchstat can read them again. A side
// without results would replace a saved pair worth keeping with nothing, so
// then neither file is written. Both are encoded before either is written:
// a failure leaves the previous pair whole.
func saveSets(stderr io.Writer, dir string, old, new gate.Set) error {
	if len(old.Results) == 0 || len(new.Results) == 0 {
		fmt.Fprintf(stderr, "gate: -save: nothing written to %s: a side has no results\n", dir)
		return nil
	}
	var bufs [2]bytes.Buffer
	for i, s := range []gate.Set{old, new} {
		if err := gate.EncodeSet(&bufs[i], s); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i, name := range []string{"old.txt", "new.txt"} {
		if err := atomicfile.Write(filepath.Join(dir, name), func(w io.Writer) error {
			_, err := w.Write(bufs[i].Bytes())
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

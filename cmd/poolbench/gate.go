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
       poolbench gate [flags] -base REF [-pkg ./bench] [-bench REGEX] [-count 10] [-benchtime 100ms]

Compares two sets of benchmark results with benchstat's statistics (median,
95% CI, Mann-Whitney U). A row is a regression when its p-value is
significant at -alpha after a Holm-Bonferroni correction over all rows
(-correction none: p < alpha per row, as benchstat) and its median is worse
by more than -threshold percent in the unit's worse direction
(time, bytes, allocs, latency: up; anything per second: down; unknown units:
up, marked "assumed"). With -base, builds the benchmark package of REF (in a
temporary git worktree) and of the working tree, and runs them interleaved
(old new, new old, ...), -count processes each, -test.count 1 per process.

A value that is not a finite number (NaN, Inf) is bad input, named by
file and line. An OLD side with no results cannot decide (exit 2): a base
whose benchmarks did not run must not pass every change.

Exit status: 0 no regression; 1 regression; 2 bad input, a failed build or
run, no results on a side, or too few samples to decide.

flags:
`

func runGate(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), gateUsage); fs.PrintDefaults() }
	opt := gate.DefaultOptions
	fs.Float64Var(&opt.Alpha, "alpha", opt.Alpha, "significance level: a difference counts only if p < `alpha`")
	threshold := fs.Float64("threshold", 100*opt.Threshold, "smallest worsening, in `percent`, that is a regression")
	fs.Float64Var(&opt.Confidence, "confidence", opt.Confidence, "confidence `level` of the median's interval")
	fs.StringVar(&opt.Filter, "filter", "", "benchstat -filter `expression` selecting results and units")
	correction := fs.String("correction", "holm", "multiple-comparison `correction` over all rows: holm or none (benchstat)")
	base := fs.String("base", "", "git `ref` to build and run as the old side (the working tree is the new side)")
	pkg := fs.String("pkg", "./bench", "benchmark `package` for -base")
	bench := fs.String("bench", "^BenchmarkPool$", "benchmarks to run for -base (`regexp`, as go test -bench)")
	count := fs.Int("count", 10, "processes per side for -base (at least 10)")
	benchtime := fs.String("benchtime", "100ms", "go test -benchtime per benchmark per process for -base")
	cpu := fs.String("cpu", "", "go test -cpu `list` for -base")
	timeout := fs.Duration("timeout", 5*time.Minute, "kill a benchmark process still running after `d` (-base); the gate then fails naming the benchmark")
	save := fs.String("save", "", "write the compared results to `dir`/old.txt and new.txt (benchstat input), each atomically; nothing when a side has no results")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	if err := (gateFlags{opt: opt, threshold: *threshold, correction: *correction, base: *base, pkg: *pkg, bench: *bench,
		benchtime: *benchtime, cpu: *cpu, save: *save, count: *count, timeout: *timeout, nargs: fs.NArg()}).check(); err != nil {
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

	var old, new gate.Set
	var warnings []string
	switch {
	case *base != "":
		if fs.NArg() != 0 {
			return badInput("gate: -base takes no file arguments, got %q", fs.Args())
		}
		if min := max(10, gate.NeedSamples(opt.Alpha)); *count < min {
			return badInput("gate: -count %d: need >= %d runs per side for alpha=%v", *count, min, opt.Alpha)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		run := gate.BaseRun{Ref: *base, Pkg: *pkg, Run: gate.RunOptions{
			Bench: *bench, Benchtime: *benchtime, CPU: *cpu, Count: *count, Timeout: *timeout, Progress: stderr}}
		if old, new, _, err = run.Collect(ctx); err != nil {
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
	default:
		return badInput("gate: want OLD.txt NEW.txt or -base REF, got %d file argument(s)", fs.NArg())
	}

	o, err := gate.Compare(old, new, opt)
	if err != nil {
		return badInput("gate: %v", err)
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

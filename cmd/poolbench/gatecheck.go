package main

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchproc"

	"github.com/poolbench/poolbench/gate"
)

// gateFlags are the gate's flag values that need checking before it reads
// or builds anything.
type gateFlags struct {
	opt                  gate.Options
	threshold            float64 // percent
	correction           string
	base, pkg, bench     string
	benchtime, cpu, save string
	collect              string
	instructions         bool
	count, confirm       int
	timeout              time.Duration
	nargs                int // file arguments; -pkg is not checked with them (-base takes none)
}

// check checks every flag of the gate, naming the one that is wrong. The
// -base flags are checked whether or not -base is given, but -pkg, a
// directory of the working tree, only with -base.
func (g gateFlags) check() error {
	for _, err := range []error{
		checkOpenUnit("gate", "alpha", g.opt.Alpha),
		checkFloat("gate", "threshold", g.threshold, 0, 1000),
		checkOpenUnit("gate", "confidence", g.opt.Confidence),
		g.checkFilter(),
		g.checkCollect(),
		g.checkCorrection(),
		g.checkBase(),
		g.checkBench(),
		checkBenchtime("gate", "benchtime", g.benchtime),
		checkCPUList("gate", "cpu", g.cpu),
		checkInt("gate", "count", g.count, 1, maxCount),
		checkInt("gate", "confirm", g.confirm, 0, maxCount),
		checkDuration("gate", "timeout", g.timeout, time.Second, 24*time.Hour),
	} {
		if err != nil {
			return err
		}
	}
	if g.save != "" {
		return checkOutputDir("gate", "save", g.save)
	}
	return nil
}

func (g gateFlags) checkCollect() error {
	if g.collect != "" && !g.instructions {
		return flagError("gate", "collect", g.collect, "needs -instructions: it names the function whose instructions are counted")
	}
	return nil
}

func (g gateFlags) checkFilter() error {
	if g.opt.Filter == "" {
		return nil
	}
	if _, err := benchproc.NewFilter(g.opt.Filter); err != nil {
		return flagError("gate", "filter", g.opt.Filter, "%v", err)
	}
	return nil
}

func (g gateFlags) checkCorrection() error {
	if _, err := gate.ParseCorrection(g.correction); err != nil {
		return flagError("gate", "correction", g.correction, "%v", err)
	}
	return nil
}

// checkBase wants a ref git can take as one (not an option) and, with it,
// a -pkg that exists when it is a directory path.
func (g gateFlags) checkBase() error {
	if g.base == "" {
		return nil
	}
	if strings.HasPrefix(g.base, "-") || strings.ContainsAny(g.base, " \t\n") {
		return flagError("gate", "base", g.base, "not a git ref")
	}
	if g.nargs > 0 {
		return nil
	}
	if err := checkNotEmpty("gate", "pkg", g.pkg); err != nil {
		return err
	}
	if strings.HasPrefix(g.pkg, ".") || strings.HasPrefix(g.pkg, "/") {
		return checkInputDir("gate", "pkg", strings.TrimSuffix(g.pkg, "/..."))
	}
	return nil
}

func (g gateFlags) checkBench() error {
	if err := checkNotEmpty("gate", "bench", g.bench); err != nil {
		return err
	}
	if _, err := regexp.Compile(g.bench); err != nil {
		return flagError("gate", "bench", g.bench, "%v", err)
	}
	return nil
}

// checkBenchtime wants what go test -benchtime takes: a positive duration
// or a positive count of iterations, Nx.
func checkBenchtime(cmd, name, v string) error {
	if n, ok := strings.CutSuffix(v, "x"); ok {
		if i, err := strconv.Atoi(n); err == nil && i > 0 {
			return nil
		}
	} else if d, err := time.ParseDuration(v); err == nil && d > 0 && d <= maxRunDuration {
		return nil
	}
	return flagError(cmd, name, v, "want a duration from 1ns to %v, or a count of iterations Nx", maxRunDuration)
}

// checkCPUList wants what go test -cpu takes: GOMAXPROCS values 1 to 1024,
// comma-separated; empty means the default.
func checkCPUList(cmd, name, v string) error {
	if v == "" {
		return nil
	}
	for _, f := range strings.Split(v, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err != nil || n < 1 || n > 1024 {
			return flagError(cmd, name, v, "%q: want comma-separated GOMAXPROCS values, 1 to 1024", f)
		}
	}
	return nil
}

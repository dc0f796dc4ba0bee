// Package report owns REPORT.md and its plots: what the committed
// results say, section by section. It reads the result files of a results
// directory through package results (the schema: names, units,
// configuration keys, and the knee's rule, results.FindKnee), and must not
// know how they were measured (harness) or how two sets are compared for
// a regression (gate): it imports neither. Inputs: pool.txt (the pool
// micro-benchmarks), echo.txt (the echo sweep: pools as large as their
// workers, and oversubscribed pools), faults.txt (the echo sweep under
// injected latency, and server restarts), sizes.txt and sizes-udp.txt
// (the echo by message size, every server design), scenarios.txt and
// conformance.json (the pooltest matrix). Values are summarised with
// benchmath, as benchstat does. A missing input becomes a section saying so, not a failure; an
// input that is there but unusable (empty, garbled, a NaN) is an
// InputError and nothing is written. The output is deterministic: the same
// inputs give the same bytes.
package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/poolbench/poolbench/atomicfile"
	"github.com/poolbench/poolbench/results"
)

// Input file names inside the results directory.
const (
	PoolFile        = results.RawDir + "/pool.txt"
	EchoFile        = results.RawDir + "/echo.txt"
	FaultsFile      = results.RawDir + "/faults.txt"
	ConformanceFile = "conformance.json"
	PlotDir         = "plots"
)

// Inputs are the input files Generate reads from the results directory.
var Inputs = []string{PoolFile, ProfileFile, EchoFile, CloseFile, FaultsFile, SizesFile, SizesUDPFile, ConformanceFile}

// Found returns the Inputs present in the results directory dir: with none,
// Generate writes a report without results.
func Found(dir string) []string {
	var found []string
	for _, name := range Inputs {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			found = append(found, name)
		}
	}
	return found
}

// Options configure Generate.
type Options struct {
	Results string // the results directory
	Out     string // the report's path, e.g. REPORT.md
	// Build is the build information the report states; nil reads the
	// running binary's (tests pass a fixed one).
	Build *debug.BuildInfo
	// Registered are the pool designs in the registry (impls.PoolNames);
	// the report says which of them the conformance matrix lacks. Nil
	// skips that check.
	Registered []string
}

// Generate reads the results and writes the report and its plots, each
// file atomically.
func Generate(opt Options) error {
	pool, err := readInput(filepath.Join(opt.Results, PoolFile), PoolFile, results.Pool)
	if err != nil {
		return err
	}
	echo, err := readInput(filepath.Join(opt.Results, EchoFile), EchoFile, results.Echo)
	if err != nil {
		return err
	}
	faultsIn, err := readInput(filepath.Join(opt.Results, FaultsFile), FaultsFile, results.Echo, results.Restart)
	if err != nil {
		return err
	}
	closeIn, err := readInput(filepath.Join(opt.Results, CloseFile), CloseFile, results.Echo)
	if err != nil {
		return err
	}
	var closed *sweep
	if !closeIn.empty() {
		if closed, err = newSweep(closeIn, "*"); err != nil {
			return err
		}
	}
	scenariosIn, err := readInput(filepath.Join(opt.Results, ScenariosFile), ScenariosFile, results.RestartIdle, results.ColdBurst)
	if err != nil {
		return err
	}
	sizesIn, err := readInput(filepath.Join(opt.Results, SizesFile), SizesFile, results.Echo)
	if err != nil {
		return err
	}
	sizesUDPIn, err := readInput(filepath.Join(opt.Results, SizesUDPFile), SizesUDPFile, results.Echo)
	if err != nil {
		return err
	}
	sz, err := newSizes(sizesIn, sizesUDPIn)
	if err != nil {
		return err
	}
	profiles, err := readProfiles(filepath.Join(opt.Results, ProfileFile))
	if err != nil {
		return err
	}
	conf, err := ReadConformance(filepath.Join(opt.Results, ConformanceFile))
	if err != nil {
		return &InputError{err}
	}
	poolCube, err := newPoolCube(pool)
	if err != nil {
		return err
	}
	var sw *sweep
	var over *oversub
	if !echo.empty() {
		if sw, err = newSweep(echo, "*"); err != nil {
			return err
		}
		if over, err = newOversub(echo, "*"); err != nil {
			return err
		}
	}
	faultRuns, err := newFaultRuns(faultsIn)
	if err != nil {
		return err
	}
	restarts, err := newRestarts(faultsIn)
	if err != nil {
		return err
	}
	plotDir := filepath.Join(opt.Results, PlotDir)
	plots, err := writePlots(plotDir, sw)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(opt.Out), plotDir)
	if err != nil {
		return err
	}
	links := map[string][]string{}
	for srv, files := range plots {
		for _, f := range files {
			links[srv] = append(links[srv], filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	poolPlots, err := writePoolPlots(plotDir, rel, poolCube)
	if err != nil {
		return err
	}
	overQ := newOverQuestions(echo)
	overPlots, err := writeOversubPlots(plotDir, rel, overQ)
	if err != nil {
		return err
	}
	idlePlots, burstPlots, err := writeScenarioPlots(plotDir, rel, scenariosIn)
	if err != nil {
		return err
	}
	sizesPlots, err := writeSizesPlots(plotDir, rel, sz)
	if err != nil {
		return err
	}
	bi := opt.Build
	if bi == nil {
		bi, _ = debug.ReadBuildInfo()
	}

	var b strings.Builder
	b.WriteString("# poolbench report\n\n" +
		"Generated by `poolbench report` from the files in results/; do not edit by hand. " +
		"Which connection pool, and which echo-server design, at which concurrency: the evidence.\n\n")
	writeSummary(&b, poolCube, sw, conf, faultRuns, restarts)
	writeEnvironment(&b, bi, pool, echo, faultsIn)
	writeMethodology(&b, poolCube, sw, faultRuns, restarts)
	writeConformance(&b, conf, opt.Registered)
	writePool(&b, poolCube)
	writePoolPlotLinks(&b, poolPlots)
	if poolCube != nil {
		writeProfiles(&b, profiles)
	}
	writeSweep(&b, sw, links)
	writeOversub(&b, over)
	writeOversubVerdicts(&b, overQ, overPlots, overCapPools(scenariosIn))
	writeCosts(&b, sw, closed)
	writeLoss(&b, sw)
	writeSizes(&b, sz, sizesPlots)
	writeFaults(&b, faultsIn, faultRuns)
	writeRestartIdle(&b, scenariosIn, idlePlots)
	writeRestart(&b, faultsIn, restarts)
	writeColdBurst(&b, scenariosIn, burstPlots)
	if w := resultsWarnings(pool, echo, closeIn, faultsIn, scenariosIn, sizesIn, sizesUDPIn); len(w) > 0 {
		b.WriteString("## Input warnings\n\nMalformed lines skipped while reading the results:\n\n")
		for _, s := range w {
			fmt.Fprintf(&b, "- %s\n", s)
		}
		b.WriteString("\n")
	}
	writeReproduce(&b)
	return atomicfile.Write(opt.Out, func(w io.Writer) error {
		_, err := io.WriteString(w, b.String())
		return err
	})
}

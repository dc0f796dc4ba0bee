package harness

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/atomicfile"
)

// scenarioUnits are the value units of the scenarios' results, all better
// lower: each counts harm, delay or conns.
var scenarioUnits = []unitBetter{
	{"failures", "lower"}, {"stale-conns", "lower"}, {"dials", "lower"}, {"first-ok-ns", "lower"},
	{"down-ns", "lower"}, {"idle-conns", "lower"},
	{"served-ns", "lower"}, {"acquire-p99-ns", "lower"}, {"acquire-max-ns", "lower"},
	{"peak-dials", "lower"}, {"over-cap", "lower"},
}

// Write writes r in the Go benchmark format, one configuration block per
// server (with "scenario" a configuration key, so that benchstat keeps the
// two scenarios' tables apart), one result per repetition:
//
//	BenchmarkRestartIdle/server=S/pool=P/maxconns=M/workers=W-G  1  F failures S stale-conns D dials T first-ok-ns T down-ns I idle-conns
//	BenchmarkColdBurst/server=S/pool=P/maxconns=M/burst=B/dial=D-G  1  T served-ns T acquire-p99-ns T acquire-max-ns N peak-dials N dials F failures O over-cap
//
// first-ok-ns is left out when nothing succeeded after the resume;
// over-cap is 1 when more dials than MaxConns were in flight at once.
func (r *ScenarioResults) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	out := benchfmt.NewWriter(bw)
	if err := writeUnits(out, scenarioUnits); err != nil {
		return err
	}
	for _, srv := range r.Servers {
		base := &Results{Config: r.Config}
		cfg := base.fileConfig(srv)
		with := func(scenario string) []benchfmt.Config {
			return append(cfg[:len(cfg):len(cfg)], benchfmt.Config{Key: "scenario", Value: []byte(scenario), File: true})
		}
		idleCfg := with("restart-idle")
		for _, p := range r.Idle {
			if p.Server != srv.Name {
				continue
			}
			v := []benchfmt.Value{
				{Value: float64(p.Failures), Unit: "failures"},
				{Value: float64(p.Stale), Unit: "stale-conns"},
				{Value: float64(p.Dials), Unit: "dials"},
			}
			if p.OK > 0 {
				v = append(v, nsValue("first-ok-ns", p.FirstOK))
			}
			v = append(v, nsValue("down-ns", p.Down), benchfmt.Value{Value: float64(p.Idle), Unit: "idle-conns"})
			name := fmt.Sprintf("RestartIdle/server=%s/pool=%s/maxconns=%d/workers=%d-%d", p.Server, p.Pool, p.MaxConns, p.Workers, r.Procs)
			if err := out.Write(&benchfmt.Result{Config: idleCfg, Name: benchfmt.Name(name), Iters: 1, Values: v}); err != nil {
				return err
			}
		}
		burstCfg := with("cold-burst")
		for _, p := range r.Burst {
			if p.Server != srv.Name {
				continue
			}
			over := 0.0
			if p.OverCap(p.MaxConns) {
				over = 1
			}
			v := []benchfmt.Value{
				nsValue("served-ns", p.Served), nsValue("acquire-p99-ns", p.AcquireP99), nsValue("acquire-max-ns", p.AcquireMax),
				{Value: float64(p.PeakDials), Unit: "peak-dials"}, {Value: float64(p.Dials), Unit: "dials"},
				{Value: float64(p.Failures), Unit: "failures"}, {Value: over, Unit: "over-cap"},
			}
			name := fmt.Sprintf("ColdBurst/server=%s/pool=%s/maxconns=%d/burst=%d/dial=%v-%d", p.Server, p.Pool, p.MaxConns, p.Burst, p.DialDelay, r.Procs)
			if err := out.Write(&benchfmt.Result{Config: burstCfg, Name: benchfmt.Name(name), Iters: 1, Values: v}); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

func nsValue(unit string, d time.Duration) benchfmt.Value {
	return benchfmt.Value{Value: float64(d.Nanoseconds()), Unit: unit}
}

// WriteFile writes r to path atomically.
func (r *ScenarioResults) WriteFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, r.Write)
}

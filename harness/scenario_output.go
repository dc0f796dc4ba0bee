package harness

import (
	"strconv"
	"time"

	"github.com/poolbench/poolbench/results"
)

// write writes r through package results, one configuration block per
// server, one result per repetition (see results.RestartIdle and
// results.ColdBurst for the names and units).
func (r *ScenarioResults) write(out *results.Writer) error {
	if len(r.Idle) > 0 {
		if err := out.Declare(results.RestartIdleUnits...); err != nil {
			return err
		}
	}
	if len(r.Burst) > 0 {
		if err := out.Declare(results.ColdBurstUnits...); err != nil {
			return err
		}
	}
	base := &Results{Config: r.Config, Procs: r.Procs}
	for _, srv := range r.Servers {
		cfg := base.fileConfig(srv)
		for _, p := range r.Idle {
			if p.Server != srv.Name {
				continue
			}
			v := []results.Value{
				{Unit: results.Failures, Value: float64(p.Failures)},
				{Unit: results.StaleConns, Value: float64(p.Stale)},
				{Unit: results.Dials, Value: float64(p.Dials)},
			}
			if p.OK > 0 {
				v = append(v, nsValue(results.FirstOK, p.FirstOK))
			}
			v = append(v, nsValue(results.Down, p.Down), results.Value{Unit: results.IdleConns, Value: float64(p.Idle)})
			name := results.Name{Bench: results.RestartIdle, Keys: []results.KV{
				{Key: results.Server, Value: p.Server}, {Key: results.PoolKey, Value: p.Pool},
				{Key: results.MaxConns, Value: strconv.Itoa(p.MaxConns)}, {Key: results.Workers, Value: strconv.Itoa(p.Workers)}}}
			if err := out.Write(results.Result{Name: name, Procs: base.procs(), Config: cfg, Values: v}); err != nil {
				return err
			}
		}
		for _, p := range r.Burst {
			if p.Server != srv.Name {
				continue
			}
			over := 0.0
			if p.OverCap(p.MaxConns) {
				over = 1
			}
			v := []results.Value{
				nsValue(results.Served, p.Served), nsValue(results.AcquireP99, p.AcquireP99), nsValue(results.AcquireMax, p.AcquireMax),
				{Unit: results.PeakDials, Value: float64(p.PeakDials)}, {Unit: results.Dials, Value: float64(p.Dials)},
				{Unit: results.Failures, Value: float64(p.Failures)}, {Unit: results.OverCap, Value: over},
			}
			name := results.Name{Bench: results.ColdBurst, Keys: []results.KV{
				{Key: results.Server, Value: p.Server}, {Key: results.PoolKey, Value: p.Pool},
				{Key: results.MaxConns, Value: strconv.Itoa(p.MaxConns)}, {Key: results.Burst, Value: strconv.Itoa(p.Burst)},
				{Key: results.Dial, Value: p.DialDelay.String()}}}
			if err := out.Write(results.Result{Name: name, Procs: base.procs(), Config: cfg, Values: v}); err != nil {
				return err
			}
		}
	}
	return nil
}

func nsValue(u results.Unit, d time.Duration) results.Value {
	return results.Value{Unit: u, Value: float64(d.Nanoseconds())}
}

// WriteFile writes r to path atomically (results.WriteFile).
func (r *ScenarioResults) WriteFile(path string) error {
	return results.WriteFile(path, r.write)
}

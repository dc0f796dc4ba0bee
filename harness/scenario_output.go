package harness

import (
	"strconv"
	"time"

	"github.com/poolbench/poolbench/results"
)

// idleResult is p as a result (see results.RestartIdle for the name and
// units); first-ok-ns is left out when no request succeeded after the
// resume.
func (r *Results) idleResult(cfg []results.KV, p IdleRestartPoint) results.Result {
	v := []results.Value{
		{Unit: results.Failures, Value: float64(p.Failures)},
		{Unit: results.StaleConns, Value: float64(p.Stale)},
		{Unit: results.Dials, Value: float64(p.Dials)},
	}
	if p.OK > 0 {
		v = append(v, nsValue(results.FirstOK, p.FirstOK))
	}
	v = append(v, nsValue(results.Down, p.Down), results.Value{Unit: results.IdleConns, Value: float64(p.Idle)})
	return results.Result{Name: pointName(results.RestartIdle, p.Server, p.Pool, p.MaxConns, p.Workers), Procs: r.procs(), Config: cfg, Values: v}
}

// burstResult is p as a result (see results.ColdBurst for the name and
// units).
func (r *Results) burstResult(cfg []results.KV, p ColdBurstPoint) results.Result {
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
	return results.Result{Name: name, Procs: r.procs(), Config: cfg, Values: v}
}

func nsValue(u results.Unit, d time.Duration) results.Value {
	return results.Value{Unit: u, Value: float64(d.Nanoseconds())}
}

package harness

import (
	"time"

	"github.com/poolbench/poolbench/results"
)

// restartResult is rr as a benchfmt result:
//
//	BenchmarkRestart/server=S/pool=P/model=M/conns=N-G  1  F failures D down-ns O first-ok-ns T settle-ns R recovered
//
// model is the sweep's (closed or open), also in the name so that one file
// holding both models keeps them apart under any projection. Times are
// left out when they did not happen: down-ns when the server was not
// restarted or did not come back (rr.Err), first-ok-ns when no request
// succeeded after it, settle-ns when none failed after it (failures 0).
// A settle-ns of 0 would not read back as 0: benchfmt's reader tidies
// "-ns" values to "-sec" only when that changes the number, so a 0 keeps
// its raw unit and benchstat would split it into a table of its own.
func (r *Results) restartResult(cfg []results.KV, rr RestartResult) results.Result {
	v := []results.Value{{Unit: results.Failures, Value: float64(rr.ErrorsAfter)}}
	ns := func(u results.Unit, d time.Duration) {
		v = append(v, results.Value{Unit: u, Value: float64(d.Nanoseconds())})
	}
	if rr.Err == nil {
		ns(results.Down, rr.Down)
	}
	if rr.OKAfter > 0 {
		ns(results.FirstOK, rr.FirstOK)
	}
	if rr.Err == nil && rr.ErrorsAfter > 0 {
		ns(results.Settle, rr.Settled)
	}
	recovered := 0.0
	if rr.Recovered() {
		recovered = 1
	}
	v = append(v, results.Value{Unit: results.Recovered, Value: recovered})
	return results.Result{
		Config: cfg,
		Name:   pointName(results.Restart, rr.Server, rr.Pool, rr.MaxConns, rr.Workers, results.KV{Key: results.Model, Value: r.setting(results.Model)}),
		Procs:  r.procs(),
		Iters:  1,
		Values: v,
	}
}

// setting returns the value of the file configuration key, "" if unset.
func (r *Results) setting(key results.Key) string {
	for _, s := range r.Config {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

package harness

import (
	"strconv"
	"time"

	"github.com/poolbench/poolbench/results"
)

// Record puts r's results into res, one per point of res: the sweep's
// Results hold only finished points, while r also recorded the point an
// interrupt dropped (its server was still stopped). Points and restart
// results are both in run order, one restart per point, so they pair up
// in order; a pair that does not name the same point is left out.
func (r *Restart) Record(res *Results) {
	rs := r.Results()
	res.Restarts = nil
	for i, p := range res.Points {
		if i < len(rs) && rs[i].Server == p.Server && rs[i].Pool == p.Pool && rs[i].Conns == p.Conns {
			res.Restarts = append(res.Restarts, rs[i])
		}
	}
}

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
		Name: results.Name{Bench: results.Restart, Keys: []results.KV{
			{Key: results.Server, Value: rr.Server}, {Key: results.PoolKey, Value: rr.Pool},
			{Key: results.Model, Value: r.setting(results.Model)}, {Key: results.Conns, Value: strconv.Itoa(rr.Conns)}}},
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

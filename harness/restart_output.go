package harness

import (
	"fmt"
	"time"

	"golang.org/x/perf/benchfmt"
)

// restartUnits are the value units of a BenchmarkRestart result. Only
// recovered is better higher; every other one counts harm or delay.
var restartUnits = []unitBetter{
	{"failures", "lower"}, {"down-ns", "lower"}, {"first-ok-ns", "lower"}, {"settle-ns", "lower"},
	{"recovered", "higher"},
}

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
func (r *Results) restartResult(cfg []benchfmt.Config, rr RestartResult) *benchfmt.Result {
	v := []benchfmt.Value{{Value: float64(rr.ErrorsAfter), Unit: "failures"}}
	ns := func(unit string, d time.Duration) {
		v = append(v, benchfmt.Value{Value: float64(d.Nanoseconds()), Unit: unit})
	}
	if rr.Err == nil {
		ns("down-ns", rr.Down)
	}
	if rr.OKAfter > 0 {
		ns("first-ok-ns", rr.FirstOK)
	}
	if rr.Err == nil && rr.ErrorsAfter > 0 {
		ns("settle-ns", rr.Settled)
	}
	recovered := 0.0
	if rr.Recovered() {
		recovered = 1
	}
	v = append(v, benchfmt.Value{Value: recovered, Unit: "recovered"})
	return &benchfmt.Result{
		Config: cfg,
		Name: benchfmt.Name(fmt.Sprintf("Restart/server=%s/pool=%s/model=%s/conns=%d-%d",
			rr.Server, rr.Pool, r.setting("model"), rr.Conns, r.procs())),
		Iters:  1,
		Values: v,
	}
}

// setting returns the value of the file configuration key, "" if unset.
func (r *Results) setting(key string) string {
	for _, s := range r.Config {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

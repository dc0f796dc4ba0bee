package results

// The scenarios that tell pool designs apart by what callers see
// (harness.Sweep under Restart.Idle or ColdBurst): one result per point
// and repetition.
const (
	// RestartIdle is restart while idle: the load goes quiet, the server is
	// killed and relaunched on the same port, the load resumes.
	//	BenchmarkRestartIdle/server=S/pool=P/maxconns=M/workers=W-G
	RestartIdle Bench = "RestartIdle"
	// ColdBurst is B Gets at once on an empty pool whose every dial costs D.
	//	BenchmarkColdBurst/server=S/pool=P/maxconns=M/burst=B/dial=D-G
	ColdBurst Bench = "ColdBurst"
)

// Name keys of the scenarios.
const (
	Burst Key = "burst" // Gets released at once on the empty pool
	Dial  Key = "dial"  // what each dial costs (a Go duration: 1ms)
)

// Configuration keys of the scenarios' files.
const (
	CapReps Key = "cap-reps" // the most repetitions of an undecided question
	CapTime Key = "cap-time" // the most time for a scenario's repetitions, or "none"
)

// Units of a RestartIdle point; Failures, Dials, FirstOK and Down are the
// Restart and Echo units, meaning the same after the resume.
var (
	StaleConns = Unit{"stale-conns", Lower} // Gets after the resume that handed out a conn dialed before the kill
	IdleConns  = Unit{"idle-conns", Lower}  // conns the pool had open when the load went quiet
)

// RestartIdleUnits are the units of a RestartIdle point, in the order they
// are written: Failures (requests that failed after the resume), StaleConns,
// Dials (started after the resume: to recover), FirstOK (from the resume;
// absent when nothing succeeded), Down, IdleConns.
var RestartIdleUnits = []Unit{Failures, StaleConns, Dials, FirstOK, Down, IdleConns}

// Units of a ColdBurst point.
var (
	Served     = Unit{"served-ns", Lower}      // from the release until the last caller was answered
	AcquireP99 = Unit{"acquire-p99-ns", Lower} // time in Get, exact over the burst's callers
	AcquireMax = Unit{"acquire-max-ns", Lower}
	PeakDials  = Unit{"peak-dials", Lower} // the most dials in flight at once
	OverCap    = Unit{"over-cap", Lower}   // 1 when PeakDials exceeded MaxConns
)

// ColdBurstUnits are the units of a ColdBurst point, in the order they are
// written: Served, AcquireP99, AcquireMax, PeakDials, Dials (all the
// pool started), Failures (callers whose request failed), OverCap.
var ColdBurstUnits = []Unit{Served, AcquireP99, AcquireMax, PeakDials, Dials, Failures, OverCap}

// Filled is an Echo point's conns the pool had dialed by the end of the
// window, up to the most the point can use (min(workers, maxconns)). Below
// that the pool never filled inside the window: its req/s and latency
// measure the fill, and the report says "filled F of N conns in the
// window" instead of ranking them.
var Filled = Unit{"filled-conns", Higher}

// Unfilled reports, for an Echo point read back, the conns its pool
// reached and needed, and whether it fell short. A point written before
// Filled existed counts as unfilled only when it succeeded at nothing
// while its pool dialed fewer conns than the point needed.
func Unfilled(p Point) (filled, need int, short bool) {
	need = min(p.Int(Workers), p.Int(MaxConns))
	if v, ok := p.Value(Filled); ok {
		return int(v), need, int(v) < need
	}
	rate, _ := p.Value(ReqPerSec)
	dials, ok := p.Value(Dials)
	return int(dials), need, ok && rate == 0 && int(dials) < need
}

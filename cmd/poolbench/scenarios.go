package main

import (
	"flag"
	"time"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/verdict"
)

// scenarioFlags are the sweep's flags that run the scenarios
// (harness.Sweep's Restart.Idle and ColdBurst) instead of the echo points,
// and that repeat undecided points.
type scenarioFlags struct {
	restartIdle bool
	coldBurst   int
	dialDelays  string
	capReps     int
	capTime     time.Duration
}

func (f *scenarioFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.restartIdle, "restart-idle", false, "with -restart D: restart while idle instead of under load: load for D, go quiet, kill and relaunch the server on the same port, resume for -duration; writes BenchmarkRestartIdle results (failures, stale conns handed out, dials to recover, first ok) per -conns level")
	fs.IntVar(&f.coldBurst, "cold-burst", 0, "cold burst: `F` x MaxConns Gets at once on an empty pool of each -conns size, each dial costing each of -dial-delays (F >= 4); writes BenchmarkColdBurst results")
	fs.StringVar(&f.dialDelays, "dial-delays", "1ms,10ms", "with -cold-burst: comma-separated dial `costs`")
	fs.IntVar(&f.capReps, "cap", 0, "the most repetitions of an undecided point: the sweep repeats the leading pools of a point whose 95% intervals overlap, interleaved, up to this (0: no repeats)")
	fs.DurationVar(&f.capTime, "cap-time", 0, "with -cap: the most time for the repetitions beyond -count (0: no limit)")
}

func (f *scenarioFlags) asked() bool { return f.restartIdle || f.coldBurst != 0 }

// check checks the scenario flags, asked for or not (a bad value is a typo
// either way), before anything runs.
func (f *scenarioFlags) check(count int, restart time.Duration) error {
	switch {
	case f.capReps < 0 || f.capReps > maxCount || f.capReps > 0 && f.capReps < count:
		return flagError("sweep", "cap", f.capReps, "want 0 or at least -count %d, at most %d", count, maxCount)
	case f.restartIdle && restart <= 0:
		return flagError("sweep", "restart-idle", true, "needs -restart D > 0, the load's time before it goes quiet")
	case f.coldBurst != 0 && (f.coldBurst < 4 || f.coldBurst > maxColdBurst):
		return flagError("sweep", "cold-burst", f.coldBurst, "want 0 (none) or 4 to %d (Gets per conn of the pool)", maxColdBurst)
	}
	if err := checkDuration("sweep", "cap-time", f.capTime, 0, maxRunDuration); err != nil {
		return err
	}
	_, err := f.delays()
	return err
}

// maxColdBurst bounds -cold-burst: 1,000 Gets per conn already queue every
// one of them behind the dials.
const maxColdBurst = 1000

// delays parses -dial-delays: at least one, each 0 to
// harness.MaxDialDelay (a dial that costs more is a timeout, not a cost).
func (f *scenarioFlags) delays() ([]time.Duration, error) {
	var delays []time.Duration
	for _, d := range splitList(f.dialDelays) {
		v, err := time.ParseDuration(d)
		if err != nil {
			return nil, flagError("sweep", "dial-delays", f.dialDelays, "%q is not a duration", d)
		}
		if v < 0 || v > harness.MaxDialDelay {
			return nil, flagError("sweep", "dial-delays", f.dialDelays, "dial delay %v, want 0 to %v", v, harness.MaxDialDelay)
		}
		delays = append(delays, v)
	}
	if len(delays) == 0 {
		return nil, flagError("sweep", "dial-delays", f.dialDelays, "want at least one duration")
	}
	return delays, nil
}

// apply sets the scenarios the flags ask for on s: restart while idle
// (the load runs -restart, goes quiet, the server restarts, the load
// resumes for -duration) and the cold burst; either replaces the echo
// points. Every sweep repeats its undecided points up to -cap (none when 0).
func (f *scenarioFlags) apply(s *harness.Sweep) error {
	s.Restart.Idle = f.restartIdle
	if f.coldBurst != 0 {
		delays, err := f.delays()
		if err != nil {
			return err
		}
		s.ColdBurst = harness.ColdBurst{Factor: f.coldBurst, DialDelays: delays}
	}
	s.Decide = verdict.Cap{Reps: f.capReps, Time: f.capTime}
	return nil
}

package harness

import (
	"fmt"
	"time"

	"github.com/poolbench/poolbench/verdict"
)

// ColdBurst is the cold-burst experiment of a Sweep (Sweep.ColdBurst): for
// every pool size M of the sweep's levels and every dial cost D, an empty
// pool of M conns gets Factor x M Gets at once while each dial costs D (the
// handshake's round trip across a real network). It shows the pool's dial
// policy: a pool that dials one conn at a time under its lock serves the
// burst in M x D; one that dials in parallel in about D; one that dials
// past its cap opens more conns than M. Each point is one burst
// (ColdBurstPoint, BenchmarkColdBurst), through a fresh pool on a server of
// its own, decided on the time to serve the whole burst.
type ColdBurst struct {
	// Factor is the Gets per conn of the pool, at least 4; 0 means no
	// cold burst.
	Factor int
	// DialDelays are the dial costs, each 0 to MaxDialDelay.
	DialDelays []time.Duration
}

// MaxDialDelay bounds ColdBurst.DialDelays: a dial that costs more is a
// timeout, not a cost.
const MaxDialDelay = time.Second

// asked reports whether b runs any burst.
func (b ColdBurst) asked() bool { return b.Factor != 0 }

// check reports whether b can run at the pool sizes sizes.
func (b ColdBurst) check(sizes []int) error {
	if !b.asked() {
		return nil
	}
	if b.Factor < 4 || len(b.DialDelays) == 0 {
		return invalid("ColdBurst", "cold burst: factor %d with %d dial delays; want a factor >= 4 and at least one delay", b.Factor, len(b.DialDelays))
	}
	for _, d := range b.DialDelays {
		if d < 0 || d > MaxDialDelay {
			return invalid("ColdBurst.DialDelays", "cold burst: dial delay %v, want 0 to %v", d, MaxDialDelay)
		}
	}
	for _, m := range sizes {
		if m*b.Factor > MaxConnsThreaded {
			return invalid("ColdBurst", "cold burst: MaxConns %d x %d callers, want at most %d callers", m, b.Factor, MaxConnsThreaded)
		}
	}
	return nil
}

// checkScenarios reports whether the scenarios asked for (Restart.Idle,
// ColdBurst) can run: they start their own servers and load them in
// closed loop from this host, with no fault proxy.
func (s *Sweep) checkScenarios() error {
	if !s.Restart.Idle && !s.ColdBurst.asked() {
		return nil
	}
	switch {
	case s.Fault != "":
		return invalid("Fault", "restart while idle and the cold burst run without a fault proxy")
	case s.Rate > 0:
		return invalid("Rate", "restart while idle and the cold burst run in closed loop")
	case s.Shard.sharded():
		return invalid("Shard", "restart while idle and the cold burst load from one host, not in shards")
	case s.ColdBurst.asked() && s.Restart.At != 0 && !s.Restart.Idle:
		return invalid("Restart.At", "a restart under load restarts echo points, and a cold-burst sweep runs none (Restart.Idle restarts while idle)")
	}
	var sizes []int
	for _, srv := range s.Servers {
		for _, lv := range s.levels(srv) {
			if s.Restart.Idle && lv.workers > MaxConnsThreaded {
				return invalid("Workers", "restart while idle: %d workers, want at most %d", lv.workers, MaxConnsThreaded)
			}
			sizes = append(sizes, lv.maxConns)
		}
	}
	return s.ColdBurst.check(sizes)
}

// experiment is what one planned point runs.
type experiment int

const (
	echoLoad    experiment = iota // the steady load: Point (BenchmarkEcho)
	restartIdle                   // Restart.Idle: IdleRestartPoint
	coldBurst                     // ColdBurst: ColdBurstPoint
)

// String is the experiment's name in Question.Scenario.
func (e experiment) String() string {
	return [...]string{"echo", "restart-idle", "cold-burst"}[e]
}

// experiments are what the sweep's points run: restart while idle and the
// cold burst replace the steady load, which they measure no part of; with
// neither, the steady load.
func (s *Sweep) experiments() []experiment {
	var es []experiment
	if s.Restart.Idle {
		es = append(es, restartIdle)
	}
	if s.ColdBurst.asked() {
		es = append(es, coldBurst)
	}
	if len(es) == 0 {
		es = []experiment{echoLoad}
	}
	return es
}

// IdleRestartPoint is one repetition of restart while idle.
type IdleRestartPoint struct {
	Server, Pool      string
	Workers, MaxConns int
	Rep               int
	IdleRestartResult
}

// ColdBurstPoint is one repetition of a cold burst.
type ColdBurstPoint struct {
	Server, Pool    string
	MaxConns, Burst int
	DialDelay       time.Duration
	Rep             int
	ColdBurstResult
}

// Question is the verdict of one question (a server and a level of one
// experiment) over the pool designs, after the repetitions the sweep ran.
type Question struct {
	Scenario string // "echo", "restart-idle" or "cold-burst"
	Key      string // server and level, as in the result names
	questionState
}

// questionKey is p's question: its experiment, server and level, as in
// its result's name without the pool.
func (p planned) questionKey() string {
	switch p.exp {
	case coldBurst:
		return fmt.Sprintf("server=%s/maxconns=%d/burst=%d/dial=%v", p.srv.Name, p.size.maxConns, p.size.workers, p.dial)
	default:
		return fmt.Sprintf("server=%s/maxconns=%d/workers=%d%s", p.srv.Name, p.size.maxConns, p.size.workers, sizeKey(p.msg))
	}
}

// better is the direction of p's headline value (see headline): fewer
// failures after the resume, a burst served sooner, a shorter wait tail
// when workers outnumber conns, more req/s otherwise.
func (p planned) better() verdict.Better {
	if p.exp == echoLoad && p.size.workers <= p.size.maxConns {
		return verdict.Higher
	}
	return verdict.Lower
}

// String names p in errors and logs.
func (p planned) String() string {
	switch p.exp {
	case coldBurst:
		return fmt.Sprintf("cold burst %s/%s maxconns=%d burst=%d dial=%v", p.srv.Name, p.pool.Name, p.size.maxConns, p.size.workers, p.dial)
	case restartIdle:
		return fmt.Sprintf("restart while idle %s/%s maxconns=%d workers=%d", p.srv.Name, p.pool.Name, p.size.maxConns, p.size.workers)
	}
	return fmt.Sprintf("%s/%s maxconns=%d workers=%d%s", p.srv.Name, p.pool.Name, p.size.maxConns, p.size.workers, sizeLabel(p.msg))
}

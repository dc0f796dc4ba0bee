package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"time"

	"github.com/poolbench/poolbench/results"
	"github.com/poolbench/poolbench/verdict"
)

// Scenarios runs the scenarios that tell pool designs apart by what their
// callers see rather than by throughput: restart while idle (IdleRestart)
// and the cold burst (ColdBurst), for every server and pool design. Each
// question (a server and a level) is decided as the sweep decides its
// points: Count repetitions interleaved, then the leaders of every
// undecided question again, interleaved, until the verdict is settled or
// Cap is reached (see package verdict). Set Idle, Burst or both.
type Scenarios struct {
	Servers []Server
	Pools   []Pool
	Idle    *IdlePlan
	Burst   *BurstPlan
	// Count is the repetitions of every point before deciding; 0 means
	// verdict.MinReps, the fewest that give an interval.
	Count int
	// Cap bounds the repetitions of undecided questions; Reps 0 means 2 x Count.
	Cap       verdict.Cap
	Size      int           // message bytes; 0 means DefaultSize
	OpTimeout time.Duration // 0 means DefaultOpTimeout
	Progress  io.Writer     // one line per run; nil discards
}

// IdlePlan is the restart-while-idle part of Scenarios.
type IdlePlan struct {
	// Workers are the levels; each point's pool has MaxConns = workers,
	// so every worker's conn is idle at the kill.
	Workers      []int
	Fill, Resume time.Duration
}

// BurstPlan is the cold-burst part of Scenarios.
type BurstPlan struct {
	MaxConns []int
	// Factor is the burst per conn: Burst = Factor x MaxConns (>= 4).
	Factor     int
	DialDelays []time.Duration
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

// Question is the verdict of one question over the pool designs.
type Question struct {
	Scenario string // "restart-idle" or "cold-burst"
	Key      string // server and level, as in the result names
	questionState
}

// ScenarioResults is what Scenarios measured.
type ScenarioResults struct {
	Config    []results.KV
	Servers   []ServerInfo
	Idle      []IdleRestartPoint
	Burst     []ColdBurstPoint
	Questions []Question
	Procs     int
}

// Validate reports the first invalid field of s.
func (s *Scenarios) Validate() error {
	switch {
	case len(s.Servers) == 0 || len(s.Pools) == 0:
		return errors.New("scenarios: no servers or no pool designs")
	case s.Idle == nil && s.Burst == nil:
		return errors.New("scenarios: neither restart while idle nor cold burst asked for")
	case s.Count < 0 || s.Cap.Reps < 0 || s.Cap.Time < 0:
		return fmt.Errorf("scenarios: count %d, cap %d repetitions and %v; want >= 0", s.Count, s.Cap.Reps, s.Cap.Time)
	}
	if s.Idle != nil {
		for _, srv := range s.Servers {
			if _, ok := srv.Launch.(Process); !ok {
				return fmt.Errorf("restart while idle: server %s is not a child process it can kill and start again", srv.Name)
			}
		}
		for _, w := range s.Idle.Workers {
			if w < 1 || w > MaxConnsThreaded {
				return fmt.Errorf("restart while idle: %d workers, want 1 to %d", w, MaxConnsThreaded)
			}
		}
		if len(s.Idle.Workers) == 0 || s.Idle.Fill <= 0 || s.Idle.Resume <= 0 {
			return fmt.Errorf("restart while idle: workers %v, fill %v, resume %v; want levels and both times > 0", s.Idle.Workers, s.Idle.Fill, s.Idle.Resume)
		}
	}
	if b := s.Burst; b != nil {
		if b.Factor < 4 || len(b.MaxConns) == 0 || len(b.DialDelays) == 0 {
			return fmt.Errorf("cold burst: factor %d, MaxConns %v, dial delays %v; want factor >= 4 and both lists", b.Factor, b.MaxConns, b.DialDelays)
		}
		for _, m := range b.MaxConns {
			if m < 1 || m*b.Factor > MaxConnsThreaded {
				return fmt.Errorf("cold burst: MaxConns %d x %d callers, want 1 to %d callers", m, b.Factor, MaxConnsThreaded)
			}
		}
		for _, d := range b.DialDelays {
			if d < 0 || d > time.Second {
				return fmt.Errorf("cold burst: dial delay %v, want 0 to 1s", d)
			}
		}
	}
	return nil
}

// Run runs the scenarios; on error (a server that does not start, a pool
// that rejects its config, ctx ended) it returns what it had finished.
func (s *Scenarios) Run(ctx context.Context) (*ScenarioResults, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	count := orDefaultInt(s.Count, verdict.MinReps)
	limit := s.Cap
	if limit.Reps == 0 {
		limit.Reps = 2 * count
	}
	capTime := results.None
	if limit.Time > 0 {
		capTime = limit.Time.String()
	}
	res := &ScenarioResults{Procs: runtime.GOMAXPROCS(0), Config: []results.KV{
		{Key: "goos", Value: runtime.GOOS}, {Key: "goarch", Value: runtime.GOARCH},
		{Key: "cpu", Value: cpuModel()}, {Key: results.GoVersion, Value: runtime.Version()},
		{Key: results.Size, Value: strconv.Itoa(orDefaultInt(s.Size, DefaultSize))},
		{Key: results.Count, Value: strconv.Itoa(count)},
		{Key: results.CapReps, Value: strconv.Itoa(limit.Reps)}, {Key: results.CapTime, Value: capTime},
	}}
	for _, srv := range s.Servers {
		res.Servers = append(res.Servers, ServerInfo{Name: srv.Name, Protocol: srv.Protocol, Loops: srv.Loops, External: isExternal(srv.Launch)})
	}
	if s.Idle != nil {
		var trials []*trial
		for _, srv := range s.Servers {
			for _, w := range s.Idle.Workers {
				q := fmt.Sprintf("server=%s/maxconns=%d/workers=%d", srv.Name, w, w)
				for _, pd := range s.Pools {
					trials = append(trials, &trial{question: q, design: pd.Name, run: func(ctx context.Context, rep int) (float64, error) {
						r := IdleRestart{Server: srv.Launch.(Process), Protocol: srv.Protocol, New: pd.New, Workers: w,
							Fill: s.Idle.Fill, Resume: s.Idle.Resume, Size: s.Size, OpTimeout: s.OpTimeout}
						out, err := r.Run(ctx)
						if err != nil {
							return 0, fmt.Errorf("restart while idle %s/pool=%s: %w", q, pd.Name, err)
						}
						res.Idle = append(res.Idle, IdleRestartPoint{srv.Name, pd.Name, w, w, rep, out})
						s.logf("restart-idle %s/pool=%s rep %d: %d failed, %d stale conns handed out, %d dials, first ok +%v",
							q, pd.Name, rep, out.Failures, out.Stale, out.Dials, out.FirstOK.Round(time.Microsecond))
						return float64(out.Failures), nil
					}})
				}
			}
		}
		states, err := decideLoop(ctx, trials, count, verdict.Lower, limit)
		if err != nil {
			return res, err
		}
		res.Questions = append(res.Questions, questions("restart-idle", trials, states)...)
	}
	if b := s.Burst; b != nil {
		var trials []*trial
		for _, srv := range s.Servers {
			for _, d := range b.DialDelays {
				for _, m := range b.MaxConns {
					q := fmt.Sprintf("server=%s/maxconns=%d/burst=%d/dial=%v", srv.Name, m, m*b.Factor, d)
					for _, pd := range s.Pools {
						trials = append(trials, &trial{question: q, design: pd.Name, run: func(ctx context.Context, rep int) (float64, error) {
							cb := ColdBurst{Launch: srv.Launch, Protocol: srv.Protocol, New: pd.New, MaxConns: m, Burst: m * b.Factor,
								DialDelay: d, Size: s.Size, OpTimeout: s.OpTimeout}
							out, err := cb.Run(ctx)
							if err != nil {
								return 0, fmt.Errorf("cold burst %s/pool=%s: %w", q, pd.Name, err)
							}
							res.Burst = append(res.Burst, ColdBurstPoint{srv.Name, pd.Name, m, m * b.Factor, d, rep, out})
							s.logf("cold-burst %s/pool=%s rep %d: served in %v, acquire p99 %v, peak %d dials in flight, %d dials, %d failed",
								q, pd.Name, rep, out.Served.Round(time.Microsecond), out.AcquireP99.Round(time.Microsecond), out.PeakDials, out.Dials, out.Failures)
							return float64(out.Served), nil
						}})
					}
				}
			}
		}
		states, err := decideLoop(ctx, trials, count, verdict.Lower, limit)
		if err != nil {
			return res, err
		}
		res.Questions = append(res.Questions, questions("cold-burst", trials, states)...)
	}
	return res, nil
}

// questions lists the states in the trials' order.
func questions(scenario string, trials []*trial, states map[string]questionState) []Question {
	var qs []Question
	seen := map[string]bool{}
	for _, t := range trials {
		if !seen[t.question] {
			seen[t.question] = true
			qs = append(qs, Question{Scenario: scenario, Key: t.question, questionState: states[t.question]})
		}
	}
	return qs
}

func (s *Scenarios) logf(format string, args ...any) {
	if s.Progress != nil {
		fmt.Fprintf(s.Progress, "scenarios: "+format+"\n", args...)
	}
}

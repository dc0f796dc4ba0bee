package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/poolbench/poolbench/faults"
	"github.com/poolbench/poolbench/results"
)

// faultRun is the echo sweep under one fault, from results/raw/faults.txt:
// the results after a "fault: SPEC" configuration line (poolbench sweep
// -fault SPEC writes it), for one load model.
type faultRun struct {
	spec    string        // as recorded, e.g. "latency=1ms"
	model   string        // closed, open, or "" when not recorded
	latency time.Duration // the injected latency; 0 for any other fault
	sw      *sweep
}

// newFaultRuns groups the Echo results of in that ran under a fault, one
// run per (fault, model) in the file's order. The Echo points of a restart
// run (a "restart" configuration line) are the restart section's, not a
// fault's, and are left out.
func newFaultRuns(in *input) ([]faultRun, error) {
	// A key a file does not carry reads as "": as if unset.
	faulty := fmt.Sprintf(`-fault:%s -fault:"" (restart:%s OR restart:"")`, results.NoFault, results.None)
	keys, err := newCube(in, ".name:Echo "+faulty, "fault", "model")
	if err != nil {
		return nil, err
	}
	var runs []faultRun
	for _, spec := range keys.values["fault"] {
		for _, model := range keys.values["model"] {
			if _, ok := keys.cells[spec+"\x00"+model]; !ok {
				continue
			}
			where := fmt.Sprintf("%s fault:%s model:%s", faulty, strconv.Quote(spec), strconv.Quote(model))
			sw, err := newSweep(in, where)
			if err != nil {
				return nil, err
			}
			r := faultRun{spec: spec, model: model, sw: sw}
			// The spec was written by the sweep, which parsed it with the
			// same function; one that does not parse is shown, not used.
			if f, err := faults.ParseSpec(spec); err == nil && f.Kind == faults.Latency {
				r.latency = f.Duration
			}
			runs = append(runs, r)
		}
	}
	return runs, nil
}

// writeFaults renders, per fault run and server, a table of req/s and p99
// by workers (rows) and pool (columns), under a sentence saying how the
// designs compare at the highest level.
func writeFaults(b *strings.Builder, in *input, runs []faultRun) {
	b.WriteString("## When a dial costs a round trip\n\n")
	switch {
	case in.empty():
		b.WriteString("No fault results yet (results/raw/faults.txt is missing); `make bench-faults` writes them.\n\n")
		return
	case len(runs) == 0:
		b.WriteString("results/raw/faults.txt holds no echo sweep run under a fault (`poolbench sweep -fault SPEC`).\n\n")
		return
	}
	b.WriteString("The echo sweep again, through a fault proxy between the pools and the server (package faults, " +
		"`poolbench sweep -fault SPEC`), from results/raw/faults.txt. Under `latency=D` the proxy holds every chunk " +
		"from the server for D, as a distant server would: each request waits at least D for its echo, so a design " +
		"pays for every conn it is not reusing while a request waits. The harness also makes every dial wait D " +
		"(a handshake costs a round trip; the proxy itself cannot delay a connect), so a pool that dials one conn " +
		"at a time under its lock fills slowly. Cells: median req/s / median p99 latency, each with its 95% confidence interval.\n\n")
	for _, r := range runs {
		for _, srv := range r.sw.c.values["/server"] {
			pools := r.sw.pools(srv)
			if len(pools) == 0 {
				continue
			}
			fmt.Fprintf(b, "### %s, server=%s%s\n\n", r.spec, srv, loopSuffix(r.model))
			if line := r.finding(srv); line != "" {
				b.WriteString(line + "\n\n")
			}
			t := table{head: append([]string{"workers"}, pools...)}
			for _, w := range r.sw.workers {
				row := []string{w}
				has := false
				for _, p := range pools {
					rate, ok := r.sw.c.at(srv, p, w, unitRate)
					if !ok {
						row = append(row, "-")
						continue
					}
					has = true
					p99 := "-"
					if s, ok := r.sw.c.at(srv, p, w, unitP99); ok {
						p99 = fmtStat(s, unitP99)
					}
					row = append(row, rateCell(rate, unitRate)+" / "+p99)
				}
				if has {
					t.add(row...)
				}
			}
			t.write(b)
		}
	}
}

// finding is the sentence over a fault table: at the highest level every
// pool reached, each pool's share of the closed-loop ceiling (workers /
// latency: one request in flight per worker, each waiting the latency)
// when the fault is a latency, and the ranking by req/s.
func (r faultRun) finding(srv string) string {
	top, cands := r.atTop(srv)
	if len(cands) == 0 {
		return ""
	}
	line := fmt.Sprintf("At %s workers, by req/s: %s.", top, rank(cands, true, unitRate))
	if r.latency <= 0 || (r.model != "" && r.model != "closed") {
		return line
	}
	ceiling := float64(atoi(top)) / r.latency.Seconds()
	shares := make([]string, len(cands))
	for i, c := range cands {
		shares[i] = fmt.Sprintf("%s %.0f%%", c.name, 100*c.Center/ceiling)
	}
	return fmt.Sprintf("At %s workers the closed-loop ceiling is %s req/s (each worker has one request in flight, "+
		"and each waits %v for its echo); share of it reached: %s. By req/s: %s.",
		top, fmtValue(ceiling, unitRate), r.latency, strings.Join(shares, ", "), rank(cands, true, unitRate))
}

// atTop returns the highest worker level at which srv has req/s results,
// and each pool's req/s there.
func (r faultRun) atTop(srv string) (string, []candidate) {
	for i := len(r.sw.workers) - 1; i >= 0; i-- {
		var cands []candidate
		for _, p := range r.sw.pools(srv) {
			if s, ok := r.sw.c.at(srv, p, r.sw.workers[i], unitRate); ok {
				cands = append(cands, candidate{p, s})
			}
		}
		if len(cands) > 0 {
			return r.sw.workers[i], cands
		}
	}
	return "", nil
}

package report

import (
	"fmt"
	"slices"
	"strings"
)

// restarts are the Restart/server=S/pool=P/model=M/maxconns=M/workers=W results,
// grouped three ways: per level, per pool with every level pooled, and
// per server and model (the server's downtime does not depend on the pool).
type restarts struct {
	byLevel, byPool, byServer *cube
	workers                   []string // levels, numerically; [""] when the names carry none
}

// newRestarts groups the Restart results of in; nil when there are none.
func newRestarts(in *input) (*restarts, error) {
	r := &restarts{}
	for _, g := range []struct {
		c    **cube
		dims []string
	}{
		{&r.byLevel, []string{"/server", "/model", "/pool", "/workers", ".unit"}},
		{&r.byPool, []string{"/server", "/model", "/pool", ".unit"}},
		{&r.byServer, []string{"/server", "/model", ".unit"}},
	} {
		c, err := newCube(in, ".name:Restart", g.dims...)
		if err != nil {
			return nil, err
		}
		*g.c = c
	}
	if len(r.byPool.cells) == 0 {
		return nil, nil
	}
	r.workers = slices.Clone(r.byLevel.values["/workers"])
	slices.SortStableFunc(r.workers, func(a, b string) int { return atoi(a) - atoi(b) })
	return r, nil
}

// writeRestart renders a table per server and load model: a row per pool
// with its failures at each level and, over every level, how soon
// requests succeeded and stopped failing, and how often it recovered.
func writeRestart(b *strings.Builder, in *input, r *restarts) {
	b.WriteString("## Restart under load\n\n")
	switch {
	case in.empty():
		b.WriteString("No fault results yet (results/raw/faults.txt is missing); `make bench-faults` writes them.\n\n")
		return
	case r == nil:
		b.WriteString("results/raw/faults.txt holds no restart results (`poolbench sweep -restart D`).\n\n")
		return
	}
	b.WriteString("This is the restart with the load running, the second mode: during the outage the load itself " +
		"uses, and discards, every stale conn, so it measures how pools recover, not whether their Get skips dead " +
		"conns (restart while idle, above, does). ")
	b.WriteString("In every point the server is killed with SIGKILL, as a crash would, and started again on the same " +
		"port (`poolbench sweep -restart D`, from results/raw/faults.txt): every conn a pool holds or keeps idle dies at " +
		"once. A good pool drops the dead conns (a dead-peer check on Get, or one failed use each) and redials. " +
		"*failures*: requests that failed after the new server accepted, as the callers saw them, median per point " +
		"(lower is better); *first ok*: from the new server accepting to the first success (- when none succeeded); " +
		"*settled*: from then to the last failure (- when none failed); *recovered*: points in which requests " +
		"succeeded after the last failure. Times are medians over every level with their 95% confidence interval.\n\n")
	for _, srv := range r.byPool.values["/server"] {
		for _, model := range r.byPool.values["/model"] {
			pools := r.pools(srv, model)
			if len(pools) == 0 {
				continue
			}
			fmt.Fprintf(b, "### server=%s%s\n\n", srv, loopSuffix(model))
			var text []string
			if s, ok := r.byServer.at(srv, model, unitDown); ok {
				text = append(text, fmt.Sprintf("The server was down (kill to accepting) for %s (median of %d restarts).", fmtStat(s, unitDown), s.N))
			}
			text = append(text, capitalize(r.finding(srv, model)))
			b.WriteString(strings.Join(text, " ") + "\n\n")
			t := table{head: []string{"pool"}}
			for _, c := range r.workers {
				t.head = append(t.head, failuresHead(c))
			}
			t.head = append(t.head, "first ok", "settled", "recovered")
			for _, p := range pools {
				row := []string{p}
				for _, c := range r.workers {
					row = append(row, cellText(r.byLevel, unitFailures, srv, model, p, c))
				}
				row = append(row, statText(r.byPool, unitFirstOK, srv, model, p), statText(r.byPool, unitSettle, srv, model, p),
					r.recovered(srv, model, p))
				t.add(row...)
			}
			t.write(b)
		}
	}
}

// loopSuffix names the load model in a heading: ", closed loop".
func loopSuffix(model string) string {
	if model == "" {
		return ""
	}
	return ", " + model + " loop"
}

func failuresHead(workers string) string {
	if workers == "" {
		return "failures"
	}
	return "failures, workers=" + workers
}

// pools are the pools with restart results for (srv, model), in file order.
func (r *restarts) pools(srv, model string) []string {
	var out []string
	for _, p := range r.byPool.values["/pool"] {
		if _, ok := r.byPool.at(srv, model, p, unitFailures); ok {
			out = append(out, p)
		}
	}
	return out
}

// recovered is "7 of 8 points", or "-" when not reported.
func (r *restarts) recovered(srv, model, pool string) string {
	s, ok := r.byPool.at(srv, model, pool, unitRecovered)
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%g of %d points", r.byPool.sum(srv, model, pool, unitRecovered), s.N)
}

// finding ranks the pools of (srv, model) by failures per point and names
// those that did not recover in every point.
func (r *restarts) finding(srv, model string) string {
	var cands []candidate
	var stuck []string
	for _, p := range r.pools(srv, model) {
		s, _ := r.byPool.at(srv, model, p, unitFailures)
		cands = append(cands, candidate{p, s})
		if rec, ok := r.byPool.at(srv, model, p, unitRecovered); ok {
			if n := r.byPool.sum(srv, model, p, unitRecovered); n < float64(rec.N) {
				stuck = append(stuck, fmt.Sprintf("%s (%g of %d)", p, n, rec.N))
			}
		}
	}
	line := "fewest failures per point: " + rank(cands, false, unitFailures)
	if !slices.ContainsFunc(cands, func(c candidate) bool { return r.byPool.sum(srv, model, c.name, unitFailures) != 0 }) {
		// A ranking of ties at zero says nothing; say what they tie at.
		line = "no pool let a failure through to its callers"
	}
	if len(stuck) > 0 {
		return line + "; not recovered in every point: " + strings.Join(stuck, ", ") + "."
	}
	return line + "; every pool recovered in every point."
}

// statText is a cell's median with its interval, or "-" when not reported.
func statText(c *cube, unit string, coord ...string) string {
	s, ok := c.at(append(coord, unit)...)
	if !ok {
		return "-"
	}
	return fmtStat(s, unit)
}

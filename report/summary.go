package report

import (
	"fmt"
	"math"
	"strings"
)

// writeSummary states the headline findings, each read off the tables
// below it: per pool scenario the fastest design, per server the pool
// with the highest peak throughput, per pool its conformance, per fault
// and server the fastest pool at the highest level, and per server the
// pool with the fewest failures across a restart. Where
// the runner-up's confidence interval overlaps the winner's, it says the
// two are not told apart rather than crowning one.
func writeSummary(b *strings.Builder, pool *cube, sw *sweep, conf *Conformance, runs []faultRun, rs *restarts) {
	if !section(b, "Summary", pool != nil || sw != nil || conf != nil || len(runs) > 0 || rs != nil,
		"No results yet: run `make bench` (and `make report`).") {
		return
	}
	if pool != nil {
		for _, sc := range pool.values["/scenario"] {
			for _, procs := range pool.values["/gomaxprocs"] {
				var cands []candidate
				for _, impl := range pool.values["/impl"] {
					if s, ok := pool.at(sc, procs, impl, unitTime); ok && !isReferenceRow(impl) {
						cands = append(cands, candidate{impl, s})
					}
				}
				if line := rank(cands, false, unitTime); line != "" {
					fmt.Fprintf(b, "- Pool Get+Put time, scenario=%s, GOMAXPROCS=%s: %s.\n", sc, procsLabel(procs), line)
				}
			}
		}
	}
	if sw != nil {
		for _, srv := range sw.c.values["/server"] {
			var cands []candidate
			for _, p := range sw.pools(srv) {
				if s, ok := sw.peak(srv, p); ok {
					cands = append(cands, candidate{p, s})
				}
			}
			if line := rank(cands, true, unitRate); line != "" {
				fmt.Fprintf(b, "- Echo server=%s, peak req/s over the sweep: %s.\n", srv, line)
			}
		}
	}
	if conf != nil {
		for _, p := range conf.Pools {
			var failed, partial []string
			applicable := 0
			for _, r := range p.Results {
				switch r.Status {
				case "fail":
					failed = append(failed, r.Property)
					applicable++
				case "partial":
					partial = append(partial, r.Property)
					applicable++
				case "pass":
					applicable++
				}
			}
			part := ""
			if len(partial) > 0 {
				part = fmt.Sprintf("; %d only in part (%s)", len(partial), strings.Join(partial, ", "))
			}
			if len(failed) == 0 && len(partial) == 0 {
				fmt.Fprintf(b, "- Conformance, %s: passes all %d applicable properties.\n", p.Name, applicable)
			} else {
				fmt.Fprintf(b, "- Conformance, %s: fails %d of %d applicable properties (%s)%s.\n",
					p.Name, len(failed), applicable, strings.Join(failed, ", "), part)
			}
		}
	}
	for _, r := range runs {
		for _, srv := range r.sw.c.values["/server"] {
			if top, cands := r.atTop(srv); len(cands) > 0 {
				fmt.Fprintf(b, "- Fault %s, server=%s%s, at %s workers, by req/s: %s.\n",
					r.spec, srv, loopSuffix(r.model), top, rank(cands, true, unitRate))
			}
		}
	}
	if rs != nil {
		for _, srv := range rs.byPool.values["/server"] {
			for _, model := range rs.byPool.values["/model"] {
				if len(rs.pools(srv, model)) > 0 {
					fmt.Fprintf(b, "- Restart under load, server=%s%s: %s\n", srv, loopSuffix(model), rs.finding(srv, model))
				}
			}
		}
	}
	b.WriteString("\n")
}

type candidate struct {
	name string
	stat
}

// rank names the best candidate (highest if higher, else lowest median)
// and the runner-up, saying whether their 95% intervals overlap.
func rank(cands []candidate, higher bool, unit string) string {
	if len(cands) == 0 {
		return ""
	}
	better := func(a, b candidate) bool {
		if higher {
			return a.Center > b.Center
		}
		return a.Center < b.Center
	}
	best, second := -1, -1
	for i, c := range cands {
		switch {
		case best < 0 || better(c, cands[best]):
			best, second = i, best
		case second < 0 || better(c, cands[second]):
			second = i
		}
	}
	w := cands[best]
	line := fmt.Sprintf("best %s %s", w.name, fmtValue(w.Center, unit))
	if second < 0 {
		return line
	}
	r := cands[second]
	switch {
	case math.IsInf(w.Lo, 0) || math.IsInf(w.Hi, 0) || math.IsInf(r.Lo, 0) || math.IsInf(r.Hi, 0):
		return line + fmt.Sprintf(", then %s %s (too few runs for 95%% intervals: not a verdict)", r.name, fmtValue(r.Center, unit))
	case w.Lo <= r.Hi && r.Lo <= w.Hi:
		return line + fmt.Sprintf(", not told apart from %s %s (95%% intervals overlap)", r.name, fmtValue(r.Center, unit))
	}
	return line + fmt.Sprintf(", then %s %s", r.name, fmtValue(r.Center, unit))
}

// peak is the level with the highest median req/s for (srv, pool).
func (sw *sweep) peak(srv, pool string) (stat, bool) {
	var best stat
	found := false
	for _, w := range sw.workers {
		if s, ok := sw.c.at(srv, pool, w, unitRate); ok && (!found || s.Center > best.Center) {
			best, found = s, true
		}
	}
	return best, found
}

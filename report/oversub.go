package report

import (
	"fmt"
	"slices"
	"strings"
)

// oversub is the echo sweep by pool size: every point, with its maxconns.
type oversub struct {
	c     *cube // /server, /pool, /maxconns, /workers, .unit
	sizes []string
}

// newOversub groups the Echo points of in matching where; nil when no
// point's pool is smaller than its workers.
func newOversub(in *input, where string) (*oversub, error) {
	c, err := newCubeWhere(in, ".name:Echo "+where, filled, "/server", "/pool", "/maxconns", "/workers", ".unit")
	if err != nil {
		return nil, err
	}
	any := false
	for _, res := range in.set.Results {
		if !unwaited(res) {
			any = true
			break
		}
	}
	if !any {
		return nil, nil
	}
	sizes := slices.Clone(c.values["/maxconns"])
	slices.SortStableFunc(sizes, func(a, b string) int { return atoi(a) - atoi(b) })
	return &oversub{c: c, sizes: sizes}, nil
}

// workersAt returns the worker levels swept with pool size m on srv, numerically.
func (o *oversub) workersAt(srv, m string) []string {
	var out []string
	for _, w := range o.c.values["/workers"] {
		for _, p := range o.c.values["/pool"] {
			if _, ok := o.c.at(srv, p, m, w, unitRate); ok {
				out = append(out, w)
				break
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return atoi(a) - atoi(b) })
	return out
}

// writeOversub renders, per server and pool size M, a table of the worker
// levels W >= M (rows) by pool (columns): acquire-wait p99, the share of
// Gets that waited and Jain's fairness index, where pools differ once
// workers outnumber conns.
func writeOversub(b *strings.Builder, o *oversub) {
	if !section(b, "Oversubscription", o != nil,
		"No oversubscribed points yet (`poolbench sweep -maxconns 4,16,64 -workers ...`); `make sweep` writes them.") {
		return
	}
	b.WriteString("W workers share a pool of M conns (`-workers`, `-maxconns`): once W > M, Gets wait for each other's Puts, " +
		"and the pool's hand-off decides who waits how long. Cells: median acquire-wait p99 (time in Get) / share of " +
		"Gets that waited / Jain's fairness index over the workers' completed requests (1: every worker completed as " +
		"many; 1/W: one did all), each median over the repetitions; the longest time one worker went without completing " +
		"a request is in the results (stall-ns).\n\n")
	for _, srv := range o.c.values["/server"] {
		for _, m := range o.sizes {
			ws := o.workersAt(srv, m)
			if len(ws) < 2 { // only W = M: nothing oversubscribed at this size
				continue
			}
			fmt.Fprintf(b, "### server=%s, maxconns=%s\n\n", srv, m)
			var pools []string
			for _, p := range o.c.values["/pool"] {
				if _, ok := o.c.at(srv, p, m, ws[0], unitRate); ok {
					pools = append(pools, p)
				}
			}
			t := table{head: append([]string{"workers (W/M)"}, pools...)}
			for _, w := range ws {
				row := []string{fmt.Sprintf("%s (%s)", w, fmtRatioPlain(atoi(w), atoi(m)))}
				for _, p := range pools {
					row = append(row, o.cell(srv, p, m, w))
				}
				t.add(row...)
			}
			t.write(b)
		}
	}
}

// cell is "wait p99 / waited share / fairness" of one point, "-" for what is missing.
func (o *oversub) cell(srv, pool, m, w string) string {
	parts := make([]string, 3)
	for i, unit := range []string{unitWaitP99, unitWaited, unitFairness} {
		parts[i] = "-"
		if s, ok := o.c.at(srv, pool, m, w, unit); ok {
			switch unit {
			case unitWaited:
				parts[i] = fmt.Sprintf("%.0f%%", 100*s.Center)
			case unitFairness:
				parts[i] = fmt.Sprintf("%.2f", s.Center)
			default:
				parts[i] = fmtValue(s.Center, unit)
			}
		}
	}
	return strings.Join(parts, " / ")
}

// fmtRatioPlain is w/m as a whole number when it is one: "16", else "2.5".
func fmtRatioPlain(w, m int) string {
	if m == 0 {
		return "-"
	}
	if w%m == 0 {
		return fmt.Sprint(w / m)
	}
	return fmt.Sprintf("%.1f", float64(w)/float64(m))
}

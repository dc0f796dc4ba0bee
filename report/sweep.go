package report

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/results"
)

// echoDims are the dimensions of the sweep's unwaited points,
// Echo/server=S/pool=P/maxconns=W/workers=W-PROCS.
var echoDims = []string{"/server", "/pool", "/workers", ".unit"}

// sweep is the echo sweep, grouped.
type sweep struct {
	// c holds the points whose pool is as large as their workers
	// (maxconns = workers): no Get waits for a conn, so the curve is the
	// server's and the round trip's, and the knee is found on it.
	c *cube
	// unfilled are the points left out of c because their pool had not
	// filled inside the window; their cells say so instead.
	unfilled fillNotes
	workers  []string          // every worker level of c, numerically
	about    map[string]string // server -> its protocol, loops and launch, from its configuration block
}

// newSweep groups the Echo results of in that also match where (a
// benchstat filter such as `fault:"latency=1ms"`; "*" is all of them).
func newSweep(in *input, where string) (*sweep, error) {
	c, err := newCubeWhere(in, ".name:Echo "+where, func(res *benchfmt.Result) bool { return unwaited(res) && filled(res) }, echoDims...)
	if err != nil {
		return nil, err
	}
	unfilled, err := newFillNotes(in, where, unwaited)
	if err != nil {
		return nil, err
	}
	workers := slices.Clone(c.values["/workers"])
	for k := range unfilled {
		if !slices.Contains(workers, k[2]) {
			workers = append(workers, k[2])
		}
	}
	slices.SortStableFunc(workers, func(a, b string) int { return atoi(a) - atoi(b) })
	about, err := serverConfig(in, where)
	if err != nil {
		return nil, err
	}
	return &sweep{c: c, unfilled: unfilled, workers: workers, about: about}, nil
}

// unwaited reports whether a result's pool is as large as its workers.
// A name without maxconns (an older file, a test) counts as unwaited.
func unwaited(res *benchfmt.Result) bool {
	m, w := nameKey(res, results.MaxConns), nameKey(res, results.Workers)
	return m == "" || m == w
}

// nameKey returns the value of key k in res's name, "" when absent.
func nameKey(res *benchfmt.Result, k results.Key) string {
	_, parts := res.Name.Parts()
	prefix := "/" + string(k) + "="
	for _, p := range parts {
		if strings.HasPrefix(string(p), prefix) {
			return string(p[len(prefix):])
		}
	}
	return ""
}

// serverConfig describes each server from its configuration block:
// "protocol echo, 2 event loops, child process".
func serverConfig(in *input, where string) (map[string]string, error) {
	keys := []string{"protocol", "loops", "launch"}
	c, err := newCube(in, ".name:Echo "+where, append([]string{"/server"}, keys...)...)
	if err != nil {
		return nil, err
	}
	seen := map[string][]string{}
	for coord := range c.cells {
		v := strings.Split(coord, "\x00")
		var parts []string
		if v[1] != "" {
			parts = append(parts, "protocol "+v[1])
		}
		if v[2] != "" {
			parts = append(parts, v[2]+" event loops")
		}
		if v[3] != "" {
			parts = append(parts, v[3]+" process")
		}
		if d := strings.Join(parts, ", "); !slices.Contains(seen[v[0]], d) {
			seen[v[0]] = append(seen[v[0]], d)
		}
	}
	// A server with blocks of different settings lists each, sorted.
	about := map[string]string{}
	for srv, ds := range seen {
		slices.Sort(ds)
		about[srv] = strings.Join(ds, "; ")
	}
	return about, nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// writeSweep renders, per server: its plots, a req/s table and a p99
// table (rows: workers; columns: pools), and each pool's saturation knee.
func writeSweep(b *strings.Builder, sw *sweep, plotLinks map[string][]string) {
	if !section(b, "Echo sweep", sw != nil && len(sw.c.values["/server"]) > 0,
		"No sweep results yet; `make sweep` writes them.") {
		return
	}
	b.WriteString("Every server design loaded through every pool design at rising concurrency " +
		"(workers, each Get → write → read echo → verify → Put), with a pool as large as its workers " +
		"(maxconns = workers: no Get waits for a conn). " +
		"Cells are medians over the repetitions with their 95% confidence interval. " +
		"The saturation knee is the lowest level beyond which req/s grows less than 5% while p99 keeps rising " +
		"(results.FindKnee, on medians), with the range it moves in when found in each repetition on its own.\n\n")
	for _, srv := range sw.c.values["/server"] {
		fmt.Fprintf(b, "### server=%s\n\n", srv)
		if a := sw.about[srv]; a != "" {
			fmt.Fprintf(b, "%s.\n\n", capitalize(a))
		}
		for _, link := range plotLinks[srv] {
			fmt.Fprintf(b, "![%s](%s)\n", strings.TrimSuffix(path.Base(link), ".svg"), link)
		}
		if len(plotLinks[srv]) > 0 {
			b.WriteString("\n")
		}
		if notes := plotNotes(sw, srv); len(notes) > 0 {
			fmt.Fprintf(b, "Not on the plots (their log axis needs workers > 0): %s.\n\n", strings.Join(notes, ", "))
		}
		for _, m := range []struct{ title, unit string }{{"Throughput (req/s)", unitRate}, {"p99 latency", unitP99}} {
			fmt.Fprintf(b, "%s:\n\n", m.title)
			writeSweepTable(b, sw, srv, m.unit)
		}
		writeKnees(b, sw, srv)
	}
}

func writeSweepTable(b *strings.Builder, sw *sweep, srv, unit string) {
	pools := sw.pools(srv)
	t := table{head: append([]string{"workers"}, pools...)}
	for _, w := range sw.workers {
		row := []string{w}
		has := false
		for _, p := range pools {
			s, ok := sw.c.at(srv, p, w, unit)
			note := sw.unfilled[[3]string{srv, p, w}]
			switch {
			case !ok && note != nil:
				has = true
				row = append(row, note.text(0))
			case !ok:
				row = append(row, "-")
			case note != nil:
				has = true
				row = append(row, rateCell(s, unit)+"; "+note.text(s.N))
			default:
				has = true
				row = append(row, rateCell(s, unit))
			}
		}
		if has {
			t.add(row...)
		}
	}
	t.write(b)
}

// rateCell is a cell of a table in unit; a median of 0 req/s says what it
// means: at least half the repetitions had no request succeed (a server
// that stopped answering, or a fault that breaks every request).
func rateCell(s stat, unit string) string {
	if unit == unitRate && s.Center == 0 {
		return fmtStat(s, unit) + " (none succeeded)"
	}
	return fmtStat(s, unit)
}

// pools returns the pools swept against srv, in sweep order.
func (sw *sweep) pools(srv string) []string {
	var out []string
	for _, p := range sw.c.values["/pool"] {
		for _, w := range sw.workers {
			if _, ok := sw.c.at(srv, p, w, unitRate); ok {
				out = append(out, p)
				break
			}
		}
	}
	// A pool that never filled at any level has no cell in c; it still
	// gets its column, after the others, in name order.
	var only []string
	for k := range sw.unfilled {
		if k[0] == srv && !slices.Contains(out, k[1]) && !slices.Contains(only, k[1]) {
			only = append(only, k[1])
		}
	}
	slices.Sort(only)
	return append(out, only...)
}

// maxWorkers is the highest level swept for (srv, pool).
func (sw *sweep) maxWorkers(srv, pool string) string {
	last := ""
	for _, w := range sw.workers {
		if _, ok := sw.c.at(srv, pool, w, unitRate); ok {
			last = w
		}
	}
	return last
}

// knee is (srv, pool)'s saturation knee (results.FindKnee) on the medians
// of its levels, the same rule the sweep's progress log applies.
func (sw *sweep) knee(srv, pool string) (int, bool) {
	var levels []results.Level
	for _, w := range sw.workers {
		rate, ok1 := sw.c.at(srv, pool, w, unitRate)
		p99, ok2 := sw.c.at(srv, pool, w, unitP99)
		if ok1 && ok2 && atoi(w) > 0 {
			levels = append(levels, results.Level{Workers: atoi(w), ReqPerSec: rate.Center, P99: time.Duration(p99.Center * 1e9)})
		}
	}
	return results.FindKnee(levels)
}

func writeKnees(b *strings.Builder, sw *sweep, srv string) {
	t := table{head: []string{"pool", "saturation knee", "peak req/s", "errors"}, left: true}
	for _, p := range sw.pools(srv) {
		knee := "none up to " + sw.maxWorkers(srv, p) + " workers"
		if k, ok := sw.knee(srv, p); ok {
			knee = fmt.Sprintf("%d workers on the medians", k)
		}
		knee += sw.kneeSpreadText(srv, p)
		peak, at := 0.0, ""
		errs := 0.0
		for _, w := range sw.workers {
			if s, ok := sw.c.at(srv, p, w, unitRate); ok && s.Center > peak {
				peak, at = s.Center, w
			}
			errs += sw.c.sum(srv, p, w, unitErrors)
		}
		peakText := "0: no request succeeded"
		if at != "" {
			peakText = fmt.Sprintf("%s at %s workers", fmtValue(peak, unitRate), at)
		}
		t.add(p, knee, peakText, fmt.Sprintf("%g", errs))
	}
	t.write(b)
}

// sum adds up every value of a cell (used for counts such as errors).
func (c *cube) sum(coord ...string) float64 {
	total := 0.0
	for _, v := range c.cells[strings.Join(coord, "\x00")] {
		total += v
	}
	return total
}

package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/poolbench/poolbench/results"
	"github.com/poolbench/poolbench/verdict"
)

// ScenariosFile holds the restart-while-idle and cold-burst results
// (poolbench sweep -restart-idle, -cold-burst).
const ScenariosFile = results.RawDir + "/scenarios.txt"

// scenarioGroup is the points of one question (a server and a level), by
// pool design in first-seen order.
type scenarioGroup struct {
	key    string // the name without pool: "server=net/maxconns=16/workers=16"
	server string
	pools  []string
	points map[string][]results.Point
}

// groupPoints groups ps by their name without the pool key.
func groupPoints(ps []results.Point) []*scenarioGroup {
	var out []*scenarioGroup
	byKey := map[string]*scenarioGroup{}
	for _, p := range ps {
		n := p.Name.Without(results.PoolKey)
		n.Bench = ""
		key := strings.TrimPrefix(n.String(), "/")
		g := byKey[key]
		if g == nil {
			g = &scenarioGroup{key: key, server: p.Name.Get(results.Server), points: map[string][]results.Point{}}
			byKey[key] = g
			out = append(out, g)
		}
		pool := p.Name.Get(results.PoolKey)
		if _, ok := g.points[pool]; !ok {
			g.pools = append(g.pools, pool)
		}
		g.points[pool] = append(g.points[pool], p)
	}
	return out
}

// values returns pool's values of u in g, one per repetition that has one.
func (g *scenarioGroup) values(pool string, u results.Unit) []float64 {
	var vs []float64
	for _, p := range g.points[pool] {
		if v, ok := p.Value(u); ok {
			vs = append(vs, v)
		}
	}
	return vs
}

// decide is the verdict of g's pools on u.
func (g *scenarioGroup) decide(u results.Unit) verdict.Verdict {
	var samples []verdict.Sample
	for _, pool := range g.pools {
		samples = append(samples, verdict.Sample{Name: pool, Values: g.values(pool, u)})
	}
	return verdict.Decide(verdict.Better(betterOf(u)), samples)
}

func betterOf(u results.Unit) verdict.Better {
	if u.Better == results.Higher {
		return verdict.Higher
	}
	return verdict.Lower
}

// cell is the median of pool's values of u with their 95% interval, "-"
// when none has one.
func (g *scenarioGroup) cell(pool string, u results.Unit, show func(float64) string) string {
	vs := g.values(pool, u)
	if len(vs) == 0 {
		return "-"
	}
	d := verdict.Summarize(pool, vs)
	if !d.Finite() {
		return show(d.Median) + " (n<6)"
	}
	if d.Lo == d.Hi {
		return show(d.Median)
	}
	return fmt.Sprintf("%s [%s, %s]", show(d.Median), show(d.Lo), show(d.Hi))
}

func showCount(v float64) string { return fmt.Sprintf("%.4g", v) }

// showNS shows nanoseconds as a time with four significant digits: "1.711ms".
func showNS(v float64) string { return fmtValue(v*1e-9, "sec") }

// noScenarioYet is the line of a scenario section without results: what
// the scenario is called and the sweep (run by make bench) that writes it.
func noScenarioYet(what, command string) string {
	return fmt.Sprintf("No %s results yet (results/%s); `make bench` writes them (`%s`).", what, ScenariosFile, command)
}

// writeRestartIdle renders the restart-while-idle section.
func writeRestartIdle(b *strings.Builder, in *input, plots []string) {
	ps := in.set.Points(results.RestartIdle)
	if !section(b, "Restart while idle", len(ps) > 0, noScenarioYet("restart-while-idle", "poolbench sweep -restart D -restart-idle")) {
		return
	}
	b.WriteString("The load runs, then goes quiet: every worker finishes its request in flight and sends nothing, so " +
		"every conn is idle in the pool. The server is killed with SIGKILL and started again on the same port; once it " +
		"accepts, the load resumes. Every idle conn is now stale. A pool whose Get skips dead idle conns (a peek at the " +
		"kernel socket) hands out none and no request fails; a pool without that check hands each one out once, and " +
		"that request fails. *failures*: requests that failed after the resume; *stale*: Gets that handed out a conn " +
		"dialed before the kill; *dials*: dials after the resume (to recover); *first ok*: from the resume to the first " +
		"success. Medians over repetitions with their 95% interval.\n\n")
	groups := groupPoints(ps)
	var rows []verdictRow
	for _, g := range groups {
		fmt.Fprintf(b, "### %s\n\n", g.key)
		t := table{head: []string{"pool", "failures", "stale conns handed out", "dials to recover", "first ok", "n"}}
		var leaky []string
		for _, pool := range g.pools {
			t.add(pool, g.cell(pool, results.Failures, showCount), g.cell(pool, results.StaleConns, showCount),
				g.cell(pool, results.Dials, showCount), g.cell(pool, results.FirstOK, showNS), fmt.Sprint(len(g.points[pool])))
			if f := g.values(pool, results.Failures); slices.Max(f) > 0 {
				leaky = append(leaky, pool)
			}
		}
		t.write(b)
		if len(leaky) > 0 {
			fmt.Fprintf(b, "Handed out stale conns and failed requests on them: %s. Every other pool reported 0 failures in every repetition.\n\n", strings.Join(leaky, ", "))
		} else {
			b.WriteString("No pool let a request fail after the restart.\n\n")
		}
		rows = append(rows, verdictRow{g.key, g.decide(results.Failures), g.capReps()})
	}
	writePlotLinks(b, plots)
	writeVerdicts(b, "failures after the resume", rows, showCount)
}

// writeColdBurst renders the cold-burst section.
func writeColdBurst(b *strings.Builder, in *input, plots []string) {
	ps := in.set.Points(results.ColdBurst)
	if !section(b, "Cold burst", len(ps) > 0, noScenarioYet("cold-burst", "poolbench sweep -cold-burst F -dial-delays 1ms,10ms")) {
		return
	}
	b.WriteString("An empty pool of MaxConns conns gets burst Gets at once, and every dial costs the dial delay (the " +
		"handshake's round trip across a real network). *served*: from the release until every caller had its " +
		"request answered; *acquire p99*: the 99th percentile of the time in Get; *peak dials*: the most dials in " +
		"flight at once (the most over the repetitions), which a pool that keeps its cap never takes past MaxConns; " +
		"*dials*: every dial the pool started. A pool that dials one conn at a time under its lock serves the burst in " +
		"about MaxConns x the delay.\n\n")
	var rows []verdictRow
	overCap := map[string]bool{}
	for _, g := range groupPoints(ps) {
		fmt.Fprintf(b, "### %s\n\n", g.key)
		maxConns := g.points[g.pools[0]][0].Int(results.MaxConns)
		t := table{head: []string{"pool", "served", "acquire p99", "peak dials", "dials", "failures", "n"}}
		for _, pool := range g.pools {
			peak := slices.Max(append(g.values(pool, results.PeakDials), 0))
			peakText := showCount(peak)
			if int(peak) > maxConns {
				peakText += fmt.Sprintf(" (over the cap of %d)", maxConns)
				overCap[pool] = true
			}
			t.add(pool, g.cell(pool, results.Served, showNS), g.cell(pool, results.AcquireP99, showNS), peakText,
				g.cell(pool, results.Dials, showCount), g.cell(pool, results.Failures, showCount), fmt.Sprint(len(g.points[pool])))
		}
		t.write(b)
		rows = append(rows, verdictRow{g.key, g.decide(results.Served), g.capReps()})
	}
	var over []string
	for pool := range overCap {
		over = append(over, pool)
	}
	slices.Sort(over)
	if len(over) > 0 {
		fmt.Fprintf(b, "Peak concurrent dials stayed within MaxConns for every pool except %s, which dialed past its cap.\n\n", strings.Join(over, ", "))
	} else {
		b.WriteString("Peak concurrent dials stayed within MaxConns for every pool.\n\n")
	}
	writePlotLinks(b, plots)
	writeVerdicts(b, "time to serve the burst", rows, showNS)
}

// writePlotLinks embeds the plots.
func writePlotLinks(b *strings.Builder, plots []string) {
	for _, p := range plots {
		fmt.Fprintf(b, "![%s](%s)\n\n", strings.TrimSuffix(p[strings.LastIndex(p, "/")+1:], ".svg"), p)
	}
}

// writeScenarioPlots draws, per question, the restart-while-idle failures
// and the cold burst's time to serve, one marker per pool with its 95%
// interval, into dir; it returns the links (relative to the report, rel)
// of each scenario's plots in question order.
func writeScenarioPlots(dir, rel string, in *input) (idle, burst []string, err error) {
	for _, sc := range []struct {
		bench       results.Bench
		unit        results.Unit
		ylabel      string
		logY        bool
		scale       float64
		out         *[]string
		file, title string
	}{
		{results.RestartIdle, results.Failures, "failures after the resume", false, 1, &idle, "restart-idle", "restart while idle"},
		{results.ColdBurst, results.Served, "time to serve the burst (ms, log)", true, 1e-6, &burst, "cold-burst", "cold burst"},
	} {
		for _, g := range groupPoints(in.set.Points(sc.bench)) {
			var ds []verdict.Design
			for _, pool := range g.pools {
				if vs := g.values(pool, sc.unit); len(vs) > 0 {
					ds = append(ds, verdict.Summarize(pool, vs))
				}
			}
			p, err := intervalPlot(sc.title+": "+g.key, sc.ylabel, ds, sc.logY, sc.scale)
			if err != nil || p == nil {
				if err != nil {
					return nil, nil, err
				}
				continue
			}
			name := sc.file + "-" + strings.NewReplacer("/", "_", "=", "-").Replace(g.key) + ".svg"
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, nil, err
			}
			if err := savePlot(dir, name, p); err != nil {
				return nil, nil, err
			}
			*sc.out = append(*sc.out, filepath.ToSlash(filepath.Join(rel, name)))
		}
	}
	return idle, burst, nil
}

// overCapPools names the pools that had more dials in flight than MaxConns
// in any cold burst, in name order.
func overCapPools(in *input) []string {
	var out []string
	for _, p := range in.set.Points(results.ColdBurst) {
		if v, ok := p.Value(results.OverCap); ok && v > 0 && !slices.Contains(out, p.Name.Get(results.PoolKey)) {
			out = append(out, p.Name.Get(results.PoolKey))
		}
	}
	slices.Sort(out)
	return out
}

// capReps is the cap on repetitions the group's points ran under (the
// cap-reps configuration key), 0 when they carry none.
func (g *scenarioGroup) capReps() int {
	n, _ := strconv.Atoi(g.points[g.pools[0]][0].Config[results.CapReps])
	return n
}

package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/poolbench/poolbench/results"
)

// overQuestions is the oversubscribed part of the echo sweep: the points whose
// pool has fewer conns than workers, and their W = M baselines, grouped by
// server and pool size.
type overQuestions struct {
	servers []string
	// sizes[server] are the pool sizes swept, ascending; groups[server][M]
	// the questions at each worker level, ascending.
	sizes  map[string][]int
	groups map[string]map[int][]*scenarioGroup
}

// newOverQuestions groups in's Echo points that carry a pool size; nil when no
// point is oversubscribed (W > M).
func newOverQuestions(in *input) *overQuestions {
	o := &overQuestions{sizes: map[string][]int{}, groups: map[string]map[int][]*scenarioGroup{}}
	any := false
	var ps []results.Point
	for _, p := range in.set.Points(results.Echo) {
		if _, _, short := results.Unfilled(p); !short {
			ps = append(ps, p)
		}
	}
	for _, g := range groupPoints(ps) {
		p := g.first()
		m, w := p.Int(results.MaxConns), p.Int(results.Workers)
		if m <= 0 || w <= 0 {
			continue
		}
		any = any || w > m
		if o.groups[g.server] == nil {
			o.servers = append(o.servers, g.server)
			o.groups[g.server] = map[int][]*scenarioGroup{}
		}
		if o.groups[g.server][m] == nil {
			o.sizes[g.server] = append(o.sizes[g.server], m)
		}
		o.groups[g.server][m] = append(o.groups[g.server][m], g)
	}
	if !any {
		return nil
	}
	for _, srv := range o.servers {
		slices.Sort(o.sizes[srv])
		for _, m := range o.sizes[srv] {
			slices.SortStableFunc(o.groups[srv][m], func(a, b *scenarioGroup) int {
				return cmp.Compare(a.first().Int(results.Workers), b.first().Int(results.Workers))
			})
		}
	}
	return o
}

func (g *scenarioGroup) first() results.Point { return g.points[g.pools[0]][0] }

// ratio is a question's W/M.
func ratio(g *scenarioGroup) int {
	p := g.first()
	return p.Int(results.Workers) / max(p.Int(results.MaxConns), 1)
}

// oversubMetrics are the oversubscription's headline metrics: the wait
// tail, then fairness.
var oversubMetrics = []struct {
	unit  results.Unit
	label string
	show  func(float64) string
}{
	{results.WaitP99, "acquire wait p99", showNS},
	{results.Fairness, "Jain's fairness over the workers", func(v float64) string { return fmt.Sprintf("%.3f", v) }},
}

// writeOversubVerdicts closes the oversubscription section: per server,
// its plots, then a verdict table per headline metric over every
// oversubscribed question (W > M).
//
// Pools that open more conns than MaxConns (uncapped, as the cold burst
// measured) are not ranked: their Gets never wait, so their wait tail
// answers a different question; the section names them.
func writeOversubVerdicts(b *strings.Builder, o *overQuestions, links map[string][]string, uncapped []string) {
	if o == nil {
		return
	}
	for _, srv := range o.servers {
		fmt.Fprintf(b, "### Verdicts, server=%s\n\n", srv)
		writePlotLinks(b, links[srv])
		if len(uncapped) > 0 {
			fmt.Fprintf(b, "Not ranked: %s, which opened more conns than MaxConns in the cold burst (no cap), so its Gets need not wait.\n\n", strings.Join(uncapped, ", "))
		}
		for _, metric := range oversubMetrics {
			var rows []verdictRow
			for _, m := range o.sizes[srv] {
				for _, g := range o.groups[srv][m] {
					if ratio(g) > 1 {
						rows = append(rows, verdictRow{fmt.Sprintf("%s (W/M=%d)", g.key, ratio(g)), g.without(uncapped).decide(metric.unit), g.capReps()})
					}
				}
			}
			writeVerdicts(b, metric.label, rows, metric.show)
		}
	}
}

// without is g less the named pools.
func (g *scenarioGroup) without(pools []string) *scenarioGroup {
	out := *g
	out.pools = slices.DeleteFunc(slices.Clone(g.pools), func(p string) bool { return slices.Contains(pools, p) })
	return &out
}

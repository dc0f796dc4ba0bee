package report

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/poolbench/poolbench/results"
	"github.com/poolbench/poolbench/verdict"
)

// writeOversubPlots draws, per server and pool size, the acquire wait p99
// (log axis) and the fairness against W/M, one line per pool with its 95%
// intervals as error bars, into dir; it returns the links (relative to the
// report, rel) by server.
func writeOversubPlots(dir, rel string, o *overQuestions) (map[string][]string, error) {
	links := map[string][]string{}
	if o == nil {
		return links, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, srv := range o.servers {
		for _, m := range o.sizes[srv] {
			for _, metric := range []struct {
				file, ylabel string
				unit         results.Unit
				logY         bool
				scale        float64
			}{
				{"wait-p99", "acquire wait p99 (ms, log)", results.WaitP99, true, 1e-6},
				{"fairness", "Jain's fairness index", results.Fairness, false, 1},
			} {
				p, err := ratioPlot(fmt.Sprintf("server=%s, MaxConns=%d", srv, m), metric.ylabel, o.groups[srv][m], metric.unit, metric.logY, metric.scale)
				if err != nil {
					return nil, err
				}
				if p == nil {
					continue
				}
				name := fmt.Sprintf("oversub-%s-maxconns%d-%s.svg", srv, m, metric.file)
				if err := savePlot(dir, name, p); err != nil {
					return nil, err
				}
				links[srv] = append(links[srv], filepath.ToSlash(filepath.Join(rel, name)))
			}
		}
	}
	return links, nil
}

// ratioPlot is one metric against W/M (log axis) for every pool of gs,
// medians joined by lines, 95% intervals as error bars. The pools' markers
// sit slightly apart along x so that their bars do not hide each other,
// and the x axis runs on past the last level to leave a band for the
// legend, which then covers no data. nil when nothing can be drawn.
func ratioPlot(title, ylabel string, gs []*scenarioGroup, u results.Unit, logY bool, scale float64) (*plot.Plot, error) {
	if len(gs) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "W/M (workers per pool conn, log)"
	p.Y.Label.Text = ylabel
	p.X.Scale = plot.LogScale{}
	var ticks []plot.Tick
	xmax := 0.0
	for _, g := range gs {
		r := float64(ratio(g))
		ticks = append(ticks, plot.Tick{Value: r, Label: fmt.Sprint(ratio(g))})
		xmax = math.Max(xmax, r)
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	lo, hi := math.Inf(1), math.Inf(-1)
	drawn := 0
	for i, pool := range gs[0].pools {
		var bars medianBars
		shift := math.Pow(1.04, float64(i)-float64(len(gs[0].pools)-1)/2)
		for _, g := range gs {
			vs := g.values(pool, u)
			if len(vs) == 0 {
				continue
			}
			d := verdict.Summarize(pool, vs)
			m, l, h := d.Median*scale, d.Lo*scale, d.Hi*scale
			if !d.Finite() {
				l, h = m, m
			}
			if logY && (m <= 0 || l <= 0) || math.IsNaN(m) {
				continue
			}
			bars.XYs = append(bars.XYs, plotter.XY{X: float64(ratio(g)) * shift, Y: m})
			bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{m - l, h - m})
			lo, hi = math.Min(lo, l), math.Max(hi, h)
		}
		if len(bars.XYs) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(bars.XYs)
		if err != nil {
			return nil, err
		}
		line.Color, points.Color = plotutil.Color(i), plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		errs, err := plotter.NewYErrorBars(bars)
		if err != nil {
			return nil, err
		}
		errs.Color = plotutil.Color(i)
		errs.CapWidth = vg.Points(4)
		p.Add(line, points, errs)
		p.Legend.Add(pool, line, points)
		drawn++
	}
	if drawn == 0 {
		return nil, nil
	}
	// The legend's band: the log x axis runs to 8x the last level.
	p.X.Min, p.X.Max = float64(ratio(gs[0]))/1.5, xmax*8
	p.Legend.Top = true
	fitY(p, logY, lo, hi, 1.1)
	return p, nil
}

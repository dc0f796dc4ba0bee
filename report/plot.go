package report

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/poolbench/poolbench/atomicfile"
)

// writePlots draws, per server, req/s and p99 latency against workers with
// one line per pool, into dir/echo-SERVER-{reqs,p99}.svg. It returns the
// file names per server, in the order the report links them.
func writePlots(dir string, sw *sweep) (map[string][]string, error) {
	files := map[string][]string{}
	if sw == nil || len(sw.c.values["/server"]) == 0 {
		return files, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, srv := range sw.c.values["/server"] {
		for _, m := range []struct {
			file, unit, ylabel string
			scale              float64
		}{
			{"reqs", unitRate, "req/s", 1},
			{"p99", unitP99, "p99 latency (ms)", 1e3},
		} {
			name := fmt.Sprintf("echo-%s-%s.svg", srv, m.file)
			p, err := sweepPlot(sw, srv, m.unit, m.ylabel, m.scale)
			if err != nil {
				return nil, fmt.Errorf("plot %s: %w", name, err)
			}
			if p == nil {
				continue // no values: no plot, and the table shows "-"
			}
			wt, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, "svg")
			if err != nil {
				return nil, err
			}
			if err := atomicfile.Write(filepath.Join(dir, name), func(w io.Writer) error {
				_, err := wt.WriteTo(w)
				return err
			}); err != nil {
				return nil, err
			}
			files[srv] = append(files[srv], name)
		}
	}
	return files, nil
}

// sweepPlot is one plot: unit (times scale) against workers on a log axis
// ticked at the levels swept; nil when no pool has a value in unit.
//
// gonum's log scale panics on a value <= 0, and on a single level too (it
// widens an empty range to [x-1, x+1], which is 0 at workers=1). So the x
// range is set here, from the positive levels, widened by a factor of two
// each way when there is one; a level that is not a positive number cannot
// sit on the axis and is left out (plotNotes says so under the plots), as
// is a value that is not finite. The y axis is linear from zero, so a
// point of 0 req/s (a server that stopped answering) is drawn, at zero.
func sweepPlot(sw *sweep, srv, unit, ylabel string, scale float64) (*plot.Plot, error) {
	var ticks []plot.Tick
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range sw.workers {
		if x := float64(atoi(c)); x > 0 {
			ticks = append(ticks, plot.Tick{Value: x, Label: c})
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	if len(ticks) == 0 {
		return nil, nil
	}
	if lo == hi {
		lo, hi = lo/2, hi*2
	}
	var lines []any
	ymax := 0.0
	for _, pool := range sw.pools(srv) {
		var xys plotter.XYs
		for _, c := range sw.workers {
			s, ok := sw.c.at(srv, pool, c, unit)
			if y := s.Center * scale; ok && atoi(c) > 0 && !math.IsNaN(y) && !math.IsInf(y, 0) {
				xys = append(xys, plotter.XY{X: float64(atoi(c)), Y: y})
				ymax = math.Max(ymax, y)
			}
		}
		if len(xys) > 0 {
			lines = append(lines, pool, xys)
		}
	}
	if len(lines) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("server=%s: %s", srv, ylabel)
	p.X.Label.Text = "workers (maxconns = workers)"
	p.Y.Label.Text = ylabel
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	// Both curves rise with workers, so the top left is where they are not.
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(8)
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return nil, err
	}
	p.X.Min, p.X.Max = lo, hi
	// From zero: a gap between lines is then read as the ratio it is. All
	// zeros still get a range to draw in.
	p.Y.Min = 0
	if ymax <= 0 {
		p.Y.Max = 1
	}
	return p, nil
}

// plotNotes lists the levels of srv's points that a plot leaves out (see
// sweepPlot), for the text under the plots; nil when none.
func plotNotes(sw *sweep, srv string) []string {
	var out []string
	for _, c := range sw.workers {
		if atoi(c) > 0 {
			continue
		}
		for _, pool := range sw.pools(srv) {
			if _, ok := sw.c.at(srv, pool, c, unitRate); ok {
				out = append(out, fmt.Sprintf("%s at workers=%q", orDash(pool), c))
			}
		}
	}
	return out
}

// fitY spans p's y axis over the values lo to hi: on a log scale from
// lo/1.5 to 1.5 x hi, or linear from 0 to headroom x hi (at least 1),
// which leaves room above the highest marker or bar.
func fitY(p *plot.Plot, logY bool, lo, hi, headroom float64) {
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min, p.Y.Max = lo/1.5, hi*1.5
		return
	}
	p.Y.Min, p.Y.Max = 0, math.Max(hi*headroom, 1)
}

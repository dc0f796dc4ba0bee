package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/poolbench/poolbench/atomicfile"
)

// writePlots draws, per server, req/s and p99 latency against conns with
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

// sweepPlot is one plot: unit (times scale) against conns on a log axis
// ticked at the levels swept; nil when no pool has a value in unit.
func sweepPlot(sw *sweep, srv, unit, ylabel string, scale float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("server=%s: %s", srv, ylabel)
	p.X.Label.Text = "conns (concurrent workers)"
	p.Y.Label.Text = ylabel
	p.X.Scale = plot.LogScale{}
	var ticks []plot.Tick
	for _, c := range sw.conns {
		ticks = append(ticks, plot.Tick{Value: float64(atoi(c)), Label: c})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	// Both curves rise with conns, so the top left is where they are not.
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(8)
	var lines []any
	for _, pool := range sw.pools(srv) {
		var xys plotter.XYs
		for _, c := range sw.conns {
			if s, ok := sw.c.at(srv, pool, c, unit); ok && atoi(c) > 0 {
				xys = append(xys, plotter.XY{X: float64(atoi(c)), Y: s.Center * scale})
			}
		}
		if len(xys) > 0 {
			lines = append(lines, pool, xys)
		}
	}
	if len(lines) == 0 {
		return nil, nil
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return nil, err
	}
	// From zero: a gap between lines is then read as the ratio it is.
	p.Y.Min = 0
	return p, nil
}

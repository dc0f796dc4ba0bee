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
)

// writeSizesPlots draws, per worker level, MB/s against message size (both
// axes log) with one line per server, into dir/sizes-workersW.svg; it
// returns the links, relative to the report (rel).
func writeSizesPlots(dir, rel string, sz *sizes) ([]string, error) {
	if sz == nil {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var links []string
	for _, w := range sz.workers {
		p, err := sz.plot(w)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		name := fmt.Sprintf("sizes-workers%s.svg", w)
		if err := savePlot(dir, name, p); err != nil {
			return nil, err
		}
		links = append(links, filepath.ToSlash(filepath.Join(rel, name)))
	}
	return links, nil
}

// plot is MB/s against size at worker level w; nil when no server has a
// positive value there (a log axis cannot show 0, so such a point is
// left out of its line, and the table shows it).
func (sz *sizes) plot(w string) (*plot.Plot, error) {
	var ticks []plot.Tick
	for _, size := range sz.sizes {
		ticks = append(ticks, plot.Tick{Value: float64(atoi(size)), Label: sizeText(size)})
	}
	var lines []any
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, srv := range sz.servers {
		var xys plotter.XYs
		for _, size := range sz.sizes {
			s, ok := sz.c.at(srv, w, size, unitMBps)
			if y := s.Center / 1e6; ok && y > 0 && !math.IsInf(y, 0) && atoi(size) > 0 {
				xys = append(xys, plotter.XY{X: float64(atoi(size)), Y: y})
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
		}
		if len(xys) > 0 {
			lines = append(lines, srv, xys)
		}
	}
	if len(lines) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("payload echoed per second by message size, workers=%s", w)
	p.X.Label.Text = "message size"
	p.Y.Label.Text = "MB/s, one direction (log)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	// The curves rise with size, so the top left is where they are not.
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(8)
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return nil, err
	}
	first, last := float64(atoi(sz.sizes[0])), float64(atoi(sz.sizes[len(sz.sizes)-1]))
	p.X.Min, p.X.Max = first/1.5, last*1.5
	p.Y.Min, p.Y.Max = lo/2, hi*4 // room above for the legend
	return p, nil
}

package report

import (
	"fmt"
	"io"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/poolbench/poolbench/atomicfile"
	"github.com/poolbench/poolbench/verdict"
)

// medianBars are designs' medians at x = 0, 1, ... with their 95%
// intervals as error bars (relative to the median, as gonum wants them).
type medianBars struct {
	plotter.XYs
	plotter.YErrors
}

// intervalPlot draws one marker per design at its median with its 95%
// interval as an error bar, the designs named along the x axis (no legend
// to cover the data). On a log y axis (latency, time) a design whose
// median or interval is not positive is left out, since a log axis cannot
// show it; nil when nothing is left to draw. scale multiplies every value
// (1e-6: nanoseconds to milliseconds).
func intervalPlot(title, ylabel string, ds []verdict.Design, logY bool, scale float64) (*plot.Plot, error) {
	var bars medianBars
	var names []string
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, d := range ds {
		m, l, h := d.Median*scale, d.Lo*scale, d.Hi*scale
		if !d.Finite() {
			l, h = m, m // no interval: the marker alone
		}
		if logY && (m <= 0 || l <= 0) || math.IsNaN(m) {
			continue
		}
		bars.XYs = append(bars.XYs, plotter.XY{X: float64(len(names)), Y: m})
		bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{m - l, h - m})
		names = append(names, d.Name)
		lo, hi = math.Min(lo, l), math.Max(hi, h)
	}
	if len(names) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	errs, err := plotter.NewYErrorBars(bars)
	if err != nil {
		return nil, err
	}
	errs.CapWidth = vg.Points(8)
	marks, err := plotter.NewScatter(bars.XYs)
	if err != nil {
		return nil, err
	}
	marks.GlyphStyle.Shape = draw.CircleGlyph{}
	marks.GlyphStyle.Radius = vg.Points(3)
	p.Add(plotter.NewGrid(), errs, marks)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	fitY(p, logY, lo, hi, 1.15)
	return p, nil
}

// savePlot writes p as dir/name in SVG, atomically.
func savePlot(dir, name string, p *plot.Plot) error {
	wt, err := p.WriterTo(6*vg.Inch, 3.5*vg.Inch, "svg")
	if err != nil {
		return fmt.Errorf("plot %s: %w", name, err)
	}
	return atomicfile.Write(filepath.Join(dir, name), func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	})
}

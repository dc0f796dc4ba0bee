package report

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/poolbench/poolbench/verdict"
)

// writePoolPlots draws, per micro-benchmark scenario and GOMAXPROCS, every
// design's Get+Put time (log axis) with its 95% interval and the floor's
// median as a dashed line across, into dir; it returns the links relative
// to the report (rel), in table order.
func writePoolPlots(dir, rel string, c *cube) ([]string, error) {
	if c == nil {
		return nil, nil
	}
	var links []string
	for _, sc := range c.values["/scenario"] {
		for _, procs := range c.values["/gomaxprocs"] {
			var ds []verdict.Design
			floor, hasFloor := c.at(sc, procs, floorImpl, unitTime)
			for _, impl := range c.values["/impl"] {
				s, ok := c.at(sc, procs, impl, unitTime)
				if !ok {
					continue
				}
				ds = append(ds, verdict.Design{Name: impl, N: s.N, Median: s.Center, Lo: s.Lo, Hi: s.Hi})
			}
			p, err := intervalPlot(fmt.Sprintf("Get+Put, scenario=%s, GOMAXPROCS=%s", sc, orDefaultProcs(procs)), "time per op (ns, log)", ds, true, 1e9)
			if err != nil {
				return nil, err
			}
			if p == nil {
				continue
			}
			if hasFloor && floor.Center > 0 {
				y := floor.Center * 1e9
				line, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: y}, {X: p.X.Max, Y: y}})
				if err != nil {
					return nil, err
				}
				line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				line.Color = color.Gray{Y: 96}
				p.Add(line)
				p.Y.Min = min(p.Y.Min, y/1.5)
			}
			name := fmt.Sprintf("pool-%s-procs%s.svg", strings.ReplaceAll(sc, "/", "_"), orDefaultProcs(procs))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			if err := savePlot(dir, name, p); err != nil {
				return nil, err
			}
			links = append(links, filepath.ToSlash(filepath.Join(rel, name)))
		}
	}
	return links, nil
}

// writePoolPlotLinks embeds the micro-benchmark plots under their tables.
func writePoolPlotLinks(b *strings.Builder, links []string) {
	if len(links) == 0 {
		return
	}
	b.WriteString("Time per Get+Put of every design, median with its 95% interval (log axis); the dashed line is the floor's median.\n\n")
	writePlotLinks(b, links)
}

// orDefaultProcs is a GOMAXPROCS key's value, "1" for the empty value of a
// name without a -N suffix.
func orDefaultProcs(procs string) string {
	if procs == "" {
		return "1"
	}
	return procs
}

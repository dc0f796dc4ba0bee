package gate

import (
	"fmt"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
)

// grouper sorts results into cells keyed by (pkg, unit) and full benchmark
// name, as benchstat's table builder does with "-table pkg -row .fullname":
// the side (old or new) plays the part of benchstat's .file column. Other
// file configuration (goos, cpu, ...) is residue: if a cell mixes values,
// the row carries benchstat's "benchmarks vary in KEY" warning.
type grouper struct {
	filter    *benchproc.Filter
	tableBy   *benchproc.Projection
	pkg, unit *benchproc.Field
	rowBy     *benchproc.Projection
	residue   *benchproc.Projection

	tables, rows []benchproc.Key
	seenT, seenR map[benchproc.Key]bool
	byKey        map[cellKey]*cell
}

type cellKey struct{ table, row benchproc.Key }

// cell is one (pkg, benchmark, unit) with its values per side.
type cell struct {
	pkg, name, unit string
	vals            [2][]float64
	residue         map[benchproc.Key]bool
	warnings        []string
}

func newGrouper(filterExpr string) (*grouper, error) {
	if filterExpr == "" {
		filterExpr = "*"
	}
	filter, err := benchproc.NewFilter(filterExpr)
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	var p benchproc.ProjectionParser
	tableBy, unit, err := p.ParseWithUnit("pkg", filter)
	if err != nil {
		return nil, err
	}
	rowBy, err := p.Parse(".fullname", filter)
	if err != nil {
		return nil, err
	}
	return &grouper{
		filter: filter, tableBy: tableBy, pkg: tableBy.Fields()[0], unit: unit,
		rowBy: rowBy, residue: p.Residue(),
		seenT: map[benchproc.Key]bool{}, seenR: map[benchproc.Key]bool{},
		byKey: map[cellKey]*cell{},
	}, nil
}

// add files results under side (0 old, 1 new) and returns how many passed
// the filter. Filter rejections with a reason become warnings.
func (g *grouper) add(side int, results []*benchfmt.Result, warnings []string) (int, []string) {
	n := 0
	for _, res := range results {
		res = res.Clone() // the filter drops unmatched values in place
		ok, err := g.filter.Apply(res)
		if err != nil {
			warnings = append(warnings, err.Error())
		}
		if !ok {
			continue
		}
		n++
		row := g.rowBy.Project(res)
		residue := g.residue.Project(res)
		for i, table := range g.tableBy.ProjectValues(res) {
			c := g.cell(table, row)
			c.vals[side] = append(c.vals[side], res.Values[i].Value)
			c.residue[residue] = true
		}
	}
	return n, warnings
}

func (g *grouper) cell(table, row benchproc.Key) *cell {
	k := cellKey{table, row}
	if c := g.byKey[k]; c != nil {
		return c
	}
	if !g.seenT[table] {
		g.seenT[table] = true
		g.tables = append(g.tables, table)
	}
	if !g.seenR[row] {
		g.seenR[row] = true
		g.rows = append(g.rows, row)
	}
	c := &cell{
		pkg: table.Get(g.pkg), unit: table.Get(g.unit), name: row.StringValues(),
		residue: map[benchproc.Key]bool{},
	}
	g.byKey[k] = c
	return c
}

// cells returns every cell, tables then rows in benchproc's order (first
// observation, old side first), with residue warnings attached.
func (g *grouper) cells() []*cell {
	benchproc.SortKeys(g.tables)
	benchproc.SortKeys(g.rows)
	var out []*cell
	for _, t := range g.tables {
		for _, r := range g.rows {
			c := g.byKey[cellKey{t, r}]
			if c == nil {
				continue
			}
			keys := make([]benchproc.Key, 0, len(c.residue))
			for k := range c.residue {
				keys = append(keys, k)
			}
			if fields := benchproc.NonSingularFields(keys); len(fields) > 0 {
				names := make([]string, len(fields))
				for i, f := range fields {
					names[i] = f.Name
				}
				c.warnings = append(c.warnings, "benchmarks vary in "+strings.Join(names, ", "))
			}
			out = append(out, c)
		}
	}
	return out
}

// mergeUnits combines the unit metadata of both sides; new wins a conflict.
func mergeUnits(maps ...benchfmt.UnitMetadataMap) benchfmt.UnitMetadataMap {
	out := benchfmt.UnitMetadataMap{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

package report

import (
	"fmt"
	"slices"
	"strings"
)

// The rows the pool tables compare every design with: bench's two
// reference rows, which are not designs, and puddle, the established library.
const (
	floorImpl     = "floor"
	fifoFloorImpl = "fifofloor"
	referenceImp  = "puddle"
)

// isReferenceRow reports whether impl is one of bench's reference rows
// rather than a design, which no verdict ranks.
func isReferenceRow(impl string) bool { return impl == floorImpl || impl == fifoFloorImpl }

// poolDims are the dimensions of BenchmarkPool/impl=NAME/scenario=S-PROCS.
var poolDims = []string{"/scenario", "/gomaxprocs", "/impl", ".unit"}

// writePool renders one table per (scenario, GOMAXPROCS): a row per
// design with its Get+Put time, the time as a ratio to the floor (the
// cheapest Get+Put possible) and to puddle (the established library), its
// allocations, and for the exhausted scenarios its wait tail.
func writePool(b *strings.Builder, c *cube) {
	if !section(b, "Pool micro-benchmarks", c != nil,
		"No pool micro-benchmark results yet (results/raw/pool.txt is missing); `make bench-pool` writes them.") {
		return
	}
	b.WriteString("One Get+Put cycle on fake conns (no I/O), from results/raw/pool.txt. Each cell is the median of " +
		"the runs with its 95% confidence interval; ratios are ratios of medians. *floor* is a bare array " +
		"of slots claimed with a CAS: the cheapest Get+Put possible; it spins when every slot is taken, so in the " +
		"exhausted scenarios it waits in no order. *fifofloor* is a bare buffered channel of conns: the cheapest " +
		"first-in-first-out wait the Go runtime offers (park, hand-off, wake-up, nothing counted); in the exhausted " +
		"scenarios *vs fifofloor* is a design's cost over the runtime's own. Wait columns: how long the unluckiest " +
		"Gets waited when 32 goroutines per P share 4 conns; in the exhausted scenario at GOMAXPROCS=1 a max " +
		"wait as long as the row is a Get the Go scheduler left in its run queue behind a chain of hand-offs " +
		"that the design never breaks (ours yield in one grant in 64; see the bench package doc). Rows at a GOMAXPROCS above the machine's core count " +
		"(the `cores:` line of pool.txt) measure oversubscription of the CPU, not parallel speed.\n\n")
	for _, sc := range c.values["/scenario"] {
		for _, procs := range c.values["/gomaxprocs"] {
			writePoolTable(b, c, sc, procs)
		}
	}
}

// newPoolCube groups results/raw/pool.txt; nil when it holds no BenchmarkPool.
func newPoolCube(in *input) (*cube, error) {
	c, err := newCube(in, ".name:Pool", poolDims...)
	if err != nil || len(c.cells) == 0 {
		return nil, err
	}
	return c, nil
}

func writePoolTable(b *strings.Builder, c *cube, sc, procs string) {
	floor, hasFloor := c.at(sc, procs, floorImpl, unitTime)
	ref, hasRef := c.at(sc, procs, referenceImp, unitTime)
	waits := false
	for _, impl := range c.values["/impl"] {
		if _, ok := c.at(sc, procs, impl, unitWaitP99); ok {
			waits = true
		}
	}
	// Only where Gets wait does the FIFO floor differ from a channel pool
	// with nothing in it; there it is the runtime's cost of waiting.
	fifo, hasFIFO := c.at(sc, procs, fifoFloorImpl, unitTime)
	hasFIFO = hasFIFO && waits
	t := table{head: []string{"impl", "time/op", "vs floor", "vs puddle", "B/op", "allocs/op"}}
	if hasFIFO {
		t.head = slices.Insert(t.head, 4, "vs fifofloor")
	}
	if waits {
		t.head = append(t.head, "p99 wait", "max wait")
	}
	rows := 0
	for _, impl := range c.values["/impl"] {
		s, ok := c.at(sc, procs, impl, unitTime)
		if !ok {
			continue
		}
		rows++
		vsFloor, vsRef := "-", "-"
		if hasFloor {
			vsFloor = fmtRatio(s.Center, floor.Center)
		}
		if hasRef {
			vsRef = fmtRatio(s.Center, ref.Center)
		}
		row := []string{impl, fmtStat(s, unitTime), vsFloor, vsRef,
			cellText(c, unitBytes, sc, procs, impl), cellText(c, unitAllocs, sc, procs, impl)}
		if hasFIFO {
			row = slices.Insert(row, 4, fmtRatio(s.Center, fifo.Center))
		}
		if waits {
			row = append(row, cellText(c, unitWaitP99, sc, procs, impl), cellText(c, unitWaitMax, sc, procs, impl))
		}
		t.add(row...)
	}
	if rows == 0 {
		return
	}
	fmt.Fprintf(b, "### scenario=%s, GOMAXPROCS=%s\n\n", sc, procsLabel(procs))
	t.write(b)
}

// procsLabel is a /gomaxprocs value as a number: go test leaves the
// "-N" suffix off when GOMAXPROCS is 1.
func procsLabel(p string) string {
	if p == "" {
		return "1"
	}
	return p
}

// cellText is a cell's median in unit, or "-" when the design did not
// report it (a skipped row, or a unit the scenario does not measure).
func cellText(c *cube, unit string, coord ...string) string {
	s, ok := c.at(append(coord, unit)...)
	if !ok {
		return "-"
	}
	return fmtValue(s.Center, unit)
}

package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/poolbench/poolbench/results"
)

// The sizes sweep's inputs: the TCP servers up to 1 MiB, and the UDP
// server in a run of its own up to the largest datagram (a sweep that
// names a size above it for a UDP server is refused).
const (
	SizesFile    = results.RawDir + "/sizes.txt"
	SizesUDPFile = results.RawDir + "/sizes-udp.txt"
)

// sizesDims are the dimensions of a sizes sweep's points,
// Echo/server=S/pool=P/maxconns=W/workers=W/size=B.
var sizesDims = []string{"/server", "/workers", "/size", ".unit"}

// sizes is the sizes sweep, grouped.
type sizes struct {
	c       *cube
	servers []string // first-seen order: the run order of the inputs
	workers []string // numerically
	sizes   []string // numerically
	pools   []string
}

// newSizes groups the sized Echo points of ins (the points without a size
// key are not a sizes sweep's); nil when there are none.
func newSizes(ins ...*input) (*sizes, error) {
	all := &input{name: "sizes", set: &results.Set{}}
	for _, in := range ins {
		all.set.Results = append(all.set.Results, in.set.Results...)
	}
	c, err := newCube(all, ".name:Echo /size:/.+/", sizesDims...)
	if err != nil {
		return nil, err
	}
	if len(c.values["/server"]) == 0 {
		return nil, nil
	}
	pc, err := newCube(all, ".name:Echo /size:/.+/", "/pool")
	if err != nil {
		return nil, err
	}
	numeric := func(vs []string) []string {
		vs = slices.Clone(vs)
		slices.SortStableFunc(vs, func(a, b string) int { return atoi(a) - atoi(b) })
		return vs
	}
	return &sizes{c: c, servers: c.values["/server"], workers: numeric(c.values["/workers"]),
		sizes: numeric(c.values["/size"]), pools: pc.values["/pool"]}, nil
}

// sizeText is a size as the report shows it: 64 B, 4 KiB, 1 MiB.
func sizeText(s string) string {
	n := atoi(s)
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return s + " B"
}

// mbpsText is mbps to four significant digits.
func mbpsText(bytesPerSec float64) string {
	v := bytesPerSec / 1e6
	if v >= 1000 {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// writeSizes renders the sizes sweep: its plots, then per worker level a
// table (rows: sizes; columns: servers) of MB/s with p50 and p99 latency
// (and, for a server that speaks UDP, the datagrams lost), and the
// finding: which design leads at the smallest and the largest size.
func writeSizes(b *strings.Builder, sz *sizes, plots []string) {
	if !section(b, "Bulk transfer by message size", sz != nil, "No sizes sweep results yet; `make sizes` writes them.") {
		return
	}
	fmt.Fprintf(b, "Every server design echoing messages of %s to %s (from %s and %s; pool %s as large as its workers, medians over the repetitions). "+
		"MB/s is `echo-MB/s`: the payload echoed per second in one direction, each successful request's message counted once "+
		"(10^6 bytes; HTTP heads not counted, the echo carries as many bytes back), its median over the points that completed a request "+
		"in their window (a cell says how many did not: a stalled machine, or a message slower than the window). "+
		"A UDP server is swept up to the largest datagram (65507 bytes), and its cells add the datagrams lost (no echo before the deadline). "+
		"Compare with `go tool benchstat -table \"\" -col /server -row /size -filter '.unit:echo-B/s' %s %s`.\n\n",
		sizeText(sz.sizes[0]), sizeText(sz.sizes[len(sz.sizes)-1]), "results/"+SizesFile, "results/"+SizesUDPFile, strings.Join(sz.pools, ", "),
		"results/"+SizesFile, "results/"+SizesUDPFile)
	writePlotLinks(b, plots)
	for _, w := range sz.workers {
		fmt.Fprintf(b, "### workers=%s\n\n", w)
		t := table{head: append([]string{"size"}, sz.servers...)}
		for _, size := range sz.sizes {
			row := []string{sizeText(size)}
			for _, srv := range sz.servers {
				row = append(row, sz.cell(srv, w, size))
			}
			t.add(row...)
		}
		t.write(b)
		if f := sz.finding(w); f != "" {
			b.WriteString(f + "\n\n")
		}
	}
}

// cell is one server's MB/s at one level and size, with its latency and
// any datagrams lost; "-" when it has no point there.
func (sz *sizes) cell(srv, w, size string) string {
	rate, ok := sz.c.at(srv, w, size, unitMBps)
	if !ok {
		if _, ran := sz.c.at(srv, w, size, unitRate); ran {
			return "0 MB/s (no request completed in the window)"
		}
		return "-"
	}
	text := mbpsText(rate.Center) + " MB/s"
	p50, ok50 := sz.c.at(srv, w, size, unitP50)
	p99, ok99 := sz.c.at(srv, w, size, unitP99)
	if ok50 && ok99 {
		text += fmt.Sprintf(" (p50 %s, p99 %s)", fmtValue(p50.Center, unitP50), fmtValue(p99.Center, unitP99))
	}
	if lost, ok := sz.c.at(srv, w, size, unitLost); ok {
		text += ", " + fmtValue(lost.Center, unitLost) + " lost"
	}
	// A point that completed no request in its window has no MB/s (see
	// harness), so the median above is over the others: say how many.
	if all, _ := sz.c.at(srv, w, size, unitRate); all.N > rate.N {
		text += fmt.Sprintf("; %d of %d points completed no request", all.N-rate.N, all.N)
	}
	return text
}

// finding says, at worker level w, which server leads at the smallest size
// and which at the largest, each against the slowest there.
func (sz *sizes) finding(w string) string {
	at := func(size string) string {
		best, worst := "", ""
		var hi, lo stat
		for _, srv := range sz.servers {
			s, ok := sz.c.at(srv, w, size, unitMBps)
			if !ok {
				continue
			}
			if best == "" || s.Center > hi.Center {
				best, hi = srv, s
			}
			if worst == "" || s.Center < lo.Center {
				worst, lo = srv, s
			}
		}
		if best == "" || best == worst {
			return ""
		}
		text := fmt.Sprintf("at %s %s leads with %s MB/s, %s the slowest (%s, %s MB/s)",
			sizeText(size), best, mbpsText(hi.Center), fmtRatio(hi.Center, lo.Center), worst, mbpsText(lo.Center))
		// Not a lead the noise could make: both 95% intervals must be
		// there (6 points or more) and apart.
		if !(hi.Lo > lo.Hi) {
			text = fmt.Sprintf("at %s %s has the highest median, %s MB/s, %s the lowest (%s, %s MB/s), but their 95%% intervals overlap: not told apart",
				sizeText(size), best, mbpsText(hi.Center), fmtRatio(hi.Center, lo.Center), worst, mbpsText(lo.Center))
		}
		return text
	}
	small, large := at(sz.sizes[0]), at(sz.sizes[len(sz.sizes)-1])
	switch {
	case small == "" && large == "":
		return ""
	case large == "" || sz.sizes[0] == sz.sizes[len(sz.sizes)-1]:
		return capitalize(small) + "."
	case small == "":
		return capitalize(large) + "."
	}
	return capitalize(small) + "; " + large + ": a small echo costs a round trip and a wake-up of the server's loop or goroutine, " +
		"a large one the copies through the server's read buffer and how its write path queues what the socket does not take at once."
}

package report

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
)

// libraries are the modules whose versions the report states: the pools
// and servers compared, and the statistics and plotting used.
var libraries = []string{
	"github.com/jackc/puddle/v2",
	"github.com/fatih/pool",
	"github.com/silenceper/pool",
	"github.com/panjf2000/gnet/v2",
	"github.com/lesismal/nbio",
	"github.com/valyala/fasthttp",
	"golang.org/x/perf",
	"gonum.org/v1/plot",
}

// writeEnvironment states the machine and software the results came from:
// the file configuration lines of every input (goos, cpu, go, ...) and the
// Go and library versions of the binary writing the report.
func writeEnvironment(b *strings.Builder, bi *debug.BuildInfo, ins ...*input) {
	b.WriteString("## Environment\n\n")
	t := table{head: []string{"setting"}, left: true}
	var keys []string
	values := map[string][]string{}
	for i, in := range ins {
		t.head = append(t.head, in.name)
		ks, vs := configValues(in)
		for _, k := range ks {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
				values[k] = make([]string, len(ins))
			}
			values[k][i] = strings.Join(vs[k], ", ")
		}
	}
	if len(keys) > 0 {
		b.WriteString("From the configuration lines of the result files:\n\n")
		for _, k := range keys {
			row := []string{k}
			for _, v := range values[k] {
				row = append(row, orDash(v))
			}
			t.add(row...)
		}
		t.write(b)
	}
	if bi == nil {
		b.WriteString("The report binary carries no build information.\n\n")
		return
	}
	// Not the report binary's own version or toolchain: a clean checkout
	// stamps the commit into the build and every machine has its own Go, so
	// either would make REPORT.md differ from one regeneration to the next
	// (the golden test in e2e). The results' go: lines say what ran.
	fmt.Fprintf(b, "Report written by %s. Library versions (the same go.mod builds the benchmarks):\n\n", bi.Main.Path)
	lt := table{head: []string{"module", "version"}, left: true}
	for _, lib := range libraries {
		lt.add(lib, moduleVersion(bi, lib))
	}
	lt.write(b)
}

// moduleVersion is lib's version in bi, following a replace directive.
func moduleVersion(bi *debug.BuildInfo, lib string) string {
	for _, d := range bi.Deps {
		if d.Path != lib {
			continue
		}
		if d.Replace != nil {
			return strings.TrimSpace(d.Version + " => " + d.Replace.Path + " " + d.Replace.Version)
		}
		return d.Version
	}
	return "not linked into this binary"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeMethodology says how the numbers were made, with counts read from
// the data rather than assumed.
func writeMethodology(b *strings.Builder, c *cube, sw *sweep, runs []faultRun, rs *restarts) {
	b.WriteString("## Methodology\n\n")
	if c != nil {
		fmt.Fprintf(b, "- **Pool micro-benchmarks** (`go test -bench BenchmarkPool`, package bench): %s per row, "+
			"GOMAXPROCS %s, scenarios %s. Fake conns do no I/O, so the numbers are the pools' own cost.\n",
			runsText(c), procsList(c.values["/gomaxprocs"]), strings.Join(c.values["/scenario"], ", "))
	}
	if sw != nil && len(sw.c.values["/server"]) > 0 {
		fmt.Fprintf(b, "- **Echo sweep** (`poolbench sweep`, package harness): each server design runs as its own child "+
			"process on 127.0.0.1; for every pool design, pool size and worker level (%s workers) the workers share one pool "+
			"of MaxConns conns (maxconns = workers in the sweep's tables; smaller pools in the oversubscription section). %s per point; repetitions are interleaved (repetition 1 of every point, then 2, ...) "+
			"so a slow minute of the machine spreads over all designs. Latency is recorded per request in HDR histograms.\n",
			strings.Join(sw.workers, ", "), runsText(sw.c))
	}
	if len(runs) > 0 || rs != nil {
		b.WriteString("- **Faults** (`make bench-faults`, scripts/bench-faults.sh, into results/raw/faults.txt): the same sweep " +
			"through a toxiproxy hop that delays every chunk from the server (`-fault latency=1ms`, `-fault latency=10ms`), " +
			"and with each point's server killed and restarted mid-point (`-restart D`), closed and open loop. " +
			"Each sweep's configuration lines (fault, restart, model, rate) keep the groups apart.\n")
	}
	b.WriteString(beyondOneMachine)
	b.WriteString("- **Statistics**: every cell is a median with its 95% confidence interval (golang.org/x/perf/benchmath, " +
		"no distributional assumption: exactly benchstat's summary). Ratios are ratios of medians. " +
		"\"± ∞\" marks a cell with fewer than 6 values, too few for a 95% interval of the median.\n" +
		"- **Regression gate** (scripts/gate.sh, which CI and `make gate` run; the rule is in package gate's doc): " +
		"base and candidate test binaries, both built with -trimpath, run in 6 paired rounds at -cpu 1,2, 100000 iterations " +
		"per row (the exhausted rows' spread is the scheduler's and averages out over a longer run); each round runs " +
		"old and new back to back in random order, one design's rows per process pair. Timed rows (sec/op and cpu-sec/op, " +
		"the process's CPU clock per op, which a loaded machine inflates far less than wall time) regress " +
		"when the one-sided Wilcoxon signed-rank test of the per-round log ratios is significant at α = 0.025 after " +
		"Holm-Bonferroni over the timed rows only and the median ratio is more than 5% worse; allocs/op and B/op regress " +
		"when every new run is worse than every old run; wait tails are shown, not gated. Rows more than 5% worse at " +
		"p < 0.05 uncorrected are suspects, rerun alone once with fresh pairs (8 per look, at most 16) and decided on " +
		"those alone at α / (suspects × looks). Then a deterministic gate: the uncontended rows' instructions per op, " +
		"counted under Valgrind's callgrind inside bench's per-op function only, with the garbage collector off, on both " +
		"sides; counts repeat to about 1% (maps hash with a random seed per process), and a row more than 3% up regresses " +
		"(a flagged row is counted twice more and each side's least count decides: interference only adds instructions). " +
		"It sees slowdowns that execute instructions on single-goroutine rows; contended rows and cache effects are the " +
		"timed gate's. Its power is measured on real slowed builds by scripts/gate-power.sh " +
		"(a calibrated spin in one row's Get under a build tag that never ships; A/A commits for false alarms).\n" +
		"- **Conformance**: pooltest.Check for every registered pool (impls.TestConformanceMatrix, build tag conformance), each property on a fresh pool, " +
		"timeouts in testing/synctest virtual time; `make test` also runs each design's suite under -race.\n\n")
}

// beyondOneMachine is the methodology of sharded sweeps: what the merge
// does, and the limits of aligning shards by their hosts' clocks.
const beyondOneMachine = "- **Beyond one machine** (`poolbench sweep -shard I/N -start-at T`, `poolbench merge`): N client hosts each run " +
	"their share of every point's workers against one server, point k at T + k × (warm-up + window + gap) by each host's clock. " +
	"The merge sums counts, sums req/s, and reads every percentile off the union of the shards' HDR histograms, which merge " +
	"without loss. Merged req/s is the sum of each shard's rate over its own window, i.e. the server's rate over the common " +
	"window, while all N were loading: total requests over the union of the windows would count its edges, where fewer shards " +
	"loaded, as if all N had. Alignment is as good as the hosts' clocks agree: a skew of s shifts one shard's window by s, so " +
	"about s at each edge of the common window has one shard fewer loading; keep s under 1% of the window (NTP on one network " +
	"holds hosts within about a millisecond, 0.1% of a 1 s window). A shard cannot see skew, only its own lateness: start-err-ns, " +
	"recorded per point (how much later than scheduled its load began; a start later than the warm-up shortens its window " +
	"and the shard says so). Check skew with `chronyc tracking` on each host and start-err-ns in each shard's file.\n"

func procsList(ps []string) string {
	labels := make([]string, len(ps))
	for i, p := range ps {
		labels[i] = procsLabel(p)
	}
	return strings.Join(labels, ", ")
}

// runsText says how many values the cells of c hold: "10 runs" or "3 to 10 runs".
func runsText(c *cube) string {
	lo, hi := 0, 0
	for _, v := range c.cells {
		if lo == 0 || len(v) < lo {
			lo = len(v)
		}
		hi = max(hi, len(v))
	}
	if lo == hi {
		return fmt.Sprintf("%d runs", hi)
	}
	return fmt.Sprintf("%d to %d runs", lo, hi)
}

// writeReproduce lists the commands that regenerate every input and the report.
func writeReproduce(b *strings.Builder) {
	b.WriteString("## Reproduce\n\n```sh\n" +
		"make bench                      # all of the below: bench-pool, sweep, report\n" +
		"scripts/bench-pool.sh results/raw/pool.txt   # pool micro-benchmarks (COUNT=10 CPU=1,2 by default)\n" +
		"go run ./cmd/poolbench sweep -out results/raw/echo.txt\n" +
		"make bench-faults               # results/raw/faults.txt: the sweep under latency=1ms, latency=10ms, and restarts\n" +
		"go test -tags conformance ./impls -run '^TestConformanceMatrix$' -count 1   # results/conformance.json\n" +
		"go run ./cmd/poolbench report -results results -out REPORT.md\n" +
		"go tool benchstat -col /impl results/raw/pool.txt   # the pool table, by benchstat\n" +
		"scripts/gate.sh HEAD~1          # regression gate of the working tree against a revision, as CI runs it\n" +
		"```\n")
}

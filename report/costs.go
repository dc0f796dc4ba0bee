package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/poolbench/poolbench/results"
)

// baselinePool is the design that does not pool (impls/dial): Get dials,
// Put closes. The report sets the pools against it.
const baselinePool = "dial"

// CloseFile holds the sweep whose servers close each conn first
// (poolbench sweep -server-closes, make sweep-close).
const CloseFile = results.RawDir + "/close.txt"

// kernelUnits are the kernel's counters per point (harness, from
// internal/kernelnet), each with the one line the report says about it.
var kernelUnits = []struct {
	unit    results.Unit
	meaning string
}{
	{results.TimeWaitClient, "TIME_WAIT sockets the point left on the client side: the cost of closing first, each holding an ephemeral port for 60s"},
	{results.TimeWaitServer, "TIME_WAIT sockets on the server's side: the server closed first and holds the 2MSL wait"},
	{results.CloseWait, "CLOSE_WAIT sockets: the peer closed and this side has not yet (a close still owed)"},
	{results.SynRecv, "half-open conns at the server: SYN received, the final ACK not (yet) in its accept queue"},
	{results.ListenOverflows, "connects dropped because an accept queue was full (TcpExt, whole namespace): clients see timeouts or resets"},
	{results.ListenDrops, "every connect dropped at listen (TcpExt, whole namespace), overflows included"},
}

// writeLoss writes, for each server that speaks UDP, the datagrams lost per
// point: the median lost-errors (a point where none was lost has no such
// value and shows 0).
func writeLoss(b *strings.Builder, sw *sweep) {
	if sw == nil {
		return
	}
	for _, srv := range sw.c.values["/server"] {
		if !strings.Contains(sw.about[srv], "protocol udp") {
			continue
		}
		pools := sw.pools(srv)
		fmt.Fprintf(b, "### UDP loss, server=%s\n\n"+
			"Requests whose echo did not arrive before the op timeout (class `lost`: counted, never retried), "+
			"median per point over the repetitions.\n\n", srv)
		t := table{head: append([]string{"workers"}, pools...)}
		for _, conns := range sw.workers {
			row := []string{conns}
			for _, p := range pools {
				cell := "-"
				if _, ok := sw.c.at(srv, p, conns, unitRate); ok {
					cell = "0"
					if s, ok := sw.c.at(srv, p, conns, unitLost); ok {
						cell = fmtValue(s.Center, unitLost)
					}
				}
				row = append(row, cell)
			}
			t.add(row...)
		}
		t.write(b)
	}
}

// writeCosts writes what pooling saves: the dial baseline next to the best
// pool at each concurrency, the sweep whose servers close first (closed,
// nil when there is none), and the kernel's counters where they are not 0.
func writeCosts(b *strings.Builder, sw, closed *sweep) {
	hasDial := sw != nil && slices.Contains(sw.c.values["/pool"], baselinePool)
	if !hasDial && closed == nil {
		return
	}
	b.WriteString("## What pooling saves\n\n")
	if hasDial {
		writeDialCosts(b, sw)
	}
	writeServerCloses(b, closed)
	writeKernel(b, []labeledSweep{{"", sw}, {" (server closes)", closed}})
}

// writeDialCosts writes, per server, the dial baseline next to the best
// pool at each concurrency.
func writeDialCosts(b *strings.Builder, sw *sweep) {
	b.WriteString("The `dial` design is no pool: every Get dials and every Put closes, under the same MaxConns " +
		"and the same workers as the pools (from results/raw/echo.txt, medians over the repetitions). " +
		"\"best pool\" is the pool with the highest median req/s at that level; TIME_WAIT is the client-side " +
		"TIME_WAIT sockets one point (warm-up and window) left, read from the kernel (netlink sock_diag), for dial and the most any pool left.\n\n")
	for _, srv := range sw.c.values["/server"] {
		pools := sw.pools(srv)
		if !slices.Contains(pools, baselinePool) {
			continue
		}
		fmt.Fprintf(b, "### server=%s\n\n", srv)
		t := table{head: []string{"workers", "dial req/s", "best pool", "its req/s", "pool/dial", "dial p99", "its p99", "dial dials/s", "dial TIME_WAIT", "pools' TIME_WAIT"}}
		for _, conns := range sw.workers {
			d, ok := sw.c.at(srv, baselinePool, conns, unitRate)
			if !ok {
				continue
			}
			best, bestRate := "", -1.0
			for _, p := range pools {
				if s, ok := sw.c.at(srv, p, conns, unitRate); ok && p != baselinePool && s.Center > bestRate {
					best, bestRate = p, s.Center
				}
			}
			if best == "" {
				continue
			}
			cell := func(pool, unit string) string {
				if s, ok := sw.c.at(srv, pool, conns, unit); ok {
					return fmtValue(s.Center, unit)
				}
				return "-"
			}
			poolsTW, maxTW := "-", -1.0
			for _, p := range pools {
				if s, ok := sw.c.at(srv, p, conns, unitTWClient); ok && p != baselinePool && s.Center > maxTW {
					poolsTW, maxTW = fmtValue(s.Center, unitTWClient), s.Center
				}
			}
			t.add(conns, fmtValue(d.Center, unitRate), best, fmtValue(bestRate, unitRate), fmtRatio(bestRate, d.Center),
				cell(baselinePool, unitP99), cell(best, unitP99), cell(baselinePool, unitDialRate),
				cell(baselinePool, unitTWClient), poolsTW)
		}
		t.write(b)
	}
}

// writeServerCloses writes the sweep whose servers closed each conn first
// (nil: none), per server: each pool's req/s, p99, dials/s and TIME_WAIT
// by side at every level.
func writeServerCloses(b *strings.Builder, closed *sweep) {
	if closed == nil {
		return
	}
	b.WriteString("### The server closes first\n\n" +
		"From results/" + CloseFile + " (`make sweep-close`): each server closes its conn after one echo " +
		"(`poolbench serve -close-after SIZE`, as an HTTP/1.0 server closes after its response) and each request " +
		"waits for that close (EOF) before the client closes its side, so the TIME_WAIT socket and its 60 s move to " +
		"the server. No pool can reuse a conn then: every request dials, pool or not, so the pools here cost what " +
		"`dial` costs. Medians over the repetitions; TIME_WAIT by side as the kernel counted it for the point.\n\n")
	for _, srv := range closed.c.values["/server"] {
		fmt.Fprintf(b, "#### server=%s, server closes first\n\n", srv)
		t := table{head: []string{"workers", "pool", "req/s", "p99", "dials/s", "TIME_WAIT client", "TIME_WAIT server"}}
		for _, conns := range closed.workers {
			for _, p := range closed.pools(srv) {
				if _, ok := closed.c.at(srv, p, conns, unitRate); !ok {
					continue
				}
				cell := func(unit string) string {
					if s, ok := closed.c.at(srv, p, conns, unit); ok {
						return fmtValue(s.Center, unit)
					}
					return "-"
				}
				t.add(conns, p, cell(unitRate), cell(unitP99), cell(unitDialRate), cell(unitTWClient), cell(unitTWServer))
			}
		}
		t.write(b)
	}
}

// labeledSweep is a sweep whose points the kernel table lists with label
// after their server/pool/workers; a nil sweep lists none.
type labeledSweep struct {
	label string
	sw    *sweep
}

// writeKernel lists, for each kernel counter, the points of the sweeps
// where its median is not 0, with what it means. Points without a kernel
// view (an external server) have none of these units and are not listed.
func writeKernel(b *strings.Builder, sweeps []labeledSweep) {
	var rows [][]string
	for _, k := range kernelUnits {
		unit := k.unit.Tidied()
		var where []string
		for _, ls := range sweeps {
			sw := ls.sw
			if sw == nil {
				continue
			}
			for _, srv := range sw.c.values["/server"] {
				for _, p := range sw.pools(srv) {
					for _, conns := range sw.workers {
						if s, ok := sw.c.at(srv, p, conns, unit); ok && s.Center != 0 {
							where = append(where, fmt.Sprintf("%s/%s/%s%s: %s", srv, p, conns, ls.label, fmtValue(s.Center, unit)))
						}
					}
				}
			}
		}
		if len(where) > 0 {
			rows = append(rows, []string{k.unit.Name, k.meaning, strings.Join(where, ", ")})
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("### The kernel's TCP state, where not 0\n\n" +
		"Per point (server/pool/workers: median over the repetitions), read around the window for servers started as child processes.\n\n")
	t := table{head: []string{"counter", "what it means", "where"}, left: true}
	for _, r := range rows {
		t.add(r...)
	}
	t.write(b)
}

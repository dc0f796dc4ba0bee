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
// pool at each concurrency, and the kernel's counters where they are not 0.
func writeCosts(b *strings.Builder, sw *sweep) {
	if sw == nil || !slices.Contains(sw.c.values["/pool"], baselinePool) {
		return
	}
	b.WriteString("## What pooling saves\n\n" +
		"The `dial` design is no pool: every Get dials and every Put closes, under the same MaxConns " +
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
	writeKernel(b, sw)
}

// writeKernel lists, for each kernel counter, the points where its median
// is not 0, with what it means. Points without a kernel view (an external
// server) have none of these units and are not listed.
func writeKernel(b *strings.Builder, sw *sweep) {
	var rows [][]string
	for _, k := range kernelUnits {
		unit := k.unit.Tidied()
		var where []string
		for _, srv := range sw.c.values["/server"] {
			for _, p := range sw.pools(srv) {
				for _, conns := range sw.workers {
					if s, ok := sw.c.at(srv, p, conns, unit); ok && s.Center != 0 {
						where = append(where, fmt.Sprintf("%s/%s/%s: %s", srv, p, conns, fmtValue(s.Center, unit)))
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

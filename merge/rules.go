package merge

import (
	"fmt"
	"strings"

	"github.com/poolbench/poolbench/results"
)

// rule says how the shards' values of one unit combine into the merged
// point's. Every rule is exact: a unit the shards' files cannot combine
// without loss has no rule, and a file holding it is refused.
type rule int

const (
	// sum: counts (errors, dials) and rates over one window (req/s: each
	// shard's requests per second of its own window; with the windows
	// coinciding, their sum is the server's rate while all shards loaded it).
	sum rule = iota + 1
	// largest: maxima (the exact max latency, the longest stall, the
	// latest start).
	largest
	// perRequest: means per successful request (wait-ns/op, cpu-ns/op),
	// weighted by each shard's successful requests.
	perRequest
	// fromHist: percentiles, read off the merged latency histogram.
	fromHist
)

// rules maps each mergeable unit, as written, to its rule.
var rules = map[string]rule{
	results.ReqPerSec.Name: sum,
	results.Errors.Name:    sum,
	results.Dials.Name:     sum,
	results.DialRate.Name:  sum,
	results.Filled.Name:    sum, // each shard fills its share of the pool
	results.MaxLat.Name:    largest,
	results.Stall.Name:     largest,
	results.StartErr.Name:  largest,
	results.WaitPerOp.Name: perRequest,
	results.CPUPerOp.Name:  perRequest,
}

func init() {
	// Payload per second of each shard's window, summed as req/s is.
	rules[results.EchoMBPerSec.Name] = sum
	for _, lp := range results.LatencyPercentiles {
		rules[lp.Unit.Name] = fromHist
	}
}

// refused names the Echo units no rule merges exactly, and why; a shard
// file holding one is refused with that reason.
var refused = map[string]string{
	results.WaitP50.Name:    "acquire-wait percentiles need their own histogram, which shard files do not carry",
	results.WaitP99.Name:    "acquire-wait percentiles need their own histogram, which shard files do not carry",
	results.WaitMax.Name:    "the acquire-wait max is not recorded per shard in a mergeable form",
	results.Waited.Name:     "the share of Gets that waited needs each shard's Get count, which shard files do not carry",
	results.Fairness.Name:   "Jain's index over all workers needs each shard's worker count and sum of squares",
	results.RSSPerConn.Name: "server memory is measured only for a child server; shards load an external one",
}

func init() {
	// The kernel's view of a child server's sockets and fds: measured only
	// for a child server, and shards load an external one.
	for _, u := range []results.Unit{results.TimeWaitClient, results.TimeWaitServer, results.CloseWait, results.SynRecv,
		results.ListenOverflows, results.ListenDrops, results.PortsInUse, results.PortsRange, results.ServerFDs, results.FDHeadroom} {
		refused[u.Name] = "the kernel's view of a child server is measured only for a child server; shards load an external one"
	}
}

// ruleFor returns the rule of a unit as written, or why it has none.
func ruleFor(unit string) (rule, error) {
	if r, ok := rules[unit]; ok {
		return r, nil
	}
	if strings.HasSuffix(unit, "-errors") { // an error class: results.ErrorClass
		return sum, nil
	}
	if why, ok := refused[unit]; ok {
		return 0, fmt.Errorf("unit %s cannot be merged exactly: %s", unit, why)
	}
	return 0, fmt.Errorf("unit %s has no merge rule", unit)
}

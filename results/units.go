package results

import (
	"time"

	"golang.org/x/perf/benchunit"
)

// Better says which way a unit improves; its values match the sign
// convention of benchfmt.UnitMetadataMap.GetBetter.
type Better int

// Directions. Every unit poolbench writes declares one ("Unit U better=B").
const (
	Lower  Better = -1 // a cost: time, bytes, failures
	Higher Better = 1  // a rate or a share of good outcomes
)

func (b Better) String() string {
	if b == Higher {
		return "higher"
	}
	return "lower"
}

// Unit is a value unit as written ("p99-ns") with its direction.
type Unit struct {
	Name   string
	Better Better
}

// Tidied is the unit as benchfmt's reader and benchstat report it:
// "p99-ns" reads back as "p99-sec", "wait-ns/op" as "wait-sec/op".
func (u Unit) Tidied() string {
	_, t := benchunit.Tidy(1, u.Name)
	return t
}

// Units of an Echo point (harness: one per point and repetition).
var (
	ReqPerSec = Unit{"req/s", Higher} // successful requests per second of the window
	P50       = Unit{"p50-ns", Lower} // latency of successful requests (HDR histogram, 3 digits)
	P90       = Unit{"p90-ns", Lower}
	P99       = Unit{"p99-ns", Lower}
	P999      = Unit{"p999-ns", Lower}
	MaxLat    = Unit{"max-ns", Lower}      // exact maximum latency
	Errors    = Unit{"errors", Lower}      // failed requests, warm-up included
	Dials     = Unit{"dials", Lower}       // dials the pool started, warm-up included
	DialRate  = Unit{"dials/s", Lower}     // dials started inside the window, per second of it
	WaitPerOp = Unit{"wait-ns/op", Lower}  // mean time a successful request spent in Get
	WaitP50   = Unit{"p50-wait-ns", Lower} // acquire wait (time in Get) of the window's Gets
	WaitP99   = Unit{"p99-wait-ns", Lower}
	WaitMax   = Unit{"max-wait-ns", Lower}
	// Waited is the share of the window's Gets that waited: that found no
	// idle conn and had to dial or park (time in Get >= WaitThreshold).
	Waited = Unit{"waited-frac", Lower}
	// Fairness is Jain's index over the workers' completed requests:
	// (sum x)^2 / (n sum x^2), 1 when every worker completed as many, 1/n
	// when one worker completed them all.
	Fairness = Unit{"jain", Higher}
	// Stall is the longest time any worker went without completing a
	// request inside the window.
	Stall      = Unit{"stall-ns", Lower}
	CPUPerOp   = Unit{"cpu-ns/op", Lower}  // client CPU (user+system) per successful request
	RSSPerConn = Unit{"rss-B/conn", Lower} // server VmRSS growth per conn; child servers only

	// The kernel's view of a child server over the point, warm-up included
	// (harness, from internal/kernelnet); absent for an external server.
	TimeWaitClient  = Unit{"time-wait-client", Lower} // TIME_WAIT sockets made during the point, the client having closed first
	TimeWaitServer  = Unit{"time-wait-server", Lower} // the same, the server having closed first
	CloseWait       = Unit{"close-wait", Lower}       // CLOSE_WAIT sockets on the server's port at the end
	SynRecv         = Unit{"syn-recv", Lower}         // half-open conns to the server at the end
	ListenOverflows = Unit{"listen-overflows", Lower} // TcpExt ListenOverflows moved during the point (namespace-wide)
	ListenDrops     = Unit{"listen-drops", Lower}     // TcpExt ListenDrops moved during the point (namespace-wide)
	PortsInUse      = Unit{"ports-in-use", Lower}     // ephemeral ports held by TCP sockets at the end
	PortsRange      = Unit{"ports-range", Higher}     // the size of ip_local_port_range
	ServerFDs       = Unit{"server-fds", Lower}       // the server process's open fds at the end
	FDHeadroom      = Unit{"fd-headroom", Higher}     // RLIMIT_NOFILE less the server's open fds: 0 means accept fails with EMFILE
)

// EchoMBPerSec is an Echo point's payload echoed per second of the
// window, in MB (10^6 bytes), counted in one direction: each successful
// request's message once (the echo carries as many bytes back; HTTP heads
// are not counted). Written for the points of a sizes sweep (a size= key)
// that completed requests.
var EchoMBPerSec = Unit{"echo-MB/s", Higher}

// StartErr is a sharded point's start error: how much later than its
// scheduled wall-clock time (-start-at, point k at start + k x (its length
// + gap)) its load began, by the shard host's clock. Written only under
// -start-at; a merged point carries the largest of its shards'.
var StartErr = Unit{"start-err-ns", Lower}

// WaitThreshold is the time in Get from which a Get counts as having
// waited (Waited). It sits between the two kinds of Get: handing out an
// idle conn costs a few tens of nanoseconds (BenchmarkPool's uncontended
// rows in results/), while a Get that dials or parks until another
// worker's Put waits for a loopback round trip, tens of microseconds
// (the p50-ns of the Echo rows at workers=1).
const WaitThreshold = 5 * time.Microsecond

// ErrorClass is the unit counting failed requests of one class ("reset"
// gives "reset-errors"), written only when non-zero.
func ErrorClass(class string) Unit { return Unit{class + "-errors", Lower} }

// Units of a Restart point.
var (
	Failures  = Unit{"failures", Lower}    // requests that failed after the relaunched server accepted
	Down      = Unit{"down-ns", Lower}     // from the kill until the relaunched server accepted
	FirstOK   = Unit{"first-ok-ns", Lower} // from then until the first success
	Settle    = Unit{"settle-ns", Lower}   // from then until the last failure; absent when none failed
	Recovered = Unit{"recovered", Higher}  // 1 when requests succeeded after the last failure
)

// Units of a Pool micro-benchmark, as go test -bench writes them.
var (
	TimePerOp   = Unit{"ns/op", Lower}
	BytesPerOp  = Unit{"B/op", Lower}
	AllocsPerOp = Unit{"allocs/op", Lower}
)

// EchoUnits are the units of an Echo point, in the order they are
// written; error classes come after Errors.
var EchoUnits = []Unit{ReqPerSec, EchoMBPerSec, P50, P90, P99, P999, MaxLat, Errors, Dials, DialRate, Filled,
	WaitPerOp, WaitP50, WaitP99, WaitMax, Waited, Fairness, Stall, CPUPerOp, RSSPerConn,
	TimeWaitClient, TimeWaitServer, CloseWait, SynRecv, ListenOverflows, ListenDrops, PortsInUse, PortsRange, ServerFDs, FDHeadroom}

// RestartUnits are the units of a Restart point, in the order they are written.
var RestartUnits = []Unit{Failures, Down, FirstOK, Settle, Recovered}

package results

import (
	"fmt"
	"strings"
)

// Bench names a benchmark: the B in BenchmarkB/keys-G.
type Bench string

// The benchmarks poolbench writes.
const (
	// Echo is one point of the echo sweep: W workers against one pool of
	// MaxConns conns, loading one server design.
	Echo Bench = "Echo"
	// Restart is one point under the server-restart fault.
	Restart Bench = "Restart"
	// Knee was the saturation knee of one server and pool design, written
	// by sweeps before the knee became a reader's derivation (FindKnee);
	// readers of older files skip it.
	Knee Bench = "Knee"
	// Pool is a pool micro-benchmark (go test -bench in bench/).
	Pool Bench = "Pool"
)

// Key is a key of a benchmark name (server=S) or of a file configuration
// line (model: closed).
type Key string

// Keys of benchmark names, in the order names carry them.
const (
	Server   Key = "server"   // server design
	PoolKey  Key = "pool"     // pool design
	Model    Key = "model"    // closed | open (Restart names; config of Echo)
	MaxConns Key = "maxconns" // the pool's MaxConns
	Workers  Key = "workers"  // concurrent workers sharing the pool
	Impl     Key = "impl"     // pool micro-benchmarks: the design, or floor
	Scenario Key = "scenario" // pool micro-benchmarks: what the Gets meet
	// Closer is who closes each conn first: "server" when the server
	// closes after every echo (poolbench sweep -server-closes); absent
	// when the client does, as a pool's Put or Discard does.
	Closer Key = "close"
)

// ServerCloses is the Closer key's value for a sweep whose servers close
// every conn first.
const ServerCloses = "server"

// Keys of file configuration lines, beyond the testing package's goos,
// goarch, cpu, pkg.
const (
	GoVersion Key = "go"   // runtime.Version() of the client
	Rate      Key = "rate" // open loop: total req/s; "closed" in closed loop
	// Size is the message bytes: a configuration line, and in a sizes
	// sweep (poolbench sweep -sizes) also the last key of every Echo name
	// (Echo/server=S/pool=P/maxconns=M/workers=W/size=B), the line then
	// listing the sizes swept.
	Size      Key = "size"
	Duration  Key = "duration" // each point's measurement window
	Warmup    Key = "warmup"   // each point's unmeasured warm-up
	Count     Key = "count"    // repetitions of every point
	Fault     Key = "fault"    // the fault proxy's spec, or NoFault
	RestartAt Key = "restart"  // when each point's server is killed, or "none"
	Protocol  Key = "protocol" // echo | http
	Loops     Key = "loops"    // the server's event loops, or "unknown"
	Launch    Key = "launch"   // child | external
	// Keys of a sharded sweep (poolbench sweep -shard I/N -start-at T).
	Shard   Key = "shard"    // this file's shard: "I/N" (a shard file only)
	Shards  Key = "shards"   // the shards merged into this file (a merged file only)
	StartAt Key = "start-at" // the wall-clock time (RFC 3339) point 1 was scheduled at
	Gap     Key = "gap"      // the pause between scheduled points
)

// None is the value of a configuration key that does not apply ("fault:
// none"): a key is never written empty, since benchstat prints an empty
// value as a header line of its own.
const None = "none"

// NoFault is the fault key's value when no proxy stood between pool and
// server; "none" is a spec of its own (a proxy that injects nothing).
const NoFault = "off"

// KV is one key and its value.
type KV struct {
	Key   Key
	Value string
}

// Name is a benchmark name: its benchmark and its keys in order.
type Name struct {
	Bench Bench
	Keys  []KV
}

// String is the name as benchfmt writes it after "Benchmark", without the
// -G suffix: "Echo/server=net/pool=ring".
func (n Name) String() string {
	var b strings.Builder
	b.WriteString(string(n.Bench))
	for _, kv := range n.Keys {
		fmt.Fprintf(&b, "/%s=%s", kv.Key, kv.Value)
	}
	return b.String()
}

// Get returns the value of key k, "" when the name has none.
func (n Name) Get(k Key) string {
	for _, kv := range n.Keys {
		if kv.Key == k {
			return kv.Value
		}
	}
	return ""
}

// Without returns n with key k taken out.
func (n Name) Without(k Key) Name {
	out := Name{Bench: n.Bench}
	for _, kv := range n.Keys {
		if kv.Key != k {
			out.Keys = append(out.Keys, kv)
		}
	}
	return out
}

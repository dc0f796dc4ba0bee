// Package impls is the registry: the one list of pool designs and server
// designs by name. Tests, benchmarks, the harness and the report iterate it;
// adding a design is one folder and one line here.
package impls

import (
	"fmt"
	"strings"

	"github.com/poolbench/poolbench/impls/chanpool"
	"github.com/poolbench/poolbench/impls/dial"
	"github.com/poolbench/poolbench/impls/mutexlist"
	"github.com/poolbench/poolbench/impls/peers/fatih"
	"github.com/poolbench/poolbench/impls/peers/silenceper"
	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/puddle"
	"github.com/poolbench/poolbench/impls/ring"
	"github.com/poolbench/poolbench/impls/shard"
)

// PoolDesign is a registered pool design.
type PoolDesign struct {
	Name string // short, stable, used in benchmark names: impl=NAME / pool=NAME
	// Peer marks a third-party pool adapted for comparison, not one of ours.
	Peer bool
	// Baseline marks the design that does not pool (dial: Get dials, Put
	// closes), shown next to the pools as the cost of not pooling.
	Baseline bool
	// New builds a pool from cfg.
	New func(cfg pool.Config) (pool.Pool, error)
	// Caps declares what the pool can express, for pooltest.
	Caps pool.Capabilities
}

// pools is the registry of pool designs, in report order.
var pools = []PoolDesign{
	{Name: "mutexlist", New: mutexlist.New, Caps: pool.Full},
	{Name: "chanpool", New: chanpool.New, Caps: pool.Full},
	{Name: "ring", New: ring.New, Caps: pool.Full},
	{Name: "shard", New: shard.New, Caps: pool.Full},
	// Third-party pools, adapted for comparison (impls/puddle, impls/peers).
	{Name: "puddle", Peer: true, New: puddle.New, Caps: puddle.Caps},
	{Name: "fatih", Peer: true, New: fatih.New, Caps: fatih.Caps},
	{Name: "silenceper", Peer: true, New: silenceper.New, Caps: silenceper.Caps},
	// No pool at all: what the others save (impls/dial).
	{Name: "dial", Baseline: true, New: dial.New, Caps: dial.Caps},
}

// Pools returns every registered pool design.
func Pools() []PoolDesign { return append([]PoolDesign(nil), pools...) }

// LookupPool returns the pool design called name.
func LookupPool(name string) (PoolDesign, error) {
	for _, d := range pools {
		if d.Name == name {
			return d, nil
		}
	}
	return PoolDesign{}, fmt.Errorf("unknown pool design %q (have %s)", name, strings.Join(PoolNames(), ", "))
}

// PoolNames returns the names of every registered pool design.
func PoolNames() []string {
	names := make([]string, len(pools))
	for i, d := range pools {
		names[i] = d.Name
	}
	return names
}

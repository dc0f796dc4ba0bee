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
	"github.com/poolbench/poolbench/impls/peers/commons"
	"github.com/poolbench/poolbench/impls/peers/fatih"
	"github.com/poolbench/poolbench/impls/peers/puddlev1"
	"github.com/poolbench/poolbench/impls/peers/silenceper"
	"github.com/poolbench/poolbench/impls/peers/sqldb"
	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/puddle"
	"github.com/poolbench/poolbench/impls/ring"
	"github.com/poolbench/poolbench/impls/shard"
)

// PoolDesign is a registered pool design.
type PoolDesign struct {
	Name string // short, stable, used in benchmark names: impl=NAME / pool=NAME
	// Peer marks a third-party pool adapted for comparison, not one of ours:
	// its adapter maps the library's API and adds no behaviour (see
	// impls/peers), so its verdicts are the library's.
	Peer bool
	// Library names the third-party library a design is, or is built on,
	// with its version: for a peer, the pool under test; for one of ours,
	// what it builds on ("" for none).
	Library string
	// Advice is one line for a Go engineer choosing this pool: what its
	// conformance verdicts mean in practice. Every peer has one.
	Advice string
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
	// Ours, built on a library: impls/puddle adds idle expiry, the dead-peer
	// check, misuse detection and a non-blocking Close to puddle v2's pool.
	{Name: "puddle", Library: "github.com/jackc/puddle/v2 v2.2.3", New: puddle.New, Caps: puddle.Caps},
	// Third-party pools, adapted with nothing added (impls/peers).
	{Name: "sql", Peer: true, Library: sqldb.Library, Advice: sqldb.Advice, New: sqldb.New, Caps: sqldb.Caps},
	{Name: "fatih", Peer: true, Library: fatih.Library, Advice: fatih.Advice, New: fatih.New, Caps: fatih.Caps},
	{Name: "silenceper", Peer: true, Library: silenceper.Library, Advice: silenceper.Advice, New: silenceper.New, Caps: silenceper.Caps},
	{Name: "commons", Peer: true, Library: commons.Library, Advice: commons.Advice, New: commons.New, Caps: commons.Caps},
	{Name: "puddlev1", Peer: true, Library: puddlev1.Library, Advice: puddlev1.Advice, New: puddlev1.New, Caps: puddlev1.Caps},
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

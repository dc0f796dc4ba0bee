//go:build !gatepower

package bench

import "github.com/poolbench/poolbench/impls/pool"

// injected returns p unchanged: slowdowns are injected only in builds
// tagged gatepower (inject_test.go), which never ship.
func injected(design, scenario string, p pool.Pool) pool.Pool { return p }

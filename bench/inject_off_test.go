//go:build !gatepower

package bench

// injected returns ds unchanged: slowdowns are injected only in builds
// tagged gatepower (inject_test.go), which never ship.
func injected(ds []design) []design { return ds }

// Package pooltest is the reusable conformance suite for pool.Pool
// implementations: Run checks a pool against every property of
// CONFORMANCE.md, one subtest each; Check returns the outcomes as a Report.
package pooltest

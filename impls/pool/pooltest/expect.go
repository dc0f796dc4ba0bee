package pooltest

import (
	"strings"
	"testing"

	"github.com/poolbench/poolbench/impls/pool"
)

// Expected is the known outcome of the suite for a pool that is not ours to
// fix, a third-party library: asserting it with Expect makes a change
// upstream, or in the suite, show up as a difference.
type Expected struct {
	// Status is the outcome of each listed property; a property not listed
	// must pass.
	Status map[string]Status
	// Racy lists the properties whose outcome depends on whether a run
	// hits a race window in the pool, each with the text its failure must
	// carry: a pass or such a failure is accepted, anything else is not.
	Racy map[string]string
}

// Expect runs Check on the pool built by newPool and fails t for every
// outcome that differs from want: every peer adapter's conformance test.
func Expect(t *testing.T, newPool NewPool, caps pool.Capabilities, want Expected) {
	t.Helper()
	report := Check(t, newPool, caps)
	var steady Report
	for _, r := range report {
		cause, ok := want.Racy[r.Property]
		switch {
		case !ok:
			steady = append(steady, r)
		case r.Status == Pass:
			t.Logf("%s passed: this run did not hit the race", r.Property)
		case r.Status == Fail && strings.Contains(r.Message, cause):
			t.Logf("%s failed as known: %s", r.Property, r.Message)
		default:
			t.Errorf("%s: got %v, want pass or a failure saying %q: %s", r.Property, r.Status, cause, r.Message)
		}
	}
	for name := range want.Racy {
		if _, ok := report.Result(name); !ok {
			t.Errorf("%s: not in the report", name)
		}
	}
	for _, d := range steady.Diff(want.Status) {
		t.Error(d)
	}
}

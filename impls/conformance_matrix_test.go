//go:build conformance

package impls_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
	"github.com/poolbench/poolbench/report"
)

// TestConformanceMatrix runs pooltest.Check (every property) on every
// registered pool, ours and third-party, and writes results/conformance.json,
// the matrix REPORT.md shows. It is a generator, not a check: a failing
// property is recorded, not a test failure (each design's own test asserts
// its conformance under -race). The build tag keeps it out of `make test`,
// where it would only repeat those tests; `make report` runs it:
//
//	go test -tags conformance ./impls -run '^TestConformanceMatrix$' -count 1
func TestConformanceMatrix(t *testing.T) {
	c := &report.Conformance{}
	for _, p := range pooltest.Properties() {
		c.Properties = append(c.Properties, report.Property{Name: p.Name, Number: p.Number, Summary: p.Summary})
	}
	for _, d := range impls.Pools() {
		pr := report.PoolReport{Name: d.Name, Peer: d.Peer, Library: d.Library, Advice: d.Advice, Policy: policy(d.Caps)}
		t.Run(d.Name, func(t *testing.T) {
			for _, r := range pooltest.Check(t, d.New, d.Caps) {
				pr.Results = append(pr.Results, report.Result{
					Property: r.Property, Number: r.Number, Status: r.Status.String(), Message: brief(r.Message),
				})
			}
		})
		if len(pr.Results) != len(c.Properties) {
			t.Fatalf("pool %s: pooltest.Check returned %d results for %d properties", d.Name, len(pr.Results), len(c.Properties))
		}
		c.Pools = append(c.Pools, pr)
	}
	path := filepath.Join("..", "results", report.ConformanceFile)
	if err := report.WriteConformance(path, c); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d pools x %d properties", path, len(c.Pools), len(c.Properties))
}

// brief keeps the head of a failure message: a property that fails on
// every one of thousands of operations says so thousands of times, and the
// committed matrix needs the reason, not the repetitions (the test log has
// them all).
func brief(msg string) string {
	const limit = 1000
	lines := strings.SplitAfter(msg, "\n")
	if len(lines) > 10 {
		msg = strings.Join(lines[:10], "") + fmt.Sprintf("… (%d more lines)", len(lines)-10)
	}
	if len(msg) > limit {
		msg = strings.ToValidUTF8(msg[:limit], "") + "…"
	}
	return msg
}

// policy is what caps declares, as the matrix shows it.
func policy(caps pool.Capabilities) report.Policy {
	waiters := "unordered"
	switch {
	case caps.FailFast:
		waiters = "fail fast"
	case caps.FIFO:
		waiters = "FIFO"
	}
	return report.Policy{
		Waiters: waiters, DoublePut: caps.DoublePut.String(), StalePut: caps.StalePut.String(),
		CallerCheck: caps.CallerCheck,
	}
}

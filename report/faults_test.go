package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// faultsPart returns the part of the fixture faults.txt (unit lines kept)
// whose configuration blocks satisfy keep, as a file of its own.
func faultsPart(t *testing.T, keep func(block string) bool) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "results", FaultsFile))
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(b), "\ngoos:")
	out := blocks[0] + "\n"
	for _, bl := range blocks[1:] {
		if keep(bl) {
			out += "goos:" + bl + "\n"
		}
	}
	return out
}

func reportWithFaults(t *testing.T, faults string) string {
	t.Helper()
	dir := copyResults(t)
	if err := os.WriteFile(filepath.Join(dir, "results", FaultsFile), []byte(faults), 0o644); err != nil {
		t.Fatal(err)
	}
	return generate(t, dir)
}

// TestFaultSections: the restart sweeps' own Echo points (config
// "restart") are not a fault run; a file with only one kind of run says
// the other is absent rather than missing.
func TestFaultSections(t *testing.T) {
	all := reportWithFaults(t, faultsPart(t, func(string) bool { return true }))
	if n := strings.Count(all, "\n### latency="); n != 2 {
		t.Errorf("%d fault tables, want 2 (latency=1ms and latency=10ms; the restart runs' Echo points are not a fault):\n%s", n, all)
	}
	for _, want := range []string{
		// conns / latency: 16 workers, each waiting 1ms per echo.
		"At 16 workers the closed-loop ceiling is 16.00k req/s",
		"| 16 | 1.552k ± ∞ / 11.50ms ± ∞ | 1.440k ± ∞ / 13.00ms ± ∞ | 0 ± ∞ (none succeeded) / - |",
		"### server=net, open loop",
		"| fatih | 6 | 21 | 1.200ms ± ∞ | 40.00ms ± 1% | 5 of 6 points |",
		"not recovered in every point: fatih (5 of 6).",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("report lacks %q", want)
		}
	}

	onlyRestart := reportWithFaults(t, faultsPart(t, func(b string) bool { return strings.Contains(b, "\nrestart: 200ms") }))
	if !strings.Contains(onlyRestart, "results/raw/faults.txt holds no echo sweep run under a fault") ||
		!strings.Contains(onlyRestart, "### server=net, closed loop") {
		t.Errorf("report of restart runs only:\n%s", onlyRestart)
	}
	onlyLatency := reportWithFaults(t, faultsPart(t, func(b string) bool { return strings.Contains(b, "\nfault: latency=") }))
	if !strings.Contains(onlyLatency, "results/raw/faults.txt holds no restart results") ||
		!strings.Contains(onlyLatency, "### latency=10ms, server=net, closed loop") {
		t.Errorf("report of latency runs only:\n%s", onlyLatency)
	}
}

// TestFaultCeilingOnlyClosedLoop: the conns/latency ceiling holds for a
// closed loop only; an open-loop run, or a fault that is not a latency,
// gets the ranking alone.
func TestFaultCeilingOnlyClosedLoop(t *testing.T) {
	for _, tc := range []struct{ cfg, heading string }{
		{"model: open\nfault: latency=1ms\n", "### latency=1ms, server=net, open loop"},
		{"model: closed\nfault: reset_peer\n", "### reset_peer, server=net, closed loop"},
	} {
		got := reportWithFaults(t, tc.cfg+"BenchmarkEcho/server=net/pool=ring/maxconns=4/workers=4-2 10 900 req/s 2000000 p99-ns\n")
		if !strings.Contains(got, tc.heading+"\n\nAt 4 workers, by req/s: best ring 900.\n") || strings.Contains(got, "ceiling") {
			t.Errorf("%q:\n%s", tc.cfg, got)
		}
	}
}

// TestRestartNoFailures: when no pool let a failure through, the finding
// says so instead of ranking ties at zero.
func TestRestartNoFailures(t *testing.T) {
	got := reportWithFaults(t, "restart: 200ms\n"+
		"BenchmarkRestart/server=net/pool=ring/model=closed/maxconns=4/workers=4-2 1 0 failures 11000000 down-ns 300000 first-ok-ns 1 recovered\n"+
		"BenchmarkRestart/server=net/pool=puddle/model=closed/maxconns=4/workers=4-2 1 0 failures 12000000 down-ns 400000 first-ok-ns 1 recovered\n")
	want := "No pool let a failure through to its callers; every pool recovered in every point.\n\n" +
		"| pool | failures, workers=4 | first ok | settled | recovered |\n| --- | ---: | ---: | ---: | ---: |\n" +
		"| ring | 0 | 300.0µs ± ∞ | - | 1 of 1 points |\n"
	if !strings.Contains(got, want) || strings.Contains(got, "fewest failures") {
		t.Errorf("report lacks %q:\n%s", want, got)
	}
}

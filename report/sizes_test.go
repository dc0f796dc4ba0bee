package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sizesFixture is a sizes sweep's file: for each server, size and
// repetition one point at 1 worker, rate(size) MB/s; udp loses lost
// datagrams per point.
func sizesFixture(servers []string, sizes []int, rate func(srv string, size int) float64, lost int) string {
	var b strings.Builder
	b.WriteString("Unit req/s better=higher\nUnit echo-MB/s better=higher\ngoos: linux\nsize: sizes\n")
	for _, srv := range servers {
		proto := "echo"
		if srv == "udp" {
			proto = "udp"
		}
		fmt.Fprintf(&b, "server: %s\nprotocol: %s\n", srv, proto)
		for _, size := range sizes {
			for rep := range 6 {
				mb := rate(srv, size) * (1 + float64(rep)/100)
				if srv == "gnet" && size == 64 && rep == 5 {
					// A point that completed nothing: req/s 0, no MB/s.
					fmt.Fprintf(&b, "BenchmarkEcho/server=%s/pool=ring/maxconns=1/workers=1/size=%d-2 1 0 req/s 0 errors\n", srv, size)
					continue
				}
				fmt.Fprintf(&b, "BenchmarkEcho/server=%s/pool=ring/maxconns=1/workers=1/size=%d-2 100 %g req/s %g echo-MB/s 20000 p50-ns 90000 p99-ns",
					srv, size, mb*1e6/float64(size), mb)
				if lost > 0 {
					fmt.Fprintf(&b, " %d errors %d lost-errors", lost, lost)
				}
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

// TestSizesSection: the section lists every size and server with the
// median MB/s and latency, a UDP server's losses, "-" where a server has
// no point (udp above the datagram limit), names the leaders from the
// numbers, and draws the plot.
func TestSizesSection(t *testing.T) {
	dir := copyResults(t, PoolFile)
	tcp := sizesFixture([]string{"net", "gnet"}, []int{64, 1 << 20}, func(srv string, size int) float64 {
		if srv == "gnet" && size > 64 {
			return 2000 // gnet leads at 1 MiB
		}
		if size > 64 {
			return 500
		}
		if srv == "net" {
			return 3 // net leads at 64 B
		}
		return 1.5
	}, 0)
	udp := sizesFixture([]string{"udp"}, []int{64}, func(string, int) float64 { return 2 }, 3)
	for name, text := range map[string]string{SizesFile: tcp, SizesUDPFile: udp} {
		if err := os.WriteFile(filepath.Join(dir, "results", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := generate(t, dir)
	i := strings.Index(got, "## Bulk transfer by message size")
	if i < 0 {
		t.Fatalf("no sizes section:\n%s", got)
	}
	sec := got[i:]
	sec = sec[:strings.Index(sec[3:], "\n## ")+3]
	for _, want := range []string{
		"| size | net | gnet | udp |",
		// Medians of 6 values rising 0-5%: the middle two, 1.02 and 1.03;
		// gnet's at 64 B of the five points that completed requests.
		"| 64 B | 3.075 MB/s (p50 20.00µs, p99 90.00µs) | 1.53 MB/s (p50 20.00µs, p99 90.00µs); 1 of 6 points completed no request | 2.05 MB/s (p50 20.00µs, p99 90.00µs), 3 lost |",
		"| 1 MiB | 512.5 MB/s (p50 20.00µs, p99 90.00µs) | 2050 MB/s (p50 20.00µs, p99 90.00µs) | - |",
		"At 64 B net leads with 3.075 MB/s, 2.01× the slowest (gnet, 1.53 MB/s); at 1 MiB gnet leads with 2050 MB/s, 4.00× the slowest (net, 512.5 MB/s)",
		"results/plots/sizes-workers1.svg",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("sizes section lacks %q:\n%s", want, sec)
		}
	}
	svg, err := os.ReadFile(filepath.Join(dir, "results", "plots", "sizes-workers1.svg"))
	if err != nil || !strings.Contains(string(svg), "<svg") {
		t.Errorf("plot sizes-workers1.svg: %v", err)
	}
}

// TestSizesMissing: without a sizes sweep the section says how to make one.
func TestSizesMissing(t *testing.T) {
	got := generate(t, copyResults(t, PoolFile))
	if !strings.Contains(got, "## Bulk transfer by message size\n\nNo sizes sweep results yet; `make sizes` writes them.") {
		t.Errorf("no placeholder for the sizes section:\n%s", got)
	}
}

// TestSizesFindingNoise: a lead inside the noise (overlapping 95%
// intervals) is said to be not told apart, not a lead.
func TestSizesFindingNoise(t *testing.T) {
	dir := copyResults(t, PoolFile)
	tcp := sizesFixture([]string{"net", "gnet"}, []int{64}, func(srv string, size int) float64 {
		if srv == "net" {
			return 1.01
		}
		return 1
	}, 0)
	if err := os.WriteFile(filepath.Join(dir, "results", SizesFile), []byte(tcp), 0o644); err != nil {
		t.Fatal(err)
	}
	got := generate(t, dir)
	want := "At 64 B net has the highest median, 1.035 MB/s, 1.01× the lowest (gnet, 1.02 MB/s), but their 95% intervals overlap: not told apart."
	if !strings.Contains(got, want) {
		t.Errorf("report lacks %q:\n%s", want, got[strings.Index(got, "## Bulk"):])
	}
}

package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// costsEcho is an echo sweep with the dial baseline: three repetitions of
// ring and dial at 1 and 8 conns, with the kernel's counters.
func costsEcho() string {
	var b strings.Builder
	b.WriteString("Unit req/s better=higher\nUnit p99-ns better=lower\nUnit dials/s better=lower\n" +
		"Unit time-wait-client better=lower\nUnit listen-overflows better=lower\n" +
		"goos: linux\ngoarch: amd64\nserver: net\nprotocol: echo\nlaunch: child\n")
	for rep := range 3 {
		for _, conns := range []int{1, 8} {
			fmt.Fprintf(&b, "BenchmarkEcho/server=net/pool=ring/maxconns=%[1]d/workers=%[1]d-2 1000 %d req/s 100000 p99-ns 0 dials/s 0 time-wait-client 0 listen-overflows\n",
				conns, 20000*conns+rep)
			fmt.Fprintf(&b, "BenchmarkEcho/server=net/pool=dial/maxconns=%[1]d/workers=%[1]d-2 100 %d req/s 900000 p99-ns %d dials/s %d time-wait-client %d listen-overflows\n",
				conns, 4000*conns+rep, 4000*conns+rep, 400*conns, conns/8)
		}
	}
	return b.String()
}

// TestWhatPoolingSaves: the report sets the dial baseline against the best
// pool at each level and lists the kernel counters that are not 0, each
// with its meaning; a counter 0 everywhere is not listed.
func TestWhatPoolingSaves(t *testing.T) {
	dir := copyResults(t)
	if err := os.WriteFile(filepath.Join(dir, "results", EchoFile), []byte(costsEcho()), 0o644); err != nil {
		t.Fatal(err)
	}
	md := generate(t, dir)
	_, section, ok := strings.Cut(md, "## What pooling saves")
	if !ok {
		t.Fatalf("no section on what pooling saves:\n%s", md)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, want := range []string{
		"| 1 | 4.001k | ring | 20.00k | 5.00× | 900.0µs | 100.0µs | 4.001k | 400 | 0 |",
		"| 8 | 32.00k | ring | 160.0k | 5.00× | 900.0µs | 100.0µs | 32.00k | 3.200k | 0 |",
		"| time-wait-client | TIME_WAIT sockets the point left on the client side",
		"net/dial/1: 400, net/dial/8: 3.200k |",
		"| listen-overflows | connects dropped because an accept queue was full",
		"net/dial/8: 1 |",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the section lacks %q:\n%s", want, section)
		}
	}
	if strings.Contains(section, "time-wait-server") || strings.Contains(section, "net/ring/") {
		t.Errorf("the section lists a counter or a point that is 0 everywhere:\n%s", section)
	}
}

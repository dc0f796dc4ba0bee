package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnfilledIsNotZero: a point whose pool had not filled inside the
// window (silenceper dialing 64 conns one at a time under 10ms dials) is
// reported as "filled F of N conns in the window", never as 0 req/s, both
// for a file that records filled-conns and for an older one that does not
// (0 req/s with fewer dials than conns needed).
func TestUnfilledIsNotZero(t *testing.T) {
	echo := "goos: linux\nserver: net\n" +
		"BenchmarkEcho/server=net/pool=ring/maxconns=64/workers=64-2 1000 5000 req/s 100000 p99-ns 0 errors 64 dials 64 filled-conns\n" +
		"BenchmarkEcho/server=net/pool=silenceper/maxconns=64/workers=64-2 1 0 req/s 0 errors 23 dials\n" +
		"BenchmarkEcho/server=net/pool=puddle/maxconns=64/workers=64-2 10 50 req/s 100000 p99-ns 0 errors 64 dials 40 filled-conns\n" +
		"BenchmarkEcho/server=net/pool=ring/maxconns=4/workers=4-2 1000 5000 req/s 100000 p99-ns 0 errors 4 dials 4 filled-conns\n"
	dir := copyResults(t)
	if err := os.WriteFile(filepath.Join(dir, "results", EchoFile), []byte(echo), 0o644); err != nil {
		t.Fatal(err)
	}
	got := generate(t, dir)
	for _, want := range []string{"filled 23 of 64 conns in the window", "filled 40 of 64 conns in the window"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(got, "none succeeded") {
		t.Error("an unfilled pool is reported as 0 req/s (none succeeded)")
	}
}

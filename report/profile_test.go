package report

import (
	"github.com/poolbench/poolbench/results"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfileLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pool-profile.txt")
	summary := "ring exhausted samples 1.50s\n" +
		"ring exhausted 40 runtime.futex\n" +
		"ring exhausted 20 github.com/poolbench/poolbench/impls/ring.(*Pool).Get\n" +
		"ring exhausted 10 runtime.mallocgc\n" +
		"ring exhausted 10 github.com/poolbench/poolbench/bench.cycle\n" +
		"ring exhausted 5 runtime.nanotime (inline)\n" +
		"floor parallel 90 github.com/poolbench/poolbench/bench.(*floor).Get\n" +
		"fifofloor exhausted 60 github.com/poolbench/poolbench/bench.(*fifoFloor).Get\n"
	if err := os.WriteFile(path, []byte(summary), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := readProfiles(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].impl != "ring" || rows[0].samples != "1.50s" || len(rows[0].funcs) != 5 {
		t.Fatalf("rows %+v", rows)
	}
	got := profileLine(rows[0])
	want := "- **ring**, exhausted: 40% scheduler (park, wake, preempt), 20% the pool (its code, locks and atomics), " +
		"15% other, 10% GC and allocation, 10% benchmark harness, 5% clock reads; " +
		"most in one function: `runtime.futex` (40%) [1.50s of samples, each share ±8 points]\n"
	if got != want {
		t.Fatalf("profileLine:\n got %s\nwant %s", got, want)
	}
	var b strings.Builder
	writeProfiles(&b, rows)
	if !strings.Contains(b.String(), "scenario=parallel:\n\n- **floor**, parallel: 90% the pool (its code, locks and atomics), 10% other") ||
		!strings.Contains(b.String(), "- **fifofloor**, exhausted: 60% the pool (its code, locks and atomics), 40% other") {
		t.Fatalf("writeProfiles:\n%s", b.String())
	}
}

func TestProfilesBadInput(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, results.RawDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if rows, err := readProfiles(filepath.Join(dir, ProfileFile)); err != nil || rows != nil {
		t.Fatalf("missing file: %v, %v; want no rows, no error", rows, err)
	}
	for _, bad := range []string{"ring exhausted 40\n", "ring exhausted lots runtime.futex\n", "ring exhausted 140 runtime.futex\n"} {
		path := filepath.Join(dir, ProfileFile)
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readProfiles(path); err == nil || !strings.Contains(err.Error(), ProfileFile+":1:") {
			t.Errorf("%q: error %v, want one naming %s:1", bad, err, ProfileFile)
		}
	}
}

// TestShareError: the 95% half-width of a share, in points, for a row's
// sample time at 100 Hz, and no figure for a time that is no sample's.
func TestShareError(t *testing.T) {
	for _, c := range []struct {
		samples string
		want    float64
		ok      bool
	}{
		{"360ms", 16.3, true}, // 36 samples: 1.96 * sqrt(1/4/36) = 0.163
		{"1.50s", 8.0, true},
		{"10ms", 98, true},
		{"5ms", 0, false},
		{"many", 0, false},
	} {
		got, ok := shareError(c.samples)
		if ok != c.ok || math.Abs(got-c.want) > 0.05 {
			t.Errorf("shareError(%q) = %.2f, %v; want %.1f, %v", c.samples, got, ok, c.want, c.ok)
		}
	}
}

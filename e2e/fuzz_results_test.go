package e2e

import (
	"bytes"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/poolbench/poolbench/gate"
)

// FuzzReadResults feeds arbitrary bytes to gate.Read, the reader the gate
// uses for result files, and checks that nothing downstream panics on what
// it accepts: Compare and Format of the set against itself. What Read
// accepts must also survive a write and re-read unchanged, so a result
// file the gate saves (-save) means what the gate compared. Seed inputs are
// in testdata/fuzz/FuzzReadResults and run with every go test.
func FuzzReadResults(f *testing.F) {
	f.Add([]byte("goos: linux\nBenchmarkPool/impl=ring/op=getput-2 1000 10.5 ns/op 0 B/op\n"))
	f.Add([]byte("BenchmarkEcho/server=net/pool=ring/conns=4 1 51234 req/s 120000 p99-ns\nPASS\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, warnings, err := gate.Read(bytes.NewReader(data), "fuzz.txt")
		if err != nil {
			if len(set.Results) != 0 {
				t.Fatalf("Read failed (%v) but returned %d results", err, len(set.Results))
			}
			return
		}
		// benchfmt accepts "Benchmark 0 0 0" (an empty name); what matters is
		// that every accepted result carries a measurement.
		for _, r := range set.Results {
			if len(r.Values) == 0 {
				t.Fatalf("Read accepted a result with no values: %q", r.Name)
			}
		}
		o, err := gate.Compare(set, set, gate.DefaultOptions)
		if err == nil {
			if err := gate.Format(io.Discard, o); err != nil {
				t.Fatalf("Format: %v", err)
			}
		}
		if len(set.Results) == 0 {
			return
		}
		path := filepath.Join(t.TempDir(), "results.txt")
		if err := gate.WriteSet(path, set); err != nil {
			t.Fatalf("WriteSet of what Read accepted: %v", err)
		}
		back, _, err := gate.ReadFile(path)
		if err != nil {
			t.Fatalf("re-read of a written set: %v", err)
		}
		if len(back.Results) != len(set.Results) {
			t.Fatalf("re-read %d results, wrote %d (warnings on first read: %q)", len(back.Results), len(set.Results), warnings)
		}
		for i, r := range set.Results {
			b := back.Results[i]
			if !bytes.Equal(r.Name, b.Name) || r.Iters != b.Iters || len(r.Values) != len(b.Values) {
				t.Fatalf("result %d: wrote %s %d %v, read back %s %d %v", i, r.Name, r.Iters, r.Values, b.Name, b.Iters, b.Values)
			}
			for j, v := range r.Values {
				w := b.Values[j]
				if v.Unit != w.Unit || !sameFloat(v.Value, w.Value) {
					t.Fatalf("result %d value %d: wrote %v %s, read back %v %s", i, j, v.Value, v.Unit, w.Value, w.Unit)
				}
			}
		}
	})
}

// sameFloat is == that also holds for two NaNs.
func sameFloat(a, b float64) bool {
	return a == b || math.IsNaN(a) && math.IsNaN(b)
}

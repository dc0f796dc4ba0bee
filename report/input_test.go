package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnusableInput: a result file that is there but unusable stops the
// report with an InputError naming the file and why, and writes nothing:
// the previous REPORT.md stays, and no plot is drawn. A file that is
// missing is not an error (TestMissingInputs).
func TestUnusableInput(t *testing.T) {
	for _, tc := range []struct {
		name, file, body, want string
	}{
		{"empty echo", EchoFile, "", "echo.txt holds no BenchmarkEcho results"},
		{"malformed echo", EchoFile, "BenchmarkEcho/server=net 1 fast req/s\n",
			"echo.txt holds no BenchmarkEcho results (1 malformed line(s) skipped; the first: "},
		{"echo of other benchmarks", EchoFile, "BenchmarkPool/impl=ring-2 100 10 ns/op\n", "echo.txt holds no BenchmarkEcho results"},
		{"NaN in echo", EchoFile, "BenchmarkEcho/server=net/pool=ring/maxconns=1/workers=1 1 NaN req/s\n",
			"echo.txt:1: BenchmarkEcho/server=net/pool=ring/maxconns=1/workers=1: value NaN req/s is not a finite number"},
		{"empty pool", PoolFile, "PASS\n", "pool.txt holds no BenchmarkPool results"},
		{"malformed pool", PoolFile, "BenchmarkPool/impl=ring 1\n", "pool.txt holds no BenchmarkPool results (1 malformed"},
		{"empty faults", FaultsFile, "fault: latency=1ms\n", "faults.txt holds no BenchmarkEcho or BenchmarkRestart results"},
		{"Inf in faults", FaultsFile, "BenchmarkRestart/server=net/pool=ring/model=closed 1 +Inf failures\n", "value +Inf failures is not a finite number"},
		{"corrupt conformance", ConformanceFile, "{", "conformance.json: unexpected end of JSON input"},
		{"empty conformance", ConformanceFile, "", "conformance.json: unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyResults(t, EchoFile)
			if err := os.WriteFile(filepath.Join(dir, "results", tc.file), []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "REPORT.md")
			if err := os.WriteFile(out, []byte("previous\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Generate(Options{Results: filepath.Join(dir, "results"), Out: out, Build: fixedBuild})
			var bad *InputError
			if !errors.As(err, &bad) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Generate: %v; want one line of InputError containing %q", err, tc.want)
			}
			if b, _ := os.ReadFile(out); string(b) != "previous\n" {
				t.Errorf("REPORT.md after a failed Generate: %q", b)
			}
			if _, err := os.Stat(filepath.Join(dir, "results", PlotDir)); !os.IsNotExist(err) {
				t.Errorf("a failed Generate drew plots (%v)", err)
			}
		})
	}
}

// TestPlotEdges: sweeps a real run can produce, and a fuzzer found, drawn
// without a panic. gonum's log axis panicked on a sweep of the single
// level conns=1 (it widens [1, 1] to [0, 2]), which a run such as
// "poolbench sweep -conns 1 -fault reset_peer" writes, with 0 req/s.
func TestPlotEdges(t *testing.T) {
	for _, tc := range []struct {
		name, echo string
		plots      int
		want       []string
	}{
		{"one level of 0 req/s", "BenchmarkEcho/server=net/pool=ring/maxconns=1/workers=1-2 1 0 req/s 7 errors\n", 1,
			[]string{"| 1 | 0 ± ∞ (none succeeded) |", "| ring | none up to 1 workers | 0: no request succeeded | 7 |"}},
		{"one level", "BenchmarkEcho/server=net/pool=ring/maxconns=1/workers=1-2 100 500 req/s 2000 p99-ns\n", 2, nil},
		{"no server or pool", "BenchmarkEcho/maxconns=1/workers=1 0 0 req/s\n", 1, []string{"### server=\n"}},
		{"levels that are not positive numbers", "BenchmarkEcho/server=net/pool=ring/maxconns=0/workers=0 1 5 req/s\n" +
			"BenchmarkEcho/server=net/pool=ring/maxconns=x/workers=x 1 5 req/s\nBenchmarkEcho/server=net/pool=ring/maxconns=4/workers=4 1 5 req/s\n", 1,
			[]string{`Not on the plots (their log axis needs workers > 0): ring at workers="0", ring at workers="x".`}},
		{"only levels that are not positive", "BenchmarkEcho/server=net/pool=ring/maxconns=0/workers=0 1 5 req/s\n", 0,
			[]string{`ring at workers="0"`}},
		{"all zero at two levels", "BenchmarkEcho/server=net/pool=ring/maxconns=1/workers=1 1 0 req/s\nBenchmarkEcho/server=net/pool=ring/maxconns=8/workers=8 1 0 req/s\n", 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyResults(t)
			if err := os.WriteFile(filepath.Join(dir, "results", EchoFile), []byte(tc.echo), 0o644); err != nil {
				t.Fatal(err)
			}
			got := generate(t, dir)
			plots, _ := filepath.Glob(filepath.Join(dir, "results", PlotDir, "*.svg"))
			if len(plots) != tc.plots {
				t.Errorf("%d plots %q, want %d", len(plots), plots, tc.plots)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("report lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

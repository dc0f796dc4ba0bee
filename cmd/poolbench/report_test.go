package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results")
	if err := os.MkdirAll(filepath.Join(results, "raw"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"raw/pool.txt", "raw/echo.txt", "raw/faults.txt", "conformance.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "report", "testdata", "results", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(results, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "REPORT.md")
	stdout, stderr, code := runCmd("report", "-results", results, "-out", out)
	if code != 0 || stderr != "" || !strings.Contains(stdout, "wrote "+out) {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The command passes the registry, so the fixture matrix (ring, fatih)
	// is compared with the real pool list.
	for _, want := range []string{"## Conformance", "### server=gnet", "](results/plots/echo-gnet-reqs.svg)",
		"### latency=10ms, server=net", "## Restart under load", "## Reproduce"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "-results", filepath.Join(dir, "nope")}, "does not exist"},
		{[]string{"report", "-results", results, "extra"}, "unexpected arguments"},
	} {
		_, stderr, code := runCmd(tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestReportUnusableInput: an input that is there but unusable is bad
// input (exit 2, one line), not a failed run, and REPORT.md stays.
func TestReportUnusableInput(t *testing.T) {
	for _, tc := range []struct{ file, body, want string }{
		{"conformance.json", "{", "conformance.json: unexpected end of JSON input"},
		{"raw/echo.txt", "", "echo.txt holds no BenchmarkEcho results"},
		{"raw/pool.txt", "garbage\n", "pool.txt holds no BenchmarkPool results"},
	} {
		dir := writeFiles(t, map[string]string{tc.file: tc.body, "REPORT.md": "previous\n"})
		out := filepath.Join(dir, "REPORT.md")
		_, stderr, code := runCmd("report", "-results", dir, "-out", out)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s %q: exit %d, stderr %q; want 2 and one line with %q", tc.file, tc.body, code, stderr, tc.want)
		}
		if b, _ := os.ReadFile(out); string(b) != "previous\n" {
			t.Errorf("%s %q: REPORT.md is now %q", tc.file, tc.body, b)
		}
	}
}

// TestSplitCommand: split writes one file per pool design of the raw
// files, the pool key out of every name; raw files without results are bad
// input and write nothing.
func TestSplitCommand(t *testing.T) {
	dir := writeFiles(t, map[string]string{"raw/pool.txt": "goos: linux\n" +
		"BenchmarkPool/impl=ring/scenario=parallel-2 1000 20 ns/op\nBenchmarkPool/impl=chanpool/scenario=parallel-2 1000 30 ns/op\n"})
	stdout, stderr, code := runCmd("split", "-results", dir)
	if code != 0 || stderr != "" || !strings.Contains(stdout, "wrote 2 per-pool files") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for name, want := range map[string]string{"ring.txt": "BenchmarkPool/scenario=parallel-2 1000 20 ns/op", "0-chanpool.txt": "BenchmarkPool/scenario=parallel-2 1000 30 ns/op"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %v\n%s\nwant a line %q", name, err, b, want)
		}
	}
	empty := writeFiles(t, map[string]string{"raw/pool.txt": "PASS\n"})
	_, stderr, code = runCmd("split", "-results", empty)
	if code != 2 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("split of raw files without results: exit %d, stderr %q; want 2 and one line", code, stderr)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 1 {
		t.Errorf("split of raw files without results left %d entries, want raw/ alone", len(entries))
	}
}

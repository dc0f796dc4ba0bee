package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/gate"
)

// benchLines renders n benchfmt lines of one benchmark, value i-th = v*(1+spread_i).
func benchLines(name string, n int, v float64) string {
	var b strings.Builder
	b.WriteString("goos: linux\npkg: example.com/p\n")
	for i := range n {
		fmt.Fprintf(&b, "Benchmark%s-2 1000 %.2f ns/op\n", name, v*(1+0.01*float64(i%5-2)))
	}
	return b.String()
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runCmd runs poolbench with args and returns stdout, stderr and the exit status.
func runCmd(args ...string) (stdout, stderr string, code int) {
	var out, errb strings.Builder
	code = exitStatus(&errb, run(&out, &errb, args))
	return out.String(), errb.String(), code
}

func TestGateFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"old.txt":   benchLines("A", 10, 100),
		"same.txt":  benchLines("A", 10, 100),
		"slow.txt":  benchLines("A", 10, 125),
		"few.txt":   benchLines("A", 3, 100),
		"nan.txt":   "goos: linux\n\nBenchmarkX 1 NaN ns/op\n",
		"inf.txt":   "BenchmarkX 1 +Inf req/s\n",
		"empty.txt": "PASS\n",
		"junk.txt":  "BenchmarkX 1 ten ns/op\n",
	})
	f := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    string
		stderrHas string
	}{
		{"regression", []string{f("old.txt"), f("slow.txt")}, 1, "gate: FAIL", "poolbench: gate: 1 regression(s) worse than 5% at alpha=0.05"},
		{"same", []string{f("old.txt"), f("same.txt")}, 0, "gate: PASS", ""},
		{"higher threshold", []string{"-threshold", "30", f("old.txt"), f("slow.txt")}, 0, "gate: PASS", ""},
		{"too few samples", []string{f("few.txt"), f("few.txt")}, 2, "gate: CANNOT DECIDE", "need >= 5 paired runs per side for alpha=0.05; got 3"},
		{"missing file", []string{f("old.txt"), f("nope.txt")}, 2, "", "nope.txt"},
		{"one file", []string{f("old.txt")}, 2, "", "want OLD.txt NEW.txt or -base REF"},
		{"bad alpha", []string{"-alpha", "2", f("old.txt"), f("same.txt")}, 2, "", "-alpha 2: want a number between 0 and 1"},
		{"bad correction", []string{"-correction", "bonf", f("old.txt"), f("same.txt")}, 2, "", "unknown correction"},
		{"base with files", []string{"-base", "HEAD", f("old.txt")}, 2, "", "-base takes no file arguments"},
		{"base with few runs", []string{"-base", "HEAD", "-pkg", ".", "-count", "4"}, 2, "", "-count 4: need >= 5 rounds for alpha=0.05"},
		{"negative confirm", []string{"-base", "HEAD", "-pkg", ".", "-confirm", "-1"}, 2, "", "-confirm -1: want 0 to"},
		{"NaN value", []string{f("nan.txt"), f("nan.txt")}, 2, "", "nan.txt:3: BenchmarkX: value NaN ns/op is not a finite number"},
		{"Inf value", []string{f("old.txt"), f("inf.txt")}, 2, "", "inf.txt:1: BenchmarkX: value +Inf req/s is not a finite number"},
		{"empty old", []string{f("empty.txt"), f("old.txt")}, 2, "", "empty.txt holds no benchmark results"},
		{"malformed old", []string{f("junk.txt"), f("old.txt")}, 2, "", "junk.txt holds no benchmark results (1 malformed line(s) skipped; the first: "},
		{"empty new", []string{f("old.txt"), f("empty.txt")}, 2, "", "empty.txt holds no benchmark results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCmd(append([]string{"gate"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout)
			}
			if tt.stderrHas != "" && (!strings.Contains(stderr, tt.stderrHas) || strings.Count(stderr, "\n") != 1) {
				t.Errorf("stderr is not one line containing %q:\n%s", tt.stderrHas, stderr)
			}
		})
	}
}

// TestGateSave: -save writes both sides when both have results, whatever
// the verdict, and a run that stops on bad input leaves a saved pair as it
// was.
func TestGateSave(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"old.txt":   benchLines("A", 10, 100),
		"few.txt":   benchLines("A", 3, 100),
		"empty.txt": "",
	})
	f := func(name string) string { return filepath.Join(dir, name) }
	saved := filepath.Join(dir, "saved")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(saved, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// Too few samples: no verdict, but the compared results are real.
	if _, stderr, code := runCmd("gate", "-save", saved, f("old.txt"), f("few.txt")); code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, stderr)
	}
	if n := strings.Count(read("old.txt"), "BenchmarkA"); n != 10 {
		t.Errorf("saved old.txt has %d results, want 10", n)
	}
	if n := strings.Count(read("new.txt"), "BenchmarkA"); n != 3 {
		t.Errorf("saved new.txt has %d results, want 3", n)
	}
	before := read("old.txt") + read("new.txt")
	for _, args := range [][]string{
		{f("empty.txt"), f("old.txt")},
		{f("old.txt"), f("empty.txt")},
		{f("old.txt"), f("missing.txt")},
	} {
		if _, stderr, code := runCmd(append([]string{"gate", "-save", saved}, args...)...); code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, code, stderr)
		}
	}
	if after := read("old.txt") + read("new.txt"); after != before {
		t.Errorf("a run that stopped on bad input changed the saved pair:\n%s", after)
	}
	entries, _ := os.ReadDir(saved)
	if len(entries) != 2 {
		t.Errorf("saved dir holds %d entries, want old.txt and new.txt only", len(entries))
	}
}

// TestSaveSetsEmptySide: saveSets (reached with -base, whose sides are not
// checked before the comparison) writes nothing when a side is empty.
func TestSaveSetsEmptySide(t *testing.T) {
	dir := writeFiles(t, map[string]string{"old.txt": "previous\n"})
	set, _, err := gate.Read(strings.NewReader(benchLines("A", 10, 100)), "x.txt")
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	if err := saveSets(&stderr, dir, gate.Set{}, set); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "old.txt")); string(b) != "previous\n" {
		t.Errorf("old.txt = %q, want it untouched", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); !os.IsNotExist(err) {
		t.Errorf("new.txt written although old is empty (%v)", err)
	}
	if !strings.Contains(stderr.String(), "nothing written") {
		t.Errorf("stderr = %q, want a note that nothing was written", stderr.String())
	}
}

// TestGateBase runs the whole -base path on a throwaway git repository: a
// commit of the stand-in benchmark, then a working tree that does 25% more
// work per op. The gate must check the commit out in a worktree, build both,
// run them interleaved, fail naming the benchmark, save both sides, and
// remove the worktree. (That a gate passes A against A is tested in package
// gate, on the same RunInterleaved and Compare.)
func TestGateBase(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "gate", "testdata", "spin", "spin_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	repo := writeFiles(t, map[string]string{
		"go.mod":       "module example.com/spin\n\ngo 1.26\n",
		"spin_test.go": string(src),
	})
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "."},
		{"-c", "user.name=gate", "-c", "user.email=gate@example.com", "commit", "-q", "-m", "base"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	t.Chdir(repo)
	slower := strings.Replace(string(src), "const baseWork = 4000", "const baseWork = 5000", 1)
	if slower == string(src) {
		t.Fatal("spin_test.go no longer declares baseWork = 4000; update this test")
	}
	if err := os.WriteFile("spin_test.go", []byte(slower), 0o644); err != nil {
		t.Fatal(err)
	}

	// A loaded machine can hide a real slowdown from one gate now and then;
	// a second gate decides.
	var stdout, stderr string
	var code int
	for range 2 {
		stdout, stderr, code = runCmd("gate", "-base", "HEAD", "-pkg", ".", "-bench", "^BenchmarkSpin$",
			"-benchtime", "5000x", "-count", "10", "-confirm", "8", "-save", "saved")
		if code == 1 {
			break
		}
	}
	// The row is nominated by the first 10 rounds and decided by 8 fresh
	// pairs of the confirming rerun, which the verdict names.
	if code != 1 || !regexp.MustCompile(`(?m)^gate: REGRESSION Spin(-\d+)? cpu-sec/op \+.* in 8 fresh pairs: \+`).MatchString(stdout) {
		t.Fatalf("25%% slower working tree: exit %d, want 1 with a confirmed cpu-sec/op REGRESSION line\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stderr, "gate: round "); n != 36 {
		t.Errorf("%d runs reported, want 36 (10 rounds of 2, then 8 confirming pairs):\n%s", n, stderr)
	}
	if !regexp.MustCompile(`gate: confirming [12] row\(s\), look 1/1`).MatchString(stderr) {
		t.Errorf("no confirming rerun reported:\n%s", stderr)
	}
	// -save left benchstat input behind, and the worktree is gone.
	for _, name := range []string{"old.txt", "new.txt"} {
		if b, err := os.ReadFile(filepath.Join("saved", name)); err != nil || strings.Count(string(b), "BenchmarkSpin") != 10 {
			t.Errorf("saved/%s: %v, want 10 BenchmarkSpin results:\n%s", name, err, b)
		}
	}
	out, err := exec.Command("git", "worktree", "list").Output()
	if err != nil || strings.Count(string(out), "\n") != 1 {
		t.Errorf("git worktree list after the gate: %v\n%s", err, out)
	}
}

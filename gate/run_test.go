package gate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// binDir holds test binaries built once for the whole package run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gate-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var spinOnce struct {
	sync.Once
	bin Binary
	err error
}

// spinBinary builds testdata/spin once (without -race, as the real gate
// builds benchmarks) and returns it as a Binary.
func spinBinary(t *testing.T) Binary {
	t.Helper()
	spinOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		path := filepath.Join(binDir, "spin.test")
		dir, err := BuildTest(ctx, ".", "./testdata/spin", path)
		spinOnce.bin, spinOnce.err = Binary{Path: path, Dir: dir}, err
	})
	if spinOnce.err != nil {
		t.Fatal(spinOnce.err)
	}
	return spinOnce.bin
}

// gateSpin runs the stand-in benchmark interleaved, old against new, through
// the same RunInterleaved and Compare the command uses, and returns the outcome.
func gateSpin(t *testing.T, old, new Binary) *Outcome {
	t.Helper()
	// A bound on a hang, not on speed: 20 processes on a machine loaded 30
	// times over its cores took more than two minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// 5000 ops of ~7µs: ~35ms a process; the pairs, not long runs, carry
	// the test.
	o := spinPairs(t, ctx, old, new, RunOptions{Bench: "^BenchmarkSpin$", Benchtime: "5000x", Count: 10})
	t.Logf("gate output:\n%s", formatted(t, o))
	return o
}

// spinPairs runs the stand-in benchmark as run says, interleaved, old
// against new, and compares the sides as the command does.
func spinPairs(t *testing.T, ctx context.Context, old, new Binary, run RunOptions) *Outcome {
	t.Helper()
	oldSet, newSet, err := RunInterleaved(ctx, old, new, run)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Compare(oldSet, newSet, DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// formatted is o as the command prints it.
func formatted(t *testing.T, o *Outcome) string {
	t.Helper()
	var b strings.Builder
	if err := Format(&b, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A single gate is a statistical test: against A it alarms with probability
// up to alpha (5%) by design, and on a loaded machine it can miss a real
// 25% slowdown now and then. So, like CI, each self-test allows one more
// gate: A against A fails only if two gates in a row alarm (at most 0.25%),
// and the slowdown must be flagged by one of two gates.

func TestGateFlagsInjectedSlowdown(t *testing.T) {
	old := spinBinary(t)
	slow := old
	slow.Env = []string{"GATE_SPIN_EXTRA=25"} // 25% more work per op
	var o *Outcome
	var cpu *Row
	for range 2 {
		o = gateSpin(t, old, slow)
		if cpu = findRow(o, "cpu-sec/op"); cpu != nil && cpu.Verdict == Regression {
			break
		}
	}
	if o.OldCount != 10 || o.NewCount != 10 {
		t.Fatalf("got %d old and %d new results, want 10 each", o.OldCount, o.NewCount)
	}
	// CPU time per op is what the extra work changes; wall time (sec/op)
	// may or may not show it, depending on the neighbours' load.
	if cpu == nil || cpu.Verdict != Regression || !strings.HasPrefix(cpu.Name, "Spin") {
		t.Fatalf("Spin cpu-sec/op row = %+v, want a regression", cpu)
	}
	if c := cpu.Change; c < 0.15 || c > 0.40 {
		t.Errorf("measured CPU time change %+.1f%%, want near +25%%", 100*c)
	}
	for _, r := range o.Rows {
		if r.Verdict == Regression && r.Unit != "cpu-sec/op" && r.Unit != "sec/op" {
			t.Errorf("unexpected regression in %s: %+v", r.Unit, r)
		}
	}
	if err, ok := o.Err().(*Error); !ok || err.ExitCode() != 1 {
		t.Errorf("Err() = %v, want exit code 1", o.Err())
	}
}

// findRow returns o's row in unit, or nil.
func findRow(o *Outcome, unit string) *Row {
	for i := range o.Rows {
		if o.Rows[i].Unit == unit {
			return &o.Rows[i]
		}
	}
	return nil
}

func TestGatePassesAAgainstA(t *testing.T) {
	bin := spinBinary(t)
	var err error
	for range 2 {
		o := gateSpin(t, bin, bin)
		if len(o.Rows) == 0 || o.Rows[0].Verdict == OnlyOld || o.Rows[0].Verdict == OnlyNew {
			t.Fatalf("A against A compared nothing: %+v", o.Rows)
		}
		if err = o.Err(); err == nil {
			return
		}
	}
	t.Fatalf("A against A alarmed in two gates in a row: %v", err)
}

func TestRunInterleavedReportsAFailingBinary(t *testing.T) {
	bin := spinBinary(t)
	bad := bin
	bad.Path = filepath.Join(binDir, "missing.test")
	_, _, err := RunInterleaved(context.Background(), bin, bad, RunOptions{Bench: ".", Benchtime: "1x", Count: 1})
	if err == nil || !strings.Contains(err.Error(), "new run 1") {
		t.Fatalf("err = %v, want a failure naming the new side's first run", err)
	}
}

func TestExcerpt(t *testing.T) {
	stderr := "panic: test timed out after 2s\n\trunning tests:\n\t\tBenchmarkSpin (2s)\n\ngoroutine 1 [running]:\nmain.f()\n"
	if got, want := excerpt("", stderr), "panic: test timed out after 2s | \trunning tests: | \t\tBenchmarkSpin (2s)"; got != want {
		t.Errorf("excerpt of a timeout = %q, want %q", got, want)
	}
	stdout := "BenchmarkP/a-2 1 2 ns/op\n--- FAIL: BenchmarkP/b\n    p_test.go:9: Get: boom\n        detail\nBenchmarkP/c-2 1 2 ns/op\n--- FAIL: BenchmarkP\nFAIL\n"
	if got, want := excerpt(stdout, ""), "--- FAIL: BenchmarkP/b | p_test.go:9: Get: boom | detail | --- FAIL: BenchmarkP"; got != want {
		t.Errorf("excerpt of a failure = %q, want %q", got, want)
	}
	if got := excerpt("a\nb\n", "exit\n"); got != "a | b | exit" {
		t.Errorf("excerpt of other output = %q", got)
	}
}

// TestRunTimeout: a benchmark that outlives RunOptions.Timeout fails the run,
// naming it, instead of hanging the gate.
func TestRunTimeout(t *testing.T) {
	bin := spinBinary(t)
	slow := bin
	slow.Env = []string{"GATE_SPIN_EXTRA=100000"} // 1000x the work: far beyond the timeout
	_, _, err := RunInterleaved(context.Background(), bin, slow,
		RunOptions{Bench: "^BenchmarkSpin$", Benchtime: "20000x", Count: 1, Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "no result after 2s; it was running BenchmarkSpin") {
		t.Fatalf("err = %v, want a timeout naming BenchmarkSpin", err)
	}
}

// confirmSpin nominates the stand-in benchmark's rows as suspects (whatever
// the first pass said) and confirms them with fresh pairs of old and new.
func confirmSpin(t *testing.T, old, new Binary) *Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := RunOptions{Bench: "^BenchmarkSpin$", Benchtime: "5000x", Count: 5}
	o := spinPairs(t, ctx, old, new, run)
	for i := range o.Rows {
		if o.Rows[i].Kind == Timed {
			o.Rows[i].Verdict = Suspect
		}
	}
	if err := Confirm(ctx, old, new, o, run, ConfirmOptions{Batch: 8, Pairs: 16}); err != nil {
		t.Fatal(err)
	}
	t.Logf("gate output:\n%s", formatted(t, o))
	return o
}

// TestConfirm: a suspect row is decided on fresh pairs alone, and the
// verdict says how many: a 25% slower side is confirmed within the cap, an
// unchanged one is cleared (allowing one retry, as a single confirmation
// alarms with probability up to its level).
func TestConfirm(t *testing.T) {
	old := spinBinary(t)
	slow := old
	slow.Env = []string{"GATE_SPIN_EXTRA=25"}
	var cpu *Row
	for range 2 {
		o := confirmSpin(t, old, slow)
		if cpu = findRow(o, "cpu-sec/op"); cpu != nil && cpu.Verdict == Regression {
			break
		}
	}
	if cpu == nil || cpu.Verdict != Regression || cpu.Confirm == nil || cpu.Confirm.Pairs < 8 || cpu.Confirm.Pairs > 16 {
		t.Fatalf("slowed cpu-sec/op row = %+v, want a Regression confirmed by 8 to 16 fresh pairs", cpu)
	}
	if c := cpu.Confirm.Ratio - 1; c < 0.15 || c > 0.40 {
		t.Errorf("confirmed change %+.1f%%, want near +25%%", 100*c)
	}

	var aa *Outcome
	for range 2 {
		if aa = confirmSpin(t, old, old); len(aa.Regressions()) == 0 {
			break
		}
	}
	if n := len(aa.Regressions()); n != 0 || aa.Confirmed == nil || aa.Confirmed.Cleared != aa.Confirmed.Suspects {
		t.Fatalf("A against A: %d regressions after confirmation in two tries, summary %+v", n, aa.Confirmed)
	}
	for _, r := range aa.Rows {
		if r.Kind == Timed && (r.Verdict != Cleared || r.Confirm == nil || r.Confirm.Pairs < 8) {
			t.Errorf("A against A row %s %s: verdict %v, confirmation %+v; want cleared by >= 8 fresh pairs", r.Name, r.Unit, r.Verdict, r.Confirm)
		}
	}
}

func TestRerunGroups(t *testing.T) {
	groups, cpu := rerunGroups([]string{
		"Pool/impl=ring/scenario=uncontended-2",
		"Pool/impl=ring/scenario=exhausted",
		"Pool/impl=mutexlist/scenario=exhausted-yield-2",
		"Spin-4",
	})
	want := []string{
		`^(?:BenchmarkPool)$/^(?:impl=mutexlist)$/^(?:scenario=exhausted-yield)$`,
		`^(?:BenchmarkPool)$/^(?:impl=ring)$/^(?:scenario=exhausted|scenario=uncontended)$`,
		`^(?:BenchmarkSpin)$`,
	}
	if fmt.Sprint(groups) != fmt.Sprint(want) || cpu != "1,2,4" {
		t.Errorf("rerunGroups = %q, %q; want %q, %q", groups, cpu, want, "1,2,4")
	}
}

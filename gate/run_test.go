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
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	oldSet, newSet, err := RunInterleaved(ctx, old, new, RunOptions{Bench: "^BenchmarkSpin$", Benchtime: "3000x", Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	o, err := Compare(oldSet, newSet, DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Format(&b, o); err != nil {
		t.Fatal(err)
	}
	t.Logf("gate output:\n%s", b.String())
	return o
}

func TestGateFlagsInjectedSlowdown(t *testing.T) {
	old := spinBinary(t)
	slow := old
	slow.Env = []string{"GATE_SPIN_EXTRA=25"} // 25% more work per op
	o := gateSpin(t, old, slow)
	if o.OldCount != 10 || o.NewCount != 10 {
		t.Fatalf("got %d old and %d new results, want 10 each", o.OldCount, o.NewCount)
	}
	regs := o.Regressions()
	if len(regs) != 1 || regs[0].Unit != "sec/op" || !strings.HasPrefix(regs[0].Name, "Spin") {
		t.Fatalf("regressions = %+v, want exactly Spin sec/op", regs)
	}
	if c := regs[0].Change; c < 0.10 || c > 0.40 {
		t.Errorf("measured change %+.1f%%, want near +25%%", 100*c)
	}
	if err, ok := o.Err().(*Error); !ok || err.ExitCode() != 1 {
		t.Errorf("Err() = %v, want exit code 1", o.Err())
	}
}

func TestGatePassesAAgainstA(t *testing.T) {
	bin := spinBinary(t)
	o := gateSpin(t, bin, bin)
	if err := o.Err(); err != nil {
		t.Fatalf("A against A: %v", err)
	}
	if len(o.Rows) == 0 || o.Rows[0].Verdict == OnlyOld || o.Rows[0].Verdict == OnlyNew {
		t.Fatalf("A against A compared nothing: %+v", o.Rows)
	}
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

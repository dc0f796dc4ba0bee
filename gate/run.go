package gate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Binary is one side of an interleaved run: a compiled test binary.
type Binary struct {
	Path string   // the test binary (go test -c)
	Dir  string   // working directory: the package's source directory
	Env  []string // extra KEY=VALUE entries on top of the caller's environment
}

// RunOptions configure RunInterleaved.
type RunOptions struct {
	Bench     string // -test.bench regular expression
	Benchtime string // -test.benchtime; "" keeps the testing default
	CPU       string // -test.cpu list; "" keeps the default
	Count     int    // runs per side; each run is one process with -test.count 1
	// Timeout bounds each process: a run still going after it gets SIGQUIT
	// (the Go runtime dumps its goroutines and exits) and the gate fails,
	// naming the benchmark it was in. -test.timeout cannot do this: the
	// testing package stops its alarm before running benchmarks. 0 means
	// no limit.
	Timeout time.Duration
	// Progress, when set, gets one line per run.
	Progress io.Writer
}

// RunInterleaved runs old and new Count times each, alternating in ABBA
// order (old new, new old, ...) so that a slow drift of the machine (heat,
// a neighbour's load) lands on both sides equally instead of always
// favouring whichever side runs first. Each run is a separate process with
// -test.count 1, so the samples are independent of one process's layout
// and warm-up. It returns each side's results.
func RunInterleaved(ctx context.Context, old, new Binary, o RunOptions) (oldSet, newSet Set, err error) {
	if o.Count < 1 {
		return Set{}, Set{}, fmt.Errorf("count must be >= 1, got %d", o.Count)
	}
	sides := [2]Binary{old, new}
	sets := [2]*Set{&oldSet, &newSet}
	names := [2]string{"old", "new"}
	run := 0
	for round := 0; round < o.Count; round++ {
		order := [2]int{0, 1}
		if round%2 == 1 {
			order = [2]int{1, 0}
		}
		for _, side := range order {
			run++
			if o.Progress != nil {
				fmt.Fprintf(o.Progress, "gate: run %d/%d (%s)\n", run, 2*o.Count, names[side])
			}
			got, err := runOnce(ctx, sides[side], o, names[side]+" run "+strconv.Itoa(round+1))
			if err != nil {
				return Set{}, Set{}, err
			}
			sets[side].Append(got)
		}
	}
	return oldSet, newSet, nil
}

// runOnce runs b once and reads its benchmark output.
func runOnce(ctx context.Context, b Binary, o RunOptions, label string) (Set, error) {
	// -test.v prints each benchmark's name as it starts (benchfmt skips
	// those lines), so a hung run can be named; see running.
	args := []string{"-test.run=^$", "-test.bench=" + o.Bench, "-test.benchmem", "-test.count=1", "-test.v=true"}
	if o.Benchtime != "" {
		args = append(args, "-test.benchtime="+o.Benchtime)
	}
	if o.CPU != "" {
		args = append(args, "-test.cpu="+o.CPU)
	}
	runCtx := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(runCtx, b.Path, args...)
	cmd.Dir = b.Dir
	cmd.Env = append(os.Environ(), b.Env...)
	// SIGQUIT first, so a hung binary leaves its goroutines on stderr; kill
	// it if it has not exited a few seconds later.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGQUIT) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() == nil && runCtx.Err() != nil {
			return Set{}, fmt.Errorf("%s: %s: no result after %v; it was running %s", label, b.Path, o.Timeout, running(stdout.String()))
		}
		return Set{}, fmt.Errorf("%s: %s: %w: %s", label, b.Path, err, excerpt(stdout.String(), stderr.String()))
	}
	set, warnings, err := Read(&stdout, label)
	if err != nil {
		return Set{}, err
	}
	if len(warnings) > 0 {
		return Set{}, fmt.Errorf("%s: malformed benchmark output: %s", label, warnings[0])
	}
	return set, nil
}

// running names the benchmark a killed process was in: with -test.v the
// testing package prints a benchmark's bare name when it starts and a line
// with its numbers when it ends, so the hung one is a trailing bare name.
func running(stdout string) string {
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(last, "Benchmark") || strings.ContainsAny(last, " \t") {
		return "no benchmark by name (last output: " + strconv.Quote(last) + ")"
	}
	return last
}

// excerpt picks the lines that say why a benchmark process failed: each
// "--- FAIL: name" line with the indented message under it, or a panic's
// first lines (the goroutine dump after them is noise in one line), or
// else the tail of its output.
func excerpt(stdout, stderr string) string {
	var picked []string
	lines := strings.Split(stdout, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.Contains(lines[i], "--- FAIL: ") {
			continue
		}
		picked = append(picked, strings.TrimSpace(lines[i]))
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "    ") && len(picked) < 12 {
			i++
			picked = append(picked, strings.TrimSpace(lines[i]))
		}
	}
	lines = strings.Split(stderr, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "panic: ") {
			continue
		}
		end := i + 1
		for end < len(lines) && end < i+8 && strings.TrimSpace(lines[end]) != "" {
			end++
		}
		picked = append(picked, lines[i:end]...)
		break
	}
	if len(picked) == 0 {
		return tail(stdout + "\n" + stderr)
	}
	return strings.Join(picked, " | ")
}

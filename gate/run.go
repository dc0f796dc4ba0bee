package gate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
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
	args := []string{"-test.run=^$", "-test.bench=" + o.Bench, "-test.benchmem", "-test.count=1"}
	if o.Benchtime != "" {
		args = append(args, "-test.benchtime="+o.Benchtime)
	}
	if o.CPU != "" {
		args = append(args, "-test.cpu="+o.CPU)
	}
	cmd := exec.CommandContext(ctx, b.Path, args...)
	cmd.Dir = b.Dir
	cmd.Env = append(os.Environ(), b.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Set{}, fmt.Errorf("%s: %s: %w: %s", label, b.Path, err, tail(stdout.String()+"\n"+stderr.String()))
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

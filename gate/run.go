package gate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"slices"
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
	Bench string // -test.bench regular expression
	// Split runs rows in groups after the first round; Groups gives the
	// groups' -test.bench patterns instead (see RunInterleaved).
	Split     bool
	Groups    []string
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

// RunInterleaved runs Count rounds; each round runs old and new back to
// back, in an order drawn at random for the pair, so that whatever the
// machine does (heat, a neighbour's load) is as likely to land on either
// side of each pair: the paired test's "no change" hypothesis then holds
// exactly for an unchanged tree. Each run is a separate process with
// -test.count 1, so the pairs are independent of one process's layout and
// warm-up. It returns each side's results, one per row per round, in
// round order (the i-th old and i-th new result of a row are a pair).
//
// With Split, the first round runs every benchmark in one process per
// side; later rounds run one pair of processes per group of rows sharing
// their first sub-benchmark (BenchmarkPool/impl=ring/...), in a random
// order of groups. Old and new of a row then run a fraction of a second
// apart instead of a whole process apart, so the two share more of the
// machine's momentary load. Groups, when set, are used from the first round.
func RunInterleaved(ctx context.Context, old, new Binary, o RunOptions) (oldSet, newSet Set, err error) {
	if o.Count < 1 {
		return Set{}, Set{}, fmt.Errorf("count must be >= 1, got %d", o.Count)
	}
	sides := [2]Binary{old, new}
	sets := [2]*Set{&oldSet, &newSet}
	names := [2]string{"old", "new"}
	groups := o.Groups
	if len(groups) == 0 {
		groups = []string{o.Bench}
	}
	for round := 0; round < o.Count; round++ {
		for g, pattern := range shuffle(groups) {
			order := [2]int{0, 1}
			if rand.IntN(2) == 1 {
				order = [2]int{1, 0}
			}
			for _, side := range order {
				if o.Progress != nil {
					fmt.Fprintf(o.Progress, "gate: round %d/%d, group %d/%d (%s)\n", round+1, o.Count, g+1, len(groups), names[side])
				}
				got, err := runOnce(ctx, sides[side], o, pattern, names[side]+" run "+strconv.Itoa(round+1))
				if err != nil {
					return Set{}, Set{}, err
				}
				sets[side].Append(got)
			}
		}
		// A -bench pattern that selects sub-benchmarks cannot be split: a
		// group's pattern would run the rows it left out.
		if round == 0 && o.Split && len(o.Groups) == 0 && !strings.Contains(o.Bench, "/") {
			if split := splitGroups(newSet); len(split) > 1 {
				groups = split
			}
		}
	}
	return oldSet, newSet, nil
}

// shuffle returns a copy of s in random order.
func shuffle(s []string) []string {
	out := slices.Clone(s)
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// splitGroups returns one -test.bench pattern per first sub-benchmark among
// the results (^BenchmarkPool$/^impl=ring$), in first-seen order.
func splitGroups(s Set) []string {
	var groups []string
	seen := map[string]bool{}
	for _, r := range s.Results {
		name := procsSuffix.ReplaceAllString(string(r.Name), "")
		parts := strings.SplitN(name, "/", 3)
		if len(parts) < 2 {
			return nil // a top-level benchmark: no group could hold it alone
		}
		p := "^" + regexp.QuoteMeta("Benchmark"+parts[0]) + "$/^" + regexp.QuoteMeta(parts[1]) + "$"
		if !seen[p] {
			seen[p] = true
			groups = append(groups, p)
		}
	}
	return groups
}

// runOnce runs b once and reads its benchmark output.
func runOnce(ctx context.Context, b Binary, o RunOptions, bench, label string) (Set, error) {
	// -test.v prints each benchmark's name as it starts (benchfmt skips
	// those lines), so a hung run can be named; see running.
	args := []string{"-test.run=^$", "-test.bench=" + bench, "-test.benchmem", "-test.count=1", "-test.v=true"}
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

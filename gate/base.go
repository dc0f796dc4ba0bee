package gate

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/atomicfile"
)

// BaseRun gates the working tree against a git revision: it builds the
// benchmark package of both and runs them interleaved.
type BaseRun struct {
	Dir string // a directory in the candidate working tree; "" is "."
	Ref string // the base revision, e.g. "HEAD~1" or "main"
	Pkg string // the benchmark package, as go test takes it, e.g. "./bench"
	Run RunOptions
}

// Gate is the whole gate over Ref and the working tree: it builds both,
// runs b.Run.Count rounds of every benchmark, compares them with opt, and
// reruns the suspects with fresh pairs (Confirm) unless c.Pairs is 0. It
// returns the outcome and the first pass's results.
func (b BaseRun) Gate(ctx context.Context, opt Options, c ConfirmOptions) (o *Outcome, old, new Set, err error) {
	_, err = b.withBinaries(ctx, func(oldBin, newBin Binary) error {
		if old, new, err = RunInterleaved(ctx, oldBin, newBin, b.Run); err != nil {
			return err
		}
		if o, err = Compare(old, new, opt); err != nil {
			return err
		}
		if c.Pairs == 0 {
			return nil
		}
		return Confirm(ctx, oldBin, newBin, o, b.Run, c)
	})
	return o, old, new, err
}

// withBinaries builds the benchmark package at Ref (in a temporary git
// worktree) and in the working tree, calls f with both, and removes them.
func (b BaseRun) withBinaries(ctx context.Context, f func(old, new Binary) error) (commit string, err error) {
	dir := b.Dir
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	top, err := TopLevel(ctx, abs)
	if err != nil {
		return "", fmt.Errorf("%s is not in a git working tree: %w", abs, err)
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "poolbench-gate-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)

	worktree := filepath.Join(tmp, "base")
	commit, cleanup, err := Worktree(ctx, abs, b.Ref, worktree)
	if err != nil {
		return "", err
	}
	defer func() {
		if cerr := cleanup(); cerr != nil && err == nil {
			err = fmt.Errorf("remove worktree: %w", cerr)
		}
	}()
	progress(b.Run.Progress, "gate: building %s at %s (%.12s)", b.Pkg, b.Ref, commit)
	oldDir, err := BuildTest(ctx, filepath.Join(worktree, rel), b.Pkg, filepath.Join(tmp, "old.test"))
	if err != nil {
		return "", fmt.Errorf("build base %s: %w", b.Ref, err)
	}
	progress(b.Run.Progress, "gate: building %s in the working tree", b.Pkg)
	newDir, err := BuildTest(ctx, abs, b.Pkg, filepath.Join(tmp, "new.test"))
	if err != nil {
		return "", fmt.Errorf("build working tree: %w", err)
	}
	return commit, f(Binary{Path: filepath.Join(tmp, "old.test"), Dir: oldDir},
		Binary{Path: filepath.Join(tmp, "new.test"), Dir: newDir})
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// WriteSet writes s to path in benchfmt (benchstat reads it), atomically.
func WriteSet(path string, s Set) error {
	return atomicfile.Write(path, func(w io.Writer) error { return EncodeSet(w, s) })
}

// EncodeSet writes s to w in benchfmt: its unit metadata, sorted, then its
// results in order.
func EncodeSet(w io.Writer, s Set) error {
	bw := benchfmt.NewWriter(w)
	keys := make([]benchfmt.UnitMetadataKey, 0, len(s.Units))
	for k := range s.Units {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b benchfmt.UnitMetadataKey) int {
		return cmp.Or(cmp.Compare(a.Unit, b.Unit), cmp.Compare(a.Key, b.Key))
	})
	for _, k := range keys {
		if err := bw.Write(s.Units[k]); err != nil {
			return err
		}
	}
	for _, r := range s.Results {
		if err := bw.Write(r); err != nil {
			return err
		}
	}
	return nil
}

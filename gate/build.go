package gate

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Worktree checks out ref of the git repository containing dir into a new
// detached worktree at path (which must not exist) and returns the commit it
// resolved ref to and a cleanup that removes the worktree again. A worktree
// shares the repository's objects, so this is cheap and leaves the working
// tree, the index and HEAD of the caller's checkout alone.
func Worktree(ctx context.Context, dir, ref, path string) (commit string, cleanup func() error, err error) {
	commit, err = git(ctx, dir, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		return "", nil, fmt.Errorf("unknown git revision %q", ref)
	}
	if _, err := git(ctx, dir, "worktree", "add", "--detach", path, commit); err != nil {
		return "", nil, err
	}
	cleanup = func() error {
		// A fresh context: cleanup must run even after ctx is cancelled.
		_, err := git(context.Background(), dir, "worktree", "remove", "--force", path)
		return err
	}
	return commit, cleanup, nil
}

// TopLevel returns the root of the git working tree containing dir.
func TopLevel(ctx context.Context, dir string) (string, error) {
	return git(ctx, dir, "rev-parse", "--show-toplevel")
}

// BuildTest compiles the test binary of package pkg (a path as "go test"
// takes it, relative to dir) into out, and returns the package's source
// directory, where the binary must run so that testdata paths resolve.
// The binary is built without -race: the gate measures the code as users
// run it. It is built with -trimpath, so that the two sides' binaries do not
// differ by the paths of their checkouts: those paths are data in the
// binary, and moving the data that follows them moved hot variables across
// cache lines, which made identical code measure apart, always the same way,
// in contended rows of A/A gates.
func BuildTest(ctx context.Context, dir, pkg, out string) (pkgDir string, err error) {
	pkgDir, err = goCmd(ctx, dir, "list", "-f", "{{.Dir}}", pkg)
	if err != nil {
		return "", err
	}
	if _, err := goCmd(ctx, dir, "test", "-c", "-trimpath", "-o", out, pkg); err != nil {
		return "", err
	}
	return pkgDir, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	return command(ctx, dir, "git", args...)
}

func goCmd(ctx context.Context, dir string, args ...string) (string, error) {
	return command(ctx, dir, "go", args...)
}

// command runs name with args in dir and returns its trimmed stdout; a
// failure's error carries the command line and the tail of its stderr.
func command(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s (in %s): %w: %s", name, strings.Join(args, " "), filepath.Base(dir), err, tail(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// tail returns the last few non-empty lines of s, enough to show why a
// command failed.
func tail(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, " | ")
}

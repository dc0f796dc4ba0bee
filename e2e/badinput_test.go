package e2e

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// badCase is one bad input to the command: it must exit 2 with one line on
// stderr and leave every file in its directory as it was.
type badCase struct {
	name string
	// args to poolbench; "$DIR" in an arg is replaced by the case's own
	// temp dir, which is also the working directory.
	args []string
	// files are written to $DIR before the run (a baseline, a corrupt
	// result file) and must be byte-identical after it.
	files map[string]string
}

// badInputs is the table, one block per command.
var badInputs = []badCase{
	{name: "no-command", args: nil},
	{name: "unknown-command", args: []string{"bogus"}},
	{name: "unknown-command-flag", args: []string{"-bogus"}},

	// gate
	{name: "gate/no-files", args: []string{"gate"}},
	{name: "gate/one-file", args: []string{"gate", "old.txt"}, files: results},
	{name: "gate/three-files", args: []string{"gate", "old.txt", "old.txt", "old.txt"}, files: results},
	{name: "gate/missing-file", args: []string{"gate", "missing.txt", "old.txt"}, files: results},
	{name: "gate/unknown-flag", args: []string{"gate", "-bogus", "old.txt", "old.txt"}, files: results},
	{name: "gate/flag-not-a-number", args: []string{"gate", "-alpha", "x", "old.txt", "old.txt"}, files: results},
	{name: "gate/alpha-out-of-range", args: []string{"gate", "-alpha", "2", "old.txt", "old.txt"}, files: results},
	{name: "gate/negative-threshold", args: []string{"gate", "-threshold", "-5", "old.txt", "old.txt"}, files: results},
	{name: "gate/unknown-correction", args: []string{"gate", "-correction", "x", "old.txt", "old.txt"}, files: results},
	{name: "gate/too-few-runs", args: []string{"gate", "-count", "3", "-base", "HEAD"}},
	{name: "gate/base-and-files", args: []string{"gate", "-base", "HEAD", "old.txt", "old.txt"}, files: results},
	{name: "gate/empty-files", args: []string{"gate", "empty.txt", "empty.txt"}, files: results},
	{name: "gate/corrupt-files", args: []string{"gate", "corrupt.txt", "corrupt.txt"}, files: results},
	{name: "gate/binary-file", args: []string{"gate", "old.txt", "binary.txt"}, files: results},
	{name: "gate/directory", args: []string{"gate", "$DIR", "old.txt"}, files: results},
}

// results are the result files the gate and report cases read: a valid
// one, an empty one, and two corrupt ones. Each case checks they are
// unchanged afterwards, so old.txt doubles as a baseline.
var results = map[string]string{
	"old.txt":     "goos: linux\ngoarch: amd64\nBenchmarkPool/impl=ring-2 1000 10.5 ns/op\n",
	"empty.txt":   "",
	"corrupt.txt": "BenchmarkPool/impl=ring-2 1000 ten ns/op\nBenchmark 1 2\n",
	"binary.txt":  "\x00\x01\xff\xfe BenchmarkPool \x00\n",
}

func TestBadInput(t *testing.T) {
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			r := runPoolbench(t, dir, args...)
			if r.code != 2 {
				t.Errorf("poolbench %q: exit %d, want 2\nstderr: %s", args, r.code, r.stderr)
			}
			checkOneLine(t, args, r.stderr)
			checkFilesUnchanged(t, dir, tc.files)
		})
	}
}

// checkOneLine wants stderr to be exactly one "poolbench: ..." line. With
// no command at all, main prints the command list first; only its last line
// is the error then.
func checkOneLine(t *testing.T, args []string, stderr string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(args) == 0 {
		lines = lines[len(lines)-1:]
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "poolbench: ") || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("poolbench %q: stderr is %d lines, want one \"poolbench: ...\" line:\n%s", args, len(lines), stderr)
	}
}

// checkFilesUnchanged wants dir to hold exactly the files given, unchanged:
// a failed run neither overwrites a baseline nor leaves a temp file behind.
func checkFilesUnchanged(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := slices.Sorted(maps.Keys(files))
	if !slices.Equal(got, want) {
		t.Errorf("files after the run: %q, want %q", got, want)
	}
	for name, body := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil && string(b) != body {
			t.Errorf("%s was changed by a failed run:\n%s", name, b)
		}
	}
}

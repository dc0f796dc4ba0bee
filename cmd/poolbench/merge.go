package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/poolbench/poolbench/merge"
)

func init() {
	commands["merge"] = command{"merge the result files of a sharded sweep (sweep -shard I/N) into one, exactly", runMerge}
}

// mergeUsage is merge's manual, printed by -h.
const mergeUsage = `usage: poolbench merge SHARD_FILES... -out FILE

Merges the result files of the N shards of one sweep (poolbench sweep
-shard I/N -start-at T, one per client host) into one benchfmt file that
benchstat, poolbench report and poolbench gate read like any other:
req/s summed (each shard's rate over its window; the windows coincide, so
the sum is the server's rate while all N loaded it), errors and dials
summed, every percentile read off the union of the shards' latency
histograms, the max the largest shard's, per-request means weighted by
requests, start-err-ns the latest shard's. Knee results are dropped.

Refused, with one line and exit 2, and nothing written: shards whose
configurations or point lists disagree, a shard index given twice or
missing, windows that do not overlap, a point without its histogram. -out
- writes to stdout (for kubectl logs); a file is replaced atomically.

flags:
`

func runMerge(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), mergeUsage); fs.PrintDefaults() }
	out := fs.String("out", "", "merged result `file` (- for stdout); required")
	// The files come first, as in the usage line, and flags may follow
	// them: parse, take the arguments up to the next flag, parse again.
	var files []string
	for {
		if err := parseFlags(fs, stderr, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		args = fs.Args()
		for len(args) > 0 && (len(args[0]) < 2 || args[0][0] != '-') {
			files = append(files, args[0])
			args = args[1:]
		}
	}
	if *out == "" {
		return flagError("merge", "out", *out, "want the merged result file (- for stdout)")
	}
	if *out != "-" {
		if err := checkOutputFile("merge", "out", *out); err != nil {
			return err
		}
		for _, f := range files {
			if filepath.Clean(f) == filepath.Clean(*out) {
				return flagError("merge", "out", *out, "it is one of the shard files")
			}
		}
	}
	if len(files) == 0 {
		return badInput("merge: no shard files given")
	}
	if dup := firstDuplicate(files); dup != "" {
		return badInput("merge: shard file %s given twice", dup)
	}
	m, err := merge.Files(files)
	if err != nil {
		return badInput("merge: %w", err)
	}
	if *out == "-" {
		// Encoded whole before a byte is written, and nothing else goes to
		// stdout or stderr: kubectl logs mixes the two.
		b, err := m.Encode()
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	if err := m.WriteFile(*out); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "merge: %d shards, %d points: wrote %s\n", m.Shards, len(m.Points), *out)
	return nil
}

// firstDuplicate returns the first path named twice, "" when none is.
func firstDuplicate(paths []string) string {
	seen := make([]string, 0, len(paths))
	for _, p := range paths {
		c := filepath.Clean(p)
		if slices.Contains(seen, c) {
			return p
		}
		seen = append(seen, c)
	}
	return ""
}

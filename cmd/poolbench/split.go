package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	layout "github.com/poolbench/poolbench/results"
)

func init() {
	commands["split"] = command{"write results/<pool>.txt per pool design from results/raw/, for benchstat results/*.txt", runSplit}
}

// splitUsage is the split's manual, printed by -h.
const splitUsage = `usage: poolbench split [-results DIR]

Reads DIR/raw/pool.txt, echo.txt, scenarios.txt and faults.txt (a missing
one is skipped) and writes DIR/<pool>.txt for every pool design they name,
each atomically: the pool's results with the impl= or pool= key taken out
of every name, under the same configuration lines in every file, so that
plain "benchstat DIR/*.txt" prints one column per pool design and one row
per scenario or point. The reference design's file is DIR/0-chanpool.txt,
listed first: benchstat's baseline. Raw files without any result of a pool
design are bad input (exit 2), and nothing is written.

flags:
`

func runSplit(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("split", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), splitUsage); fs.PrintDefaults() }
	dir := fs.String("results", "results", "results `dir`ectory: reads its raw/, writes the per-pool files into it")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return badInput("split: unexpected arguments %q", fs.Args())
	}
	if err := checkInputDir("split", "results", *dir); err != nil {
		return err
	}
	raw := filepath.Join(*dir, layout.RawDir)
	if err := checkInputDir("split", "results", raw); err != nil {
		return err
	}
	written, err := layout.Split(raw, *dir)
	if err != nil {
		if len(written) == 0 {
			return badInput("split: %w", err)
		}
		return fmt.Errorf("split: %w", err)
	}
	fmt.Fprintf(stdout, "split: wrote %d per-pool files into %s\n", len(written), *dir)
	return nil
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/report"
)

func init() {
	commands["report"] = command{"write REPORT.md (tables, plots, conformance matrix) from results/", runReport}
}

// reportUsage is the report's manual, printed by -h.
const reportUsage = `usage: poolbench report [-results DIR] [-out REPORT.md] [-force]

Reads DIR/raw/pool.txt (pool micro-benchmarks), DIR/raw/echo.txt (echo sweep and
knees), DIR/raw/faults.txt (the sweep under injected latency, and server
restarts) and DIR/conformance.json (pooltest matrix), writes the report to
-out and SVG plots to DIR/plots, each file atomically. A missing input
becomes a section saying so. An input that is there but unusable (empty,
no results of its benchmark, a NaN, corrupt JSON) is bad input: one line,
exit 2, nothing written. So is a DIR with none of the inputs when -out
exists: a report without results does not replace one unless -force is
given. The same inputs give the same bytes.

flags:
`

func runReport(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), reportUsage); fs.PrintDefaults() }
	results := fs.String("results", "results", "results `dir`ectory to read")
	out := fs.String("out", "REPORT.md", "report `file` to write")
	force := fs.Bool("force", false, "replace -out even with a report that has no results")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return badInput("report: unexpected arguments %q", fs.Args())
	}
	if err := checkInputDir("report", "results", *results); err != nil {
		return err
	}
	if err := checkOutputFile("report", "out", *out); err != nil {
		return err
	}
	if _, err := os.Stat(*out); err == nil && !*force && len(report.Found(*results)) == 0 {
		return flagError("report", "results", *results, "holds none of %s: refusing to replace %s with a report without results (-force replaces it)",
			strings.Join(report.Inputs, ", "), *out)
	}
	opt := report.Options{Results: *results, Out: *out, Registered: impls.PoolNames()}
	if err := report.Generate(opt); err != nil {
		var bad *report.InputError
		if errors.As(err, &bad) {
			return badInput("report: %w", err)
		}
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(stdout, "report: wrote %s\n", *out)
	return nil
}

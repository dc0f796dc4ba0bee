// Command poolbench benchmarks TCP connection pools and echo-server designs.
//
// Usage:
//
//	poolbench serve  -design NAME [-addr 127.0.0.1:0] [-loops N] [-max-conns N] [-read-buffer N]
//	                                                                run one echo server design
//	poolbench sweep  [flags]                                        load servers at rising concurrency
//	poolbench gate   [flags] OLD.txt NEW.txt | -base REF            decide whether a change is slower
//	poolbench report [flags]                                        write REPORT.md from results/
//	poolbench merge  SHARD_FILES... -out FILE                       merge a sharded sweep's files exactly
//
// Run "poolbench CMD -h" for the flags of CMD. Exit status is 0 on success,
// 1 when a gate finds a regression or a run fails, and 2 on bad input.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand. run gets the arguments after its name.
type command struct {
	summary string
	run     func(stdout, stderr io.Writer, args []string) error
}

// commands is filled by each subcommand's file in its init.
var commands = map[string]command{}

// usageError marks bad input: a one-line message and exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// badInput returns a usageError with a formatted message.
func badInput(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCoder lets an error choose the exit status (the gate's 1 for a regression).
type exitCoder interface{ ExitCode() int }

func main() {
	err := run(os.Stdout, os.Stderr, os.Args[1:])
	os.Exit(exitStatus(os.Stderr, err))
}

// exitStatus prints err as one line and maps it to an exit status.
func exitStatus(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "poolbench: %v\n", err)
	var ec exitCoder
	var ue usageError
	switch {
	case errors.As(err, &ec):
		return ec.ExitCode()
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

func run(stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "help" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return badInput("no command given")
		}
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return badInput("unknown command %q (run poolbench help)", args[0])
	}
	return cmd.run(stdout, stderr, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: poolbench COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-7s %s\n", name, commands[name].summary)
	}
}

// parseFlags parses args into fs, turning every flag error into a one-line
// usageError; -h prints the flag set's defaults and succeeds with errHelp.
// Every command calls it before it does anything else, with every flag it
// has defined: the flags command lists them from here (see flagSetSeen).
func parseFlags(fs *flag.FlagSet, stderr io.Writer, args []string) error {
	if flagSetSeen != nil {
		flagSetSeen(fs)
		return errFlagSetSeen
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return errHelp
		}
		return usageError{fmt.Errorf("%s: %w", fs.Name(), err)}
	}
	return nil
}

// errHelp ends a command after it printed its help; exit status 0.
var errHelp = errors.New("help requested")

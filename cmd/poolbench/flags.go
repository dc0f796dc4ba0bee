package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
)

func init() {
	commands["flags"] = command{"list every command's flags as JSON (name, type, default), for tests and completion", runFlags}
}

// flagsUsage is the flags command's manual, printed by -h.
const flagsUsage = `usage: poolbench flags

Prints one JSON array of every flag of every command: its command, name,
type (int, float64, string, bool, time.Duration), default and usage. The
list is read from the FlagSet each command parses, so it is never out of
step with the commands (the e2e flag test walks it).

flags:
`

// FlagInfo is one flag of one command, as the flags command lists it.
type FlagInfo struct {
	Command string `json:"command"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	Default string `json:"default"`
	Usage   string `json:"usage"`
}

// flagSetSeen, when set, receives the FlagSet a command is about to parse
// and stops the command there with errFlagSetSeen, before it does
// anything. The flags command sets it to walk exactly the FlagSets the
// commands parse, instead of a second list of flags to keep in step.
var flagSetSeen func(*flag.FlagSet)

// errFlagSetSeen stops a command whose FlagSet was handed to flagSetSeen.
var errFlagSetSeen = errors.New("flag set listed")

func runFlags(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("flags", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), flagsUsage); fs.PrintDefaults() }
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return badInput("flags: unexpected arguments %q", fs.Args())
	}
	list, err := listFlags()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(list)
}

// listFlags runs every command up to its flag parsing and lists its flags.
func listFlags() ([]FlagInfo, error) {
	list := []FlagInfo{}
	defer func() { flagSetSeen = nil }()
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		var seen *flag.FlagSet
		flagSetSeen = func(fs *flag.FlagSet) { seen = fs }
		if err := commands[name].run(io.Discard, io.Discard, nil); !errors.Is(err, errFlagSetSeen) || seen == nil {
			return nil, fmt.Errorf("flags: command %s did not parse its flags before doing anything else (%v)", name, err)
		}
		seen.VisitAll(func(f *flag.Flag) {
			list = append(list, FlagInfo{Command: name, Name: f.Name, Type: flagType(f), Default: f.DefValue, Usage: f.Usage})
		})
	}
	return list, nil
}

// flagType is the Go type of a flag's value: int, float64, bool, string,
// time.Duration; "value" for a flag.Value that is not a flag.Getter.
func flagType(f *flag.Flag) string {
	if g, ok := f.Value.(flag.Getter); ok && g.Get() != nil {
		return reflect.TypeOf(g.Get()).String()
	}
	return "value"
}

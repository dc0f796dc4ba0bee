package e2e

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// badValue is one value a flag must reject; see flagCases.
type badValue struct {
	value  string
	extra  []string // "-name=value" flags the case needs
	noBase bool     // drop the base's positional arguments
}

// v is a bad value for the flag of its flagCases entry.
func v(value string) badValue { return badValue{value: value} }

// with adds flags ("-name=value") the case needs; they replace the base's.
func (b badValue) with(flags ...string) badValue {
	b.extra = append(slices.Clone(b.extra), flags...)
	return b
}

// noArgs drops the base invocation's positional arguments.
func (b badValue) noArgs() badValue {
	b.noBase = true
	return b
}

// base is a command's valid invocation, which every bad value is added to.
// It is chosen so that, were a bad value accepted, the run fails fast with
// an error that does not name the flag, or writes a file: the test sees it
// either way. $BUSY is a port this test holds open.
type base struct {
	flags []string // "-name=value", each dropped when a case sets that flag
	args  []string // positional arguments, after the flags
}

// flagBase holds every command's base invocation.
var flagBase = map[string]base{
	// Binding the busy port fails at once (exit 1) if the flags pass.
	"serve": {flags: []string{"-design=net", "-addr=$BUSY"}},
	// Nothing listens at 127.0.0.1:1: accepted flags end in "unreachable".
	"sweep": {flags: []string{"-out=$DIR/out/echo.txt", "-addr=127.0.0.1:1", "-servers=echo", "-pools=ring",
		"-conns=1", "-duration=50ms", "-warmup=0s"}},
	// Two one-sample files: accepted flags end in "too few samples".
	"gate": {args: []string{"$DIR/old.txt", "$DIR/new.txt"}},
	// A results dir with one pool result: accepted flags replace REPORT.md.
	"report": {flags: []string{"-results=$DIR/results", "-out=$DIR/REPORT.md"}},
	"flags":  {},
	// The report's results dir: accepted flags write results/ring.txt.
	"split": {flags: []string{"-results=$DIR/results"}},
	// Two files that are no shard files: accepted flags end in "only Echo points merge".
	"merge": {args: []string{"$DIR/old.txt", "$DIR/new.txt"}},
}

// flagFiles are the fixtures in every case's $DIR; each must be there,
// byte for byte and with its mtime, after the run, and nothing added.
var flagFiles = map[string]string{
	"old.txt":              "goos: linux\nBenchmarkPool/impl=ring-2 1000 10.5 ns/op\n",
	"new.txt":              "goos: linux\nBenchmarkPool/impl=ring-2 1000 10.6 ns/op\n",
	"REPORT.md":            "# the previous report\n",
	"results/raw/pool.txt": "goos: linux\npkg: github.com/poolbench/poolbench/bench\nBenchmarkPool/impl=ring/op=getput/procs=1-2 1000 20.5 ns/op\n",
	"empty/":               "",
	// A sweep's result file of another configuration (-duration 10s).
	"echo-other.txt": "goos: linux\nmodel: closed\nsize: 64\nduration: 10s\nwarmup: 0s\ncount: 1\nfault: \nrestart: \n" +
		"server: echo\nprotocol: echo\nlaunch: external\n\nBenchmarkEcho/server=echo/pool=ring/conns=1-2 100 5000 req/s\n",
}

// typedValues are malformed values generated for a flag of each type, on
// top of its flagCases entry.
var typedValues = map[string][]string{
	"int":           {"x", "1.5", "99999999999999999999"},
	"float64":       {"x", "1,5"},
	"time.Duration": {"10", "x"},
}

// listedFlag is one entry of "poolbench flags".
type listedFlag struct {
	Command, Name, Type, Default string
}

// listFlags asks the binary for every flag of every command.
func listFlags(t *testing.T) []listedFlag {
	t.Helper()
	r := runPoolbench(t, t.TempDir(), "flags")
	if r.code != 0 {
		t.Fatalf("poolbench flags: exit %d: %s", r.code, r.stderr)
	}
	var list []listedFlag
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("poolbench flags: %v\n%s", err, r.stdout)
	}
	if len(list) == 0 {
		t.Fatal("poolbench flags listed no flags")
	}
	return list
}

// TestEveryFlag gives every flag of every command the bad values of its
// flagCases entry (and malformed values of its type) and wants each
// rejected: exit 2, one stderr line naming the flag, every fixture file
// unchanged in content and mtime, and no file created.
func TestEveryFlag(t *testing.T) {
	list := listFlags(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	listed := map[string]bool{}
	for _, f := range list {
		key := f.Command + " -" + f.Name
		listed[key] = true
		if _, ok := flagBase[f.Command]; !ok {
			t.Errorf("command %s has no base invocation: add a valid one to flagBase in e2e/flags_test.go", f.Command)
			continue
		}
		cases := flagCases[key]
		if len(cases) == 0 {
			t.Errorf("%s (%s, default %q) has no rejection case: add an entry to flagCases in e2e/flagcases_test.go,\n"+
				"\t%q: {v(\"BAD\")},\n\twith values the command must reject with exit 2 and one line naming -%s", key, f.Type, f.Default, key, f.Name)
			continue
		}
		for _, tv := range typedValues[f.Type] {
			cases = append(cases, v(tv))
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%s=%s", f.Command, f.Name, c.value), func(t *testing.T) {
				t.Parallel()
				checkRejected(t, f.Command, f.Name, c, busy.Addr().String())
			})
		}
	}
	for key := range flagCases {
		if !listed[key] {
			t.Errorf("flagCases in e2e/flagcases_test.go has cases for %s, which poolbench flags does not list: remove or rename them", key)
		}
	}
}

// checkRejected runs one bad value and checks it was rejected cleanly.
func checkRejected(t *testing.T, cmd, name string, c badValue, busy string) {
	dir := t.TempDir()
	writeFixtures(t, dir)
	before := snapshot(t, dir)

	expand := func(s string) string {
		return strings.NewReplacer("$DIR", dir, "$BUSY", busy).Replace(s)
	}
	set := map[string]bool{name: true}
	for _, e := range c.extra {
		set[flagName(e)] = true
	}
	b := flagBase[cmd]
	args := []string{cmd}
	for _, f := range b.flags {
		if !set[flagName(f)] {
			args = append(args, expand(f))
		}
	}
	for _, e := range c.extra {
		args = append(args, expand(e))
	}
	args = append(args, "-"+name+"="+expand(c.value))
	if !c.noBase {
		for _, a := range b.args {
			args = append(args, expand(a))
		}
	}

	r := runPoolbench(t, dir, args...)
	t.Logf("poolbench %q: exit %d: %s", args, r.code, strings.TrimSpace(r.stderr))
	if r.code != 2 {
		t.Errorf("poolbench %q: exit %d, want 2 (bad input)\nstderr: %s", args, r.code, r.stderr)
	}
	checkOneLine(t, args, r.stderr)
	if !namesFlag(r.stderr, name) {
		t.Errorf("poolbench %q: the error does not name -%s:\n%s", args, name, r.stderr)
	}
	if after := snapshot(t, dir); !slices.Equal(before, after) {
		t.Errorf("poolbench %q changed files:\nbefore %q\nafter  %q", args, before, after)
	}
}

// flagName is the name of "-name=value".
func flagName(f string) string {
	n, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
	return n
}

// namesFlag reports whether the line says -name as a word of its own
// (-count, not -counts).
func namesFlag(stderr, name string) bool {
	return regexp.MustCompile(`(^|[^\w-])-` + regexp.QuoteMeta(name) + `([^\w-]|$)`).MatchString(stderr)
}

// writeFixtures writes flagFiles into dir; a name ending in / is a directory.
// Their mtimes are set in the past, so a rewrite within the same clock
// tick still shows.
func writeFixtures(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for name, body := range flagFiles {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot lists every file and directory under dir with, for files, its
// size, mtime and content hash.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out = append(out, rel+"/")
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %d %s %x", rel, info.Size(), info.ModTime().Format(time.RFC3339Nano), sha256.Sum256(b)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

package e2e

import (
	"io/fs"
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
	// wantErr is a piece of the error line: the run failed for this reason.
	wantErr string
}

// badInputs is the table, one block per command.
var badInputs = []badCase{
	{name: "no-command", args: nil, wantErr: "no command given"},
	{name: "unknown-command", args: []string{"bogus"}, wantErr: "unknown command \"bogus\""},
	{name: "unknown-command-flag", args: []string{"-bogus"}, wantErr: "unknown command \"-bogus\""},

	// gate
	{name: "gate/no-files", args: []string{"gate"}, wantErr: "got 0 file argument"},
	{name: "gate/one-file", args: []string{"gate", "old.txt"}, files: results, wantErr: "got 1 file argument"},
	{name: "gate/three-files", args: []string{"gate", "old.txt", "old.txt", "old.txt"}, files: results, wantErr: "got 3 file argument"},
	{name: "gate/missing-file", args: []string{"gate", "missing.txt", "old.txt"}, files: results, wantErr: "no such file"},
	{name: "gate/unknown-flag", args: []string{"gate", "-bogus", "old.txt", "old.txt"}, files: results, wantErr: "not defined: -bogus"},
	{name: "gate/flag-not-a-number", args: []string{"gate", "-alpha", "x", "old.txt", "old.txt"}, files: results, wantErr: "invalid value \"x\" for flag -alpha"},
	{name: "gate/alpha-out-of-range", args: []string{"gate", "-alpha", "2", "old.txt", "old.txt"}, files: results, wantErr: "-alpha 2: want a number between 0 and 1"},
	{name: "gate/negative-threshold", args: []string{"gate", "-threshold", "-5", "old.txt", "old.txt"}, files: results, wantErr: "-threshold -5: want a number from 0"},
	{name: "gate/unknown-correction", args: []string{"gate", "-correction", "x", "old.txt", "old.txt"}, files: results, wantErr: "unknown correction \"x\""},
	{name: "gate/too-few-runs", args: []string{"gate", "-count", "3", "-base", "HEAD", "-pkg", "$DIR"}, wantErr: "-count 3"},
	{name: "gate/base-and-files", args: []string{"gate", "-base", "HEAD", "old.txt", "old.txt"}, files: results, wantErr: "-base takes no file arguments"},
	{name: "gate/empty-files", args: []string{"gate", "empty.txt", "empty.txt"}, files: results, wantErr: "empty.txt holds no benchmark results"},
	{name: "gate/empty-old", args: []string{"gate", "empty.txt", "old.txt"}, files: results, wantErr: "empty.txt holds no benchmark results"},
	{name: "gate/corrupt-files", args: []string{"gate", "corrupt.txt", "corrupt.txt"}, files: results, wantErr: "corrupt.txt holds no benchmark results (2 malformed line(s) skipped"},
	{name: "gate/binary-file", args: []string{"gate", "old.txt", "binary.txt"}, files: results, wantErr: "binary.txt holds no benchmark results"},
	// A NaN used to hang the gate (benchmath's U-test loops on it) with growing memory.
	{name: "gate/nan", args: []string{"gate", "nan.txt", "nan.txt"}, files: results, wantErr: "nan.txt:2: BenchmarkPool/impl=ring-2: value NaN ns/op is not a finite number"},
	{name: "gate/inf", args: []string{"gate", "old.txt", "inf.txt"}, files: results, wantErr: "inf.txt:1: BenchmarkPool/impl=ring-2: value +Inf ns/op is not a finite number"},
	{name: "gate/directory", args: []string{"gate", "$DIR", "old.txt"}, files: results, wantErr: "is a directory"},

	// sweep: every case names the baseline as -out; it must survive.
	sweepCase("unknown-flag", "-bogus").want("not defined: -bogus"),
	sweepCase("stray-argument", "extra").want("unexpected arguments"),
	sweepCase("conns-not-a-number", "-conns", "1,x").want("\"x\" is not an integer"),
	sweepCase("conns-zero", "-conns", "0").want("-conns 0: level 0 out of range"),
	sweepCase("conns-too-many", "-conns", "20000").want("-conns 20000: level 20000 out of range"),
	sweepCase("conns-empty", "-conns", ",").want("-conns ,: want at least one level"),
	sweepCase("unknown-pool", "-pools", "nosuchpool").want("unknown pool design \"nosuchpool\""),
	sweepCase("unknown-server", "-servers", "nosuchserver").want("unknown server design \"nosuchserver\""),
	sweepCase("loops-zero", "-loops", "0").want("-loops 0"),
	sweepCase("count-zero", "-count", "0").want("-count 0"),
	sweepCase("size-zero", "-size", "0").want("-size 0"),
	sweepCase("size-too-big", "-size", "2000000").want("-size 2000000: want 1 to 1048576"),
	sweepCase("udp-size-over-datagram", "-servers", "udp", "-size", "65508").want("message size is 65508 bytes, but server udp speaks UDP: a datagram holds at most 65507"),
	sweepCase("timeout-zero", "-timeout", "0s").want("-timeout 0s"),
	sweepCase("duration-zero", "-duration", "0s").want("-duration 0s: want 1ms to"),
	sweepCase("duration-not-a-duration", "-duration", "10").want("flag -duration"),
	sweepCase("warmup-negative", "-warmup", "-1s").want("-warmup -1s: want 0s to"),
	sweepCase("rate-negative", "-rate", "-5").want("-rate -5: want a number from 0"),
	sweepCase("addr-unreachable").want("unreachable"),
	sweepCase("addr-no-port", "-addr", "127.0.0.1", "-servers", "echo").want("missing port"),
	sweepCase("addr-without-servers", "-servers", "").want("-addr needs -servers"),
	sweepCase("addr-several-servers", "-servers", "echo,http").want("names several"),
	sweepCase("restart-negative", "-restart", "-1s").want("-restart"),
	sweepCase("restart-after-point", "-restart", "10s", "-duration", "100ms", "-warmup", "0s").want("-restart"),
	sweepCase("restart-external", "-restart", "50ms").want("restart needs a child server process"),
	sweepCase("fault-unknown", "-fault", "bogus").want("unknown fault"),
	sweepCase("restart-idle-without-restart", "-restart-idle", "-addr", "", "-servers", "net").want("-restart-idle true: needs -restart"),
	sweepCase("restart-idle-external", "-restart-idle", "-restart", "50ms").want("without -addr"),
	sweepCase("cold-burst-small", "-cold-burst", "2", "-addr", "", "-servers", "net").want("-cold-burst 2"),
	sweepCase("cold-burst-bad-delay", "-cold-burst", "4", "-dial-delays", "1ms,x", "-addr", "", "-servers", "net").want("\"x\" is not a duration"),
	sweepCase("cold-burst-delay-too-long", "-cold-burst", "4", "-dial-delays", "2s", "-addr", "", "-servers", "net").want("dial delay 2s"),
	sweepCase("cold-burst-too-many", "-cold-burst", "4", "-conns", "512", "-addr", "", "-servers", "net").want("callers"),
	sweepCase("cap-below-count", "-cold-burst", "4", "-count", "6", "-cap", "3", "-addr", "", "-servers", "net").want("-cap 3"),
	sweepCase("cap-time-negative", "-cold-burst", "4", "-cap-time", "-1s", "-addr", "", "-servers", "net").want("-cap-time -1s"),
	sweepCase("fault-sub-millisecond", "-fault", "latency=500us").want("whole milliseconds"),

	// report: every case names the existing REPORT.md as -out; it must survive.
	reportCase("unknown-flag", "-bogus").want("not defined: -bogus"),
	reportCase("stray-argument", "extra").want("unexpected arguments"),
	reportCase("results-missing", "-results", "$DIR/nosuchdir").want("results directory $DIR/nosuchdir does not exist"),
	reportCase("results-is-a-file", "-results", "$DIR/old.txt").want("is not a directory"),
	// An input that is there but unusable; a missing one is fine.
	reportInputCase("conformance-corrupt", "conformance.json", "{").want("conformance.json: unexpected end of JSON input"),
	reportInputCase("conformance-empty", "conformance.json", "").want("conformance.json: unexpected end of JSON input"),
	reportInputCase("echo-empty", "raw/echo.txt", "").want("echo.txt holds no BenchmarkEcho results"),
	reportInputCase("echo-malformed", "raw/echo.txt", "BenchmarkEcho/server=net 1 fast req/s\n").want("echo.txt holds no BenchmarkEcho results (1 malformed line(s) skipped"),
	reportInputCase("echo-nan", "raw/echo.txt", "BenchmarkEcho/server=net/pool=ring/conns=1 1 NaN req/s\n").want("echo.txt:1: BenchmarkEcho/server=net/pool=ring/conns=1: value NaN req/s"),
	reportInputCase("pool-empty", "raw/pool.txt", "PASS\n").want("pool.txt holds no BenchmarkPool results"),
	reportInputCase("pool-malformed", "raw/pool.txt", "BenchmarkPool/impl=ring 1\n").want("pool.txt holds no BenchmarkPool results (1 malformed"),
	reportInputCase("faults-empty", "raw/faults.txt", "").want("faults.txt holds no BenchmarkEcho or BenchmarkRestart results"),

	// Issue 14's table: each used to exit 0 or 1, or cost a result.
	reportCase("results-typo", "-results", "resutls").want("results directory resutls does not exist"),
	reportCase("no-results", "-results", "$DIR").want("refusing to replace $DIR/REPORT.md with a report without results (-force replaces it)"),
	{name: "serve/addr-bad-ip", args: []string{"serve", "-design", "net", "-addr", "999.1.1.1:0"}, wantErr: "-addr 999.1.1.1:0: 999.1.1.1 is not an IPv4 address"},
	{name: "serve/addr-bad-port", args: []string{"serve", "-design", "net", "-addr", "127.0.0.1:99999"}, wantErr: "-addr 127.0.0.1:99999: port \"99999\": want a number from 0 to 65535"},
	{name: "serve/loops-too-many", args: []string{"serve", "-design", "gnet", "-loops", "100000"}, wantErr: "-loops 100000: want 1 to"},
	sweepCase("nothing-to-run", "-addr", "", "-servers", "net", "-pools", "ring", "-conns", "5000").want("-conns 5000: nothing to run"),
	sweepCase("server-twice", "-addr", "", "-servers", "net,net").want("-servers net,net: net is named twice"),
	sweepCase("pool-twice", "-pools", "ring,ring").want("-pools ring,ring: ring is named twice"),
	// The output is checked before the run: these would start servers.
	sweepCase("out-other-config", "-addr", "", "-servers", "net", "-pools", "ring", "-count", "1", "-out", "$DIR/echo-other.txt").want("echo-other.txt holds results of another configuration ("),
	sweepCase("out-pool-results", "-addr", "", "-servers", "net", "-pools", "ring").want("holds results of another configuration (Pool/impl=ring-2, none of this sweep's benchmarks)"),
	sweepCase("out-not-results", "-addr", "", "-servers", "net", "-pools", "ring", "-out", "$DIR/corrupt.txt").want("holds no benchmark results"),
	// Restart while idle and the cold burst go through the same check.
	sweepCase("out-scenarios-other-config", append(scenarioArgs, "-out", "$DIR/scenarios-other.txt")...).want("scenarios-other.txt holds results of another configuration ("),
	sweepCase("out-scenarios-over-echo", append(scenarioArgs, "-out", "$DIR/echo-other.txt")...).want("holds results of another configuration (Echo/server=net/pool=ring/conns=1-2, none of this sweep's benchmarks)"),
	sweepCase("out-echo-over-scenarios", "-addr", "", "-servers", "net", "-pools", "ring", "-out", "$DIR/scenarios-other.txt").want("holds results of another configuration (ColdBurst/server=net/pool=ring/maxconns=1/burst=4/dial=1ms-2, none of this sweep's benchmarks)"),
	sweepCase("out-unwritable", "-addr", "", "-servers", "net", "-pools", "ring", "-out", "$DIR/old.txt/echo.txt").want("-out $DIR/old.txt/echo.txt: $DIR/old.txt is not a directory"),
}

// scenarioArgs run restart while idle and a cold burst of one point each
// on a net child server (sweepCase's base arguments load -addr).
var scenarioArgs = []string{"-addr", "", "-servers", "net", "-pools", "ring", "-restart", "50ms", "-restart-idle",
	"-cold-burst", "4", "-dial-delays", "1ms", "-count", "1"}

// reportCase is a bad report invocation that would write over REPORT.md.
func reportCase(name string, args ...string) badCase {
	files := maps.Clone(results)
	files["REPORT.md"] = "# the previous report\n"
	return badCase{
		name:  "report/" + name,
		args:  append([]string{"report", "-out", "$DIR/REPORT.md"}, args...),
		files: files,
	}
}

// reportInputCase is a report reading the case's dir as its results, where
// file holds body: an input that exists but cannot be used. REPORT.md and
// every input must survive, and no plots dir may appear.
func reportInputCase(name, file, body string) badCase {
	c := reportCase(name, "-results", "$DIR")
	c.files[file] = body
	return c
}

// sweepCase is a bad sweep invocation writing to the baseline old.txt. Its
// base arguments are valid and name a server at an address where nothing
// listens, so the sweep never starts a server and the run, were the bad
// argument accepted, would fail with "unreachable" instead of the reason the
// case wants (later flags override earlier ones).
func sweepCase(name string, args ...string) badCase {
	base := []string{"sweep", "-out", "$DIR/old.txt", "-addr", "127.0.0.1:1", "-servers", "echo", "-conns", "1", "-duration", "50ms"}
	return badCase{
		name:  "sweep/" + name,
		args:  append(base, args...),
		files: results,
	}
}

// want sets the piece of the error line that says why the run failed.
func (c badCase) want(s string) badCase {
	c.wantErr = s
	return c
}

// results are the result files the gate and report cases read: a valid
// one, an empty one, and two corrupt ones. Each case checks they are
// unchanged afterwards, so old.txt doubles as a baseline.
var results = map[string]string{
	"old.txt":     "goos: linux\ngoarch: amd64\nBenchmarkPool/impl=ring-2 1000 10.5 ns/op\n",
	"empty.txt":   "",
	"corrupt.txt": "BenchmarkPool/impl=ring-2 1000 ten ns/op\nBenchmark 1 2\n",
	"binary.txt":  "\x00\x01\xff\xfe BenchmarkPool \x00\n",
	"nan.txt":     "goos: linux\nBenchmarkPool/impl=ring-2 1 NaN ns/op\n",
	"inf.txt":     "BenchmarkPool/impl=ring-2 1 +Inf ns/op\n",
	// A sweep's results of another configuration (-duration 10s).
	"echo-other.txt": "goos: linux\nmodel: closed\nsize: 64\nduration: 10s\nwarmup: 100ms\ncount: 1\nfault: \nrestart: \n" +
		"server: net\nprotocol: echo\nlaunch: child\n\nBenchmarkEcho/server=net/pool=ring/conns=1-2 100 5000 req/s\n",
	// The scenarios' results as they were written before they carried the
	// sweep's configuration (no model, duration or restart).
	"scenarios-other.txt": "goos: linux\nsize: 64\ncount: 6\ncap-reps: 8\ncap-time: 15s\nserver: net\nprotocol: echo\nloops: 2\nlaunch: child\n\n" +
		"BenchmarkRestartIdle/server=net/pool=ring/maxconns=1/workers=1-2 1 0 failures 0 stale-conns 1 dials\n" +
		"BenchmarkColdBurst/server=net/pool=ring/maxconns=1/burst=4/dial=1ms-2 1 3e+06 served-ns 1 peak-dials\n",
}

func TestBadInput(t *testing.T) {
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, body := range tc.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			r := runPoolbench(t, dir, args...)
			t.Logf("exit %d: %s", r.code, strings.TrimSpace(r.stderr))
			if r.code != 2 {
				t.Errorf("poolbench %q: exit %d, want 2\nstderr: %s", args, r.code, r.stderr)
			}
			checkOneLine(t, args, r.stderr)
			if want := strings.ReplaceAll(tc.wantErr, "$DIR", dir); !strings.Contains(r.stderr, want) {
				t.Errorf("poolbench %q: stderr does not say %q:\n%s", args, want, r.stderr)
			}
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
	// Every file and directory under dir, raw/ included: a plots/ or a file
	// a failed run adds counts too.
	var got []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if d.IsDir() {
			rel += "/"
		}
		got = append(got, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Collect(maps.Keys(files))
	for name := range files {
		if d := filepath.Dir(name); d != "." {
			want = append(want, filepath.ToSlash(d)+"/")
		}
	}
	slices.Sort(want)
	want = slices.Compact(want)
	slices.Sort(got)
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

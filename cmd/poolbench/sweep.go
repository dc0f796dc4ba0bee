package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/results"
)

func init() {
	commands["sweep"] = command{"load every server x pool design at rising concurrency; write benchfmt results", runSweep}
}

// sweepUsage is the sweep's manual, printed by -h.
const sweepUsage = `usage: poolbench sweep [flags]

For each server design (started as a child process, "poolbench serve", per
point; or the one server at -addr), each pool design, each pool size
(-maxconns) and each worker level (-workers), runs W workers sharing one
pool of M conns that loop Get, write -size bytes, read the echo, verify
it, Put, for -duration after -warmup. -sizes LIST sweeps message sizes
instead (bulk transfer: 64,256,1Ki,4Ki,16Ki,64Ki,256Ki,1Mi): every point
once per size, named .../workers=W/size=B and recording echo-MB/s, the
payload echoed per second in one direction (benchstat -table ""
-col /server -row /size); a UDP server takes sizes up to 65507 bytes. -maxconns auto means M = W (no Get
waits for a conn); a pool larger than its workers is not swept.
Repetitions (-count) are interleaved: rep 1 of every point, then rep 2.
-preset names the levels, durations and counts (harness.Presets); a flag
given explicitly overrides its preset's value.

Writes benchfmt results (benchstat input) to -out atomically, named
BenchmarkEcho/server=S/pool=P/maxconns=M/workers=W-G; progress and the
saturation knees go to stderr. An existing -out is replaced only when
it holds results of this configuration and no point this run lacks
(-force replaces any file); that, every flag, and whether -out can be
written are checked before the run, not after it. Ctrl-C keeps the
finished points: in -out, or in OUT.interrupted when -out held results.

From several client hosts at once: "sweep -addr HOST:PORT -shard I/N
-start-at T" on each runs shard I of N (its share of every point's workers
and conns, under the names and configuration every shard writes), point k
starting at T + k x (warmup + duration + gap) by the host's clock; it
records each point's start error (start-err-ns) and latency histogram, and
says so when it starts later than the warm-up absorbs. Without -shard, I
comes from $JOB_COMPLETION_INDEX and N from -shards or $POOLBENCH_SHARDS
(a Kubernetes Indexed Job). "poolbench merge" combines the N files.

Exit status: 0 done; 1 a server or pool failed; 2 bad input; 130 interrupted
(the finished points were written).

flags:
`

func runSweep(stdout, stderr io.Writer, args []string) error {
	def, err := harness.Preset(harness.DefaultPreset)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), sweepUsage); fs.PrintDefaults() }
	preset := fs.String("preset", harness.DefaultPreset, "`name` of the settings to start from: "+strings.Join(harness.PresetNames(), ", "))
	servers := fs.String("servers", "", "comma-separated server `designs` (default all); with -addr, the one design or protocol (echo, http, udp) it speaks")
	pools := fs.String("pools", "", "comma-separated pool `designs` (default all)")
	workers := fs.String("workers", joinInts(def.Workers), "comma-separated worker `levels` (1 to 10000)")
	maxConns := fs.String("maxconns", joinLevels(def.MaxConns), "comma-separated pool `sizes`, auto for M = workers (above 1024 only for event-loop servers)")
	conns := fs.String("conns", "", "`levels` of workers with -maxconns auto (shorthand for -workers LEVELS -maxconns auto)")
	// The settings flags default to the default preset's values; one
	// given explicitly overrides whichever preset -preset names.
	var set harness.Settings
	fs.DurationVar(&set.Duration, "duration", def.Duration, "measurement window of each point")
	fs.DurationVar(&set.Warmup, "warmup", def.Warmup, "unmeasured warm-up before each window")
	fs.IntVar(&set.Count, "count", def.Count, "repetitions of every point, interleaved")
	fs.IntVar(&set.Size, "size", def.Size, "message size in `bytes`")
	sizes := fs.String("sizes", "", sizesUsage)
	fs.DurationVar(&set.OpTimeout, "timeout", def.OpTimeout, "deadline of one request's dial, write and read")
	s := &harness.Sweep{Progress: stderr}
	fs.Float64Var(&s.Rate, "rate", 0, "open loop: total `req/s` on a fixed schedule (0: closed loop)")
	loops := fs.Int("loops", runtime.NumCPU(), "event loops (or accept loops) of each server started")
	addr := fs.String("addr", "", "`host:port` of a running server to load instead of starting the designs")
	out := fs.String("out", "results/raw/echo.txt", "result `file`, replaced atomically")
	fs.StringVar(&s.Fault, "fault", "", "fault `spec` injected by a proxy between pools and servers: latency=10ms, reset_peer, timeout, slow_close, none")
	fs.DurationVar(&s.Restart.At, "restart", 0, "fault: kill each point's server this long after it starts and start it again on the same port; writes a BenchmarkRestart result per point")
	var scen scenarioFlags
	scen.register(fs)
	var shard shardFlags
	shard.register(fs)
	debugAddr := debugAddrFlag(fs)
	fs.BoolVar(&s.ServerCloses, "server-closes", false, "the servers close each conn first, after its echo (serve -close-after SIZE), so TIME_WAIT lands on their side; every request waits for that close and dials anew (raw echo designs that can: "+strings.Join(closingServers(), ", ")+")")
	fs.BoolVar(&s.ShareServer, "share-server", false, "run every point of a server design against one server process instead of a fresh one per point (saves a child's start-up per point; no RSS per conn)")
	force := fs.Bool("force", false, "replace -out even when it holds results of another configuration, or other points")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInput("sweep: unexpected arguments %q", fs.Args())
	}
	if s.Settings, err = harness.Preset(*preset); err != nil {
		return flagError("sweep", "preset", *preset, "%v", err)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if given["duration"] {
		s.Duration = set.Duration
	}
	if given["warmup"] {
		s.Warmup = set.Warmup
	}
	if given["count"] {
		s.Count = set.Count
	}
	if given["size"] {
		s.Size = set.Size
	}
	if given["timeout"] {
		s.OpTimeout = set.OpTimeout
	}
	// Each list is checked on its own first, so that an error names the
	// flag whose value is wrong; then -conns must stand alone.
	if given["workers"] {
		if s.Workers, err = parseLevelList("workers", *workers, false); err != nil {
			return err
		}
	}
	if given["maxconns"] {
		if s.MaxConns, err = parseLevelList("maxconns", *maxConns, true); err != nil {
			return err
		}
	}
	if given["conns"] {
		if s.Workers, err = parseLevelList("conns", *conns, false); err != nil {
			return err
		}
		if given["workers"] || given["maxconns"] {
			return flagError("sweep", "conns", *conns, "-conns is -workers LEVELS -maxconns auto; give it alone")
		}
		s.MaxConns = []int{harness.Auto}
	}
	if err := checkSweepFlags(s, *loops, *addr, s.Restart.At); err != nil {
		return err
	}
	if given["sizes"] {
		if s.Sizes, err = parseSizes(*sizes); err != nil {
			return err
		}
		switch {
		case given["size"]:
			return flagError("sweep", "sizes", *sizes, "-size is one message size and -sizes a list of them: give one of the two")
		case scen.asked():
			return flagError("sweep", "sizes", *sizes, "-restart-idle and -cold-burst run at one message size (-size)")
		}
	}
	if s.Shard, err = shard.resolve(getenv, *addr, s.Workers); err != nil {
		return err
	}
	if s.Shard.Of > 0 && (s.Restart.At != 0 || scen.asked()) {
		return badInput("sweep: -shard %s loads a server every shard shares: no -restart, -restart-idle or -cold-burst", s.Shard)
	}
	if err := scen.check(s.Count, s.Restart.At); err != nil {
		return err
	}
	if err := checkOutputFile("sweep", "out", *out); err != nil {
		return err
	}
	if s.Pools, err = selectPools(*pools); err != nil {
		return err
	}
	if s.Servers, err = selectServers(*servers, *addr, *loops); err != nil {
		return err
	}
	if s.ServerCloses {
		if scen.asked() {
			return badInput("sweep: -server-closes is for the echo sweep, not -restart-idle or -cold-burst")
		}
		if err := closeFirst(s.Servers, s.Size); err != nil {
			return err
		}
	}
	if scen.asked() && (*addr != "" || s.Fault != "" || s.Rate > 0) {
		return badInput("sweep: -restart-idle and -cold-burst start their own servers, in closed loop, without -addr, -fault or -rate")
	}
	if err := scen.apply(s); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return fieldFlagError(fs, given, *servers, err)
	}
	if err := startDebug("sweep", *debugAddr, stderr); err != nil {
		return err
	}
	preview, err := s.Preview()
	if err != nil {
		return badInput("sweep: %v", err)
	}
	held, err := checkReplace(*out, preview, *force)
	if err != nil {
		return err
	}
	if *addr != "" {
		if err := probe(s.Servers[0].Protocol, *addr); err != nil {
			return badInput("sweep: -addr %s is unreachable: %v", *addr, err)
		}
	}

	// Each point is written as it finishes, to a file that replaces -out
	// only once the sweep is done: memory holds no finished point, and a
	// failed sweep leaves -out as it was.
	f, err := results.Create(*out)
	if err != nil {
		return flagError("sweep", "out", *out, "%v", err)
	}
	defer f.Abort() // after a Commit, nothing
	s.Out = f.Writer
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := s.Run(ctx)
	if errors.Is(err, harness.ErrInterrupted) {
		if res.Len() == 0 {
			return interrupted{err: fmt.Errorf("%w; nothing written", err)}
		}
		// A part of the sweep must not replace a whole one: the finished
		// points go next to -out when -out held results.
		partial := *out
		if held {
			partial = *out + ".interrupted"
		}
		if werr := f.CommitAs(partial); werr != nil {
			return fmt.Errorf("%w; writing the finished points: %w", err, werr)
		}
		return interrupted{err: fmt.Errorf("%w; wrote them to %s", err, partial)}
	}
	if err != nil {
		return err // the previous -out is left as it was
	}
	if err := f.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "sweep: wrote %d results to %s\n", res.Len(), *out)
	return nil
}

// probe checks, before the run, that a server answers at addr: a TCP
// connect, or for UDP (where a dial succeeds with nobody there) one
// datagram echoed.
func probe(p server.Protocol, addr string) error {
	const limit = 2 * time.Second
	if p != server.UDP {
		c, err := net.DialTimeout("tcp", addr, limit)
		if err == nil {
			c.Close()
		}
		return err
	}
	c, err := net.DialTimeout("udp", addr, limit)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(limit))
	if _, err := c.Write([]byte{'?'}); err != nil {
		return err
	}
	_, err = c.Read(make([]byte, 1))
	return err
}

// interrupted ends the command with 130, the shell's status for SIGINT.
type interrupted struct{ err error }

func (e interrupted) Error() string { return e.err.Error() }
func (e interrupted) Unwrap() error { return e.err }
func (interrupted) ExitCode() int   { return 130 }

// selectPools returns the named pool designs, or all when names is empty.
func selectPools(names string) ([]harness.Pool, error) {
	if names == "" {
		return harnessPools(impls.Pools()), nil
	}
	list, err := designList("pools", names)
	if err != nil {
		return nil, err
	}
	var ds []impls.PoolDesign
	for _, name := range list {
		d, err := impls.LookupPool(name)
		if err != nil {
			return nil, flagError("sweep", "pools", names, "%v", err)
		}
		ds = append(ds, d)
	}
	return harnessPools(ds), nil
}

// harnessPools passes registered pool designs to the harness as values.
func harnessPools(ds []impls.PoolDesign) []harness.Pool {
	ps := make([]harness.Pool, len(ds))
	for i, d := range ds {
		ps[i] = harness.Pool{Name: d.Name, New: d.New}
	}
	return ps
}

// designList splits a list flag of design names: at least one, none twice.
func designList(flagName, names string) ([]string, error) {
	list := splitList(names)
	if len(list) == 0 {
		return nil, flagError("sweep", flagName, names, "want at least one design name")
	}
	return list, checkUnique("sweep", flagName, list)
}

// selectServers returns the named server designs as child processes of
// this executable, or, with addr, the one server there.
func selectServers(names, addr string, loops int) ([]harness.Server, error) {
	if addr != "" {
		return externalServer(names, addr)
	}
	var ds []impls.ServerDesign
	if names == "" {
		ds = impls.Servers()
	} else {
		list, err := designList("servers", names)
		if err != nil {
			return nil, err
		}
		for _, name := range list {
			d, err := impls.LookupServer(name)
			if err != nil {
				return nil, flagError("sweep", "servers", names, "%v", err)
			}
			ds = append(ds, d)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find this executable to start servers: %w", err)
	}
	var srvs []harness.Server
	for _, d := range ds {
		srvs = append(srvs, harness.Server{
			Name: d.Name, Protocol: d.Protocol, EventLoop: d.EventLoop, Loops: loops,
			// The child's stderr (two log lines per point) is kept back and
			// quoted only if it fails.
			Launch: harness.Process{
				Path: exe,
				Args: []string{"serve", "-design", d.Name, "-addr", "127.0.0.1:0", "-loops", strconv.Itoa(loops)},
			},
		})
	}
	return srvs, nil
}

// closeFirst makes the servers started here close each conn after its
// echo of size bytes (serve -close-after); a design that cannot is bad
// input. An external server (-addr) is taken to do so already.
func closeFirst(srvs []harness.Server, size int) error {
	for i, srv := range srvs {
		proc, ok := srv.Launch.(harness.Process)
		if !ok {
			continue
		}
		if d, err := impls.LookupServer(srv.Name); err != nil || !d.ClosesFirst {
			return flagError("sweep", "server-closes", true, "server design %s cannot close a conn first (designs that can: %s)",
				srv.Name, strings.Join(closingServers(), ", "))
		}
		proc.Args = append(slices.Clone(proc.Args), "-close-after", strconv.Itoa(size))
		srvs[i].Launch = proc
	}
	return nil
}

// externalServer describes the server at addr; name is a server design
// (its protocol is used) or a protocol.
func externalServer(name, addr string) ([]harness.Server, error) {
	switch p := server.Protocol(name); {
	case name == "":
		return nil, badInput("sweep: -addr needs -servers to name the design or protocol (echo, http) it speaks")
	case strings.Contains(name, ","):
		return nil, flagError("sweep", "servers", name, "-addr loads one server; this names several")
	case p == server.Echo || p == server.HTTP || p == server.UDP:
		return []harness.Server{{Name: name, Protocol: p, EventLoop: true, Launch: harness.External(addr)}}, nil
	}
	d, err := impls.LookupServer(name)
	if err != nil {
		return nil, flagError("sweep", "servers", name, "%v", err)
	}
	return []harness.Server{{Name: d.Name, Protocol: d.Protocol, EventLoop: d.EventLoop, Launch: harness.External(addr)}}, nil
}

// checkSweepFlags checks the sweep's numeric and address flags, with the
// meaning the command gives them (0 means 0 here, not the library's
// default).
func checkSweepFlags(s *harness.Sweep, loops int, addr string, restart time.Duration) error {
	for _, err := range []error{
		checkDuration("sweep", "duration", s.Duration, time.Millisecond, maxRunDuration),
		checkDuration("sweep", "warmup", s.Warmup, 0, maxRunDuration),
		checkInt("sweep", "count", s.Count, 1, maxCount),
		checkInt("sweep", "size", s.Size, 1, harness.MaxSize),
		checkFloat("sweep", "rate", s.Rate, 0, maxRate),
		checkDuration("sweep", "timeout", s.OpTimeout, time.Millisecond, maxRunDuration),
		checkInt("sweep", "loops", loops, 1, server.MaxLoops()),
		checkDuration("sweep", "restart", restart, 0, maxRunDuration),
	} {
		if err != nil {
			return err
		}
	}
	if addr != "" {
		return checkDialAddr("sweep", "addr", addr)
	}
	return nil
}

// Bounds of sweep flags that have no natural one.
const (
	maxCount = 1000 // repetitions of a point; benchstat needs 6 to 20
	maxRate  = 1e8  // req/s; far beyond what one client process sends
)

// parseLevelList parses a list flag of levels (-workers, -conns,
// -maxconns): integers 1 to harness.MaxWorkers, none twice, and with auto
// allowed, the word auto (harness.Auto).
func parseLevelList(name, s string, auto bool) ([]int, error) {
	var ns []int
	seen := map[int]bool{}
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		switch {
		case auto && f == "auto":
			n = harness.Auto
		case err != nil:
			return nil, flagError("sweep", name, s, "%q is not an integer", f)
		case n < 1 || n > harness.MaxWorkers:
			return nil, flagError("sweep", name, s, "level %d out of range 1 to %d", n, harness.MaxWorkers)
		}
		if seen[n] {
			return nil, flagError("sweep", name, s, "level %s is named twice", f)
		}
		seen[n] = true
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return nil, flagError("sweep", name, s, "want at least one level")
	}
	return ns, nil
}

// joinLevels is the inverse of parseLevelList with auto.
func joinLevels(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
		if n == harness.Auto {
			s[i] = "auto"
		}
	}
	return strings.Join(s, ",")
}

// sweepFlags names the flag that sets each harness.Sweep field.
var sweepFlags = map[string]string{
	"Workers": "workers", "MaxConns": "maxconns", "Duration": "duration", "Warmup": "warmup", "Count": "count",
	"Size": "size", "Sizes": "sizes", "OpTimeout": "timeout", "Rate": "rate", "Fault": "fault", "Restart.At": "restart",
	"ColdBurst": "cold-burst", "ColdBurst.DialDelays": "dial-delays", "ServerCloses": "server-closes",
}

// fieldFlagError turns an invalid harness.Sweep field (harness.FieldError)
// into bad input naming the flag that set it ("-count 0: count is 0, want
// >= 1"); the levels set through -conns are named -conns. A field no flag
// sets is reported as it is.
func fieldFlagError(fs *flag.FlagSet, given map[string]bool, servers string, err error) error {
	var fe *harness.FieldError
	name, ok := "", false
	if errors.As(err, &fe) {
		name, ok = sweepFlags[fe.Field]
	}
	if !ok {
		return badInput("sweep: %v", err)
	}
	if (name == "workers" || name == "maxconns") && given["conns"] {
		name = "conns"
	}
	why := fe.Err.Error()
	if errors.Is(err, harness.ErrNothingToRun) {
		why += fmt.Sprintf(" (servers %s)", quoteEmpty(servers))
	}
	return flagError("sweep", name, fs.Lookup(name).Value, "%s", why)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("empty list")
	}
	return out, nil
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

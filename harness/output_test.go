package harness

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/results"
)

func sampleResults() *Results {
	ms := time.Millisecond
	pt := func(srv, pool string, conns, rep int) Point {
		return Point{Server: srv, Pool: pool, Workers: 4 * conns, MaxConns: conns, Rep: rep, Requests: 5000, Window: 500 * ms,
			Latency: Latency{P50: ms, P90: 2 * ms, P99: 3 * ms, P999: 4 * ms, Max: 5 * ms},
			Dials:   uint64(conns), Wait: Wait{Mean: time.Microsecond, P50: 500, P99: 7 * time.Microsecond, Max: ms, Waited: 0.25},
			Fairness: 0.75, Stall: 30 * ms, CPU: 20 * time.Microsecond, HasRSS: srv == "gnet", RSSPerConn: 4096}
	}
	bad := pt("gnet", "ring", 64, 2)
	bad.Errors[Reset], bad.Errors[Timeout] = 2, 1
	return &Results{
		Config:  []results.KV{{Key: "goos", Value: "linux"}, {Key: "model", Value: "closed"}, {Key: "size", Value: "64"}},
		Servers: []ServerInfo{{Name: "gnet", Protocol: server.Echo, Loops: 2}, {Name: "ext", Protocol: server.HTTP, External: true}},
		// Run order (rep outermost); Write groups by server, pool, conns.
		Points: []Point{pt("gnet", "ring", 64, 1), pt("gnet", "chan", 1, 1), pt("ext", "ring", 1, 1), pt("gnet", "ring", 1, 1), bad},
		Procs:  2,
	}
}

// readBack reads benchfmt text as benchstat does, returning its results and
// the "better" metadata by unit; a syntax error fails t.
func readBack(t *testing.T, text []byte) ([]*benchfmt.Result, map[string]string) {
	t.Helper()
	r := benchfmt.NewReader(bytes.NewReader(text), "results.txt")
	var recs []*benchfmt.Result
	better := map[string]string{}
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatalf("syntax error: %v", rec)
		case *benchfmt.UnitMetadata:
			better[rec.OrigUnit] = rec.Value
		case *benchfmt.Result:
			recs = append(recs, rec.Clone())
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return recs, better
}

// TestWriteReadBack reads the output back with benchfmt.Reader, as
// benchstat and the report do.
func TestWriteReadBack(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleResults().Write(&buf); err != nil {
		t.Fatal(err)
	}
	recs, better := readBack(t, buf.Bytes())
	var names []string
	errored := 0
	for _, rec := range recs {
		name := rec.Name.String()
		names = append(names, name)
		cfg := func(k string) string { return rec.GetConfig(k) }
		srv := "gnet"
		if strings.Contains(name, "server=ext") {
			srv = "ext"
		}
		if cfg("server") != srv || cfg("goos") != "linux" || cfg("size") != "64" {
			t.Errorf("%s: config server=%q goos=%q size=%q", name, cfg("server"), cfg("goos"), cfg("size"))
		}
		if srv == "ext" && (cfg("launch") != "external" || cfg("protocol") != "http" || cfg("loops") != results.None) {
			t.Errorf("%s: launch %q protocol %q loops %q", name, cfg("launch"), cfg("protocol"), cfg("loops"))
		}
		if srv == "gnet" && (cfg("launch") != "child" || cfg("loops") != "2") {
			t.Errorf("%s: launch %q loops %q", name, cfg("launch"), cfg("loops"))
		}
		if rec.Iters != 5000 {
			t.Errorf("%s: iters %d, want the request count", name, rec.Iters)
		}
		// The reader tidies ns to sec.
		for unit, want := range map[string]float64{"req/s": 10000, "p50-sec": 1e-3, "p999-sec": 4e-3, "max-sec": 5e-3,
			"wait-sec/op": 1e-6, "p50-wait-sec": 500e-9, "p99-wait-sec": 7e-6, "max-wait-sec": 1e-3, "waited-frac": 0.25,
			"jain": 0.75, "stall-sec": 30e-3, "cpu-sec/op": 20e-6} {
			v, ok := rec.Value(unit)
			if !ok || v < want*0.999 || v > want*1.001 {
				t.Errorf("%s: %s = %v (%v), want %v", name, unit, v, ok, want)
			}
		}
		_, hasRSS := rec.Value("rss-B/conn")
		if hasRSS != (srv == "gnet") {
			t.Errorf("%s: rss-B/conn present %v, want only for the child server", name, hasRSS)
		}
		if d, _ := rec.Value("dials"); !strings.Contains(name, fmtConns(int(d))) {
			t.Errorf("%s: dials %v, want the pool size", name, d)
		}
		// Error classes appear only when non-zero, and add up.
		e, _ := rec.Value("errors")
		reset, _ := rec.Value("reset-errors")
		timeout, _ := rec.Value("timeout-errors")
		_, refused := rec.Value("refused-errors")
		if e != reset+timeout || refused {
			t.Errorf("%s: errors %v, reset %v, timeout %v, refused present %v", name, e, reset, timeout, refused)
		}
		if e > 0 {
			errored++
		}
	}
	// Grouped by server, then pool in sweep order, pool size, workers;
	// repetitions in run order. No knee lines: the reader computes knees.
	want := []string{
		"Echo/server=gnet/pool=ring/maxconns=1/workers=4-2", "Echo/server=gnet/pool=ring/maxconns=64/workers=256-2", "Echo/server=gnet/pool=ring/maxconns=64/workers=256-2",
		"Echo/server=gnet/pool=chan/maxconns=1/workers=4-2",
		"Echo/server=ext/pool=ring/maxconns=1/workers=4-2",
	}
	if !slices.Equal(names, want) {
		t.Errorf("recs in order\n%q\nwant\n%q", names, want)
	}
	if errored != 1 {
		t.Errorf("%d recs with errors, want 1", errored)
	}
	if better["req/s"] != "higher" || better["p99-ns"] != "lower" || better["errors"] != "lower" || better["jain"] != "higher" {
		t.Errorf("unit metadata %v", better)
	}
}

func fmtConns(n int) string { return "/maxconns=" + strconv.Itoa(n) + "/" }

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "echo.txt")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, sampleResults()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !bytes.Contains(b, []byte("BenchmarkEcho/server=gnet")) || bytes.Contains(b, []byte("old")) {
		t.Errorf("file after WriteFile:\n%s", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want only echo.txt (no temp left)", len(entries))
	}
	// A directory that cannot exist: nothing is written.
	if err := WriteFile(filepath.Join(path, "sub", "x.txt"), sampleResults()); err == nil {
		t.Error("WriteFile under a regular file succeeded")
	}
	if b2, _ := os.ReadFile(path); !bytes.Equal(b, b2) {
		t.Error("a failed WriteFile changed another file")
	}
}

// TestShardPointLeavesOutUnmergeable: a shard's point (one with its
// histogram) writes none of the units poolbench merge refuses, and
// keeps the ones it merges.
func TestShardPointLeavesOutUnmergeable(t *testing.T) {
	res := sampleResults()
	res.Points = res.Points[:1]
	res.Points[0].Hist = hdrhistogram.New(histMin, histMax, histDigits)
	var buf bytes.Buffer
	if err := res.Write(&buf); err != nil {
		t.Fatal(err)
	}
	recs, _ := readBack(t, buf.Bytes())
	for _, unit := range []string{"p50-wait-sec", "p99-wait-sec", "max-wait-sec", "waited-frac", "jain"} {
		if _, ok := recs[0].Value(unit); ok {
			t.Errorf("a shard's point writes %s, which merge cannot combine", unit)
		}
	}
	for _, unit := range []string{"req/s", "wait-sec/op", "stall-sec"} {
		if _, ok := recs[0].Value(unit); !ok {
			t.Errorf("a shard's point lacks %s", unit)
		}
	}
}

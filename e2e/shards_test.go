package e2e

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/impls"
)

// TestShardsThreeHosts runs scripts/netns-shards.sh: "poolbench serve" in
// one network namespace and a shard of one sweep in each of two others,
// all on a bridge, both shards aligned on one -start-at. It merges their
// files with "poolbench merge" and checks the merge against the shards'
// files read here, independently of the merge's code: for every point the
// merged req/s is the sum of the shards', the merged p99 is the p99 of the
// union of the two shards' histograms (decoded and merged here with
// hdrhistogram itself), and the shards' windows overlapped. It is skipped,
// with the reason, only where namespaces cannot be created.
func TestShardsThreeHosts(t *testing.T) {
	d := echoServerDesign(t)
	poolName := impls.PoolNames()[0]
	id := fmt.Sprintf("sh%d", os.Getpid()%100000)
	t.Cleanup(func() {
		for _, ns := range []string{"pb-srv-" + id, "pb-c0-" + id, "pb-c1-" + id} {
			exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	dir := t.TempDir()
	// Far enough ahead for both shards' processes to start on a busy machine.
	startAt := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
	const warmup, window = 200 * time.Millisecond, 400 * time.Millisecond
	stderr := runNetnsScript(t, "netns-shards.sh", []string{"DESIGN=" + d.Name, "NETNS_ID=" + id, "LOOPS=1", "START_AT=" + startAt},
		poolbench, dir, "-servers", d.Name, "-pools", poolName, "-conns", "4,8", "-count", "1",
		"-warmup", warmup.String(), "-duration", window.String(), "-gap", "300ms")
	t.Logf("%s", stderr)
	shards := []string{filepath.Join(dir, "shard-0.txt"), filepath.Join(dir, "shard-1.txt")}
	for _, s := range shards {
		log, _ := os.ReadFile(strings.TrimSuffix(s, ".txt") + ".log")
		t.Logf("%s:\n%s", filepath.Base(s), log)
	}

	merged := filepath.Join(dir, "merged.txt")
	if r := runPoolbench(t, dir, "merge", shards[0], shards[1], "-out", merged); r.code != 0 {
		t.Fatalf("merge: exit %d: %s", r.code, r.stderr)
	}
	m := readRun(t, merged)
	s0, s1 := readRun(t, shards[0]), readRun(t, shards[1])
	if len(m) != 2 || len(s0) != 2 || len(s1) != 2 {
		t.Fatalf("points: merged %d, shards %d and %d; want 2 each (conns 4, 8)", len(m), len(s0), len(s1))
	}
	for key, mp := range m {
		a, b := s0[key], s1[key]
		if a == nil || b == nil {
			t.Fatalf("%s: not in both shards", key)
		}
		if a.values["req/s"] == 0 || b.values["req/s"] == 0 {
			t.Errorf("%s: a shard measured no requests (%v, %v req/s)", key, a.values["req/s"], b.values["req/s"])
		}
		if got, want := mp.values["req/s"], a.values["req/s"]+b.values["req/s"]; got != want {
			t.Errorf("%s: merged %v req/s, the shards' sum %v", key, got, want)
		}
		union := hdrhistogram.New(a.hist.LowestTrackableValue(), a.hist.HighestTrackableValue(), int(a.hist.SignificantFigures()))
		union.Merge(a.hist)
		union.Merge(b.hist)
		if got, want := mp.values["p99-ns"], float64(union.ValueAtPercentile(99)); got != want {
			t.Errorf("%s: merged p99 %v ns, the union of the shards' histograms %v ns", key, got, want)
		}
		if got, want := mp.values["errors"], a.values["errors"]+b.values["errors"]; got != want {
			t.Errorf("%s: merged %v errors, the shards' sum %v", key, got, want)
		}
		from, to := later(a.start, b.start), earlier(a.end, b.end)
		if !to.After(from) {
			t.Errorf("%s: windows apart: shard 0 %v-%v, shard 1 %v-%v", key, a.start, a.end, b.start, b.end)
		}
		t.Logf("%s: shard 0 %.0f req/s (start error %v), shard 1 %.0f req/s (start error %v); merged %.0f req/s, p99 %v; windows overlap %v of %v",
			key, a.values["req/s"], time.Duration(a.values["start-err-ns"]), b.values["req/s"], time.Duration(b.values["start-err-ns"]),
			mp.values["req/s"], time.Duration(mp.values["p99-ns"]), to.Sub(from), window)
		for i, s := range []*runPoint{a, b} {
			if _, ok := s.values["start-err-ns"]; !ok {
				t.Errorf("%s: shard %d recorded no start error", key, i)
			}
		}
	}
}

// runPoint is one point of a result file as this test reads it: its
// values as written and its histogram line's window and histogram.
type runPoint struct {
	values     map[string]float64
	start, end time.Time
	hist       *hdrhistogram.Histogram
}

// readRun reads the Echo points of a result file by name (without -G) and
// repetition, each with the histogram line tagged with them, parsing the
// lines itself: it checks the merge, so it shares none of the merge's code.
func readRun(t *testing.T, path string) map[string]*runPoint {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pts := map[string]*runPoint{}
	reps := map[string]int{}
	hists := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if tag, ok := strings.CutPrefix(line, "Tag="); ok {
			name, _, _ := strings.Cut(tag, ",")
			hists[name] = tag
			continue
		}
		if !strings.HasPrefix(line, "BenchmarkEcho/") {
			continue
		}
		f := strings.Fields(line)
		name := strings.TrimPrefix(f[0], "Benchmark")
		name = name[:strings.LastIndex(name, "-")]
		reps[name]++
		p := &runPoint{values: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			p.values[f[i+1]] = v
		}
		pts[fmt.Sprintf("%s#%d", name, reps[name])] = p
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for key, p := range pts {
		tag, ok := hists[key]
		if !ok {
			t.Fatalf("%s: %s has no histogram line", path, key)
		}
		// Tag=NAME#REP,start,length,max,histogram
		f := strings.SplitN(tag, ",", 5)
		start, err1 := strconv.ParseFloat(f[1], 64)
		length, err2 := strconv.ParseFloat(f[2], 64)
		h, err3 := hdrhistogram.Decode([]byte(f[4]))
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("%s: histogram line of %s: %v %v %v", path, key, err1, err2, err3)
		}
		p.start = time.UnixMilli(int64(math.Round(start * 1000)))
		p.end = time.UnixMilli(int64(math.Round((start + length) * 1000)))
		p.hist = h
	}
	// And the file reads as benchfmt, histogram lines and all.
	f.Seek(0, 0)
	rd := benchfmt.NewReader(f, path)
	for rd.Scan() {
		if e, ok := rd.Result().(*benchfmt.SyntaxError); ok {
			t.Errorf("%s: %v", path, e)
		}
	}
	return pts
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

package e2e

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// TestSweepRestartResults runs "poolbench sweep -restart" through the
// built binary, with a latency proxy in front of the restarted server,
// and reads its result file back with benchfmt.Reader, as benchstat and
// the report do: one BenchmarkRestart result per point, with the units
// the report reads, and the fault and restart recorded as configuration.
func TestSweepRestartResults(t *testing.T) {
	d := echoServerDesign(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "faults.txt")
	pools := []string{"ring", "fatih"}
	r := runPoolbench(t, dir, "sweep", "-servers", d.Name, "-pools", strings.Join(pools, ","), "-conns", "4",
		"-warmup", "100ms", "-duration", "900ms", "-count", "1", "-loops", "1",
		"-restart", "200ms", "-fault", "latency=1ms", "-out", out)
	if r.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stderr, "\nsweep: restart: "); n != len(pools) {
		t.Errorf("%d restart log lines, want %d\n%s", n, len(pools), r.stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := benchfmt.NewReader(f, out)
	better := map[string]string{}
	var restarts []string
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", rec)
		case *benchfmt.UnitMetadata:
			better[rec.OrigUnit] = rec.Value
		case *benchfmt.Result:
			if rec.GetConfig("fault") != "latency=1ms" || rec.GetConfig("restart") != "200ms" || rec.GetConfig("model") != "closed" {
				t.Errorf("%s: config fault %q restart %q model %q", rec.Name, rec.GetConfig("fault"), rec.GetConfig("restart"), rec.GetConfig("model"))
			}
			name := rec.Name.String()
			if !strings.HasPrefix(name, "Restart/") {
				continue
			}
			restarts = append(restarts, name)
			t.Logf("%s %v", name, rec.Values)
			for _, unit := range []string{"failures", "down-sec", "first-ok-sec", "recovered"} {
				if _, ok := rec.Value(unit); !ok {
					t.Errorf("%s: no %s", name, unit)
				}
			}
			// Every pool gets the server back through the proxy: the
			// load loop discards a conn after its one failed use.
			if v, _ := rec.Value("recovered"); v != 1 {
				t.Errorf("%s: recovered %v, want 1", name, v)
			}
			if v, _ := rec.Value("down-sec"); v <= 0 {
				t.Errorf("%s: down-sec %v, want > 0", name, v)
			}
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range pools {
		want = append(want, "Restart/server="+d.Name+"/pool="+p+"/model=closed/maxconns=4/workers=4-"+strconv.Itoa(runtime.GOMAXPROCS(0)))
	}
	if strings.Join(restarts, " ") != strings.Join(want, " ") {
		t.Errorf("restart results %q, want %q", restarts, want)
	}
	if better["recovered"] != "higher" || better["failures"] != "lower" || better["settle-ns"] != "lower" {
		t.Errorf("unit metadata %v", better)
	}
}

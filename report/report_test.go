package report

import (
	"bytes"
	"flag"
	"github.com/poolbench/poolbench/results"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite testdata/REPORT.golden.md")

// fixedBuild stands in for the binary's build information, which differs
// between go test and go build.
var fixedBuild = &debug.BuildInfo{
	GoVersion: "go1.26.8",
	Main:      debug.Module{Path: "github.com/poolbench/poolbench", Version: "(devel)"},
	Deps: []*debug.Module{
		{Path: "github.com/jackc/puddle/v2", Version: "v2.2.3"},
		{Path: "github.com/fatih/pool", Version: "v3.0.0+incompatible"},
		{Path: "golang.org/x/perf", Version: "v0.0.0-20260908200009-22c9c6c9d4da",
			Replace: &debug.Module{Path: "../perf", Version: ""}},
	},
}

// copyResults copies the fixture results into a fresh directory laid out
// like the repository (dir/results, report at dir/REPORT.md).
func copyResults(t *testing.T, names ...string) (dir string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "results", results.RawDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", "results", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "results", n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func generate(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "REPORT.md")
	if err := Generate(Options{Results: filepath.Join(dir, "results"), Out: out, Build: fixedBuild}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGolden(t *testing.T) {
	dir := copyResults(t, PoolFile, ProfileFile, EchoFile, FaultsFile, ConformanceFile)
	got := generate(t, dir)
	golden := filepath.Join("testdata", "REPORT.golden.md")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("REPORT.md differs from %s (go test ./report -update to accept):\n%s", golden, got)
	}
	// Every linked plot exists and names every pool in its legend.
	for _, srv := range []string{"net", "gnet"} {
		for _, m := range []string{"reqs", "p99"} {
			name := "echo-" + srv + "-" + m + ".svg"
			if !strings.Contains(got, "](results/plots/"+name+")") {
				t.Errorf("report does not link %s", name)
			}
			svg, err := os.ReadFile(filepath.Join(dir, "results", PlotDir, name))
			if err != nil {
				t.Fatal(err)
			}
			for _, pool := range []string{"ring", "puddle"} {
				if !bytes.Contains(svg, []byte(">"+pool+"<")) {
					t.Errorf("%s has no legend entry for %s", name, pool)
				}
			}
		}
	}
}

// TestDeterministic: the same inputs give the same report and plots, byte
// for byte, so a regenerated REPORT.md diffs only where the data changed.
func TestDeterministic(t *testing.T) {
	read := func() map[string]string {
		dir := copyResults(t, PoolFile, EchoFile, FaultsFile, ConformanceFile)
		files := map[string]string{"REPORT.md": generate(t, dir)}
		plots, err := filepath.Glob(filepath.Join(dir, "results", PlotDir, "*.svg"))
		if err != nil || len(plots) != 8 { // echo: 2 servers x (req/s, p99); pool: 2 scenarios x 2 GOMAXPROCS
			t.Fatalf("plots: %v %v, want 8", plots, err)
		}
		for _, p := range plots {
			b, _ := os.ReadFile(p)
			files[filepath.Base(p)] = string(b)
		}
		return files
	}
	a, b := read(), read()
	for name := range a {
		if a[name] != b[name] {
			t.Errorf("%s differs between two runs on the same inputs", name)
		}
	}
}

func TestMissingInputs(t *testing.T) {
	got := generate(t, copyResults(t))
	for _, want := range []string{
		"No conformance results yet",
		"No pool micro-benchmark results yet",
		"No sweep results yet",
		"## When a dial costs a round trip\n\nNo fault results yet",
		"## Restart under load\n\nNo fault results yet",
		"## Restart while idle\n\nNo restart-while-idle results yet",
		"## Cold burst\n\nNo cold-burst results yet",
		"## Reproduce",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report of an empty results dir lacks %q:\n%s", want, got)
		}
	}
}

func TestSweepOnlyPoolMissing(t *testing.T) {
	got := generate(t, copyResults(t, EchoFile))
	if !strings.Contains(got, "No pool micro-benchmark results yet") || !strings.Contains(got, "### server=gnet") {
		t.Errorf("report with only echo.txt:\n%s", got)
	}
}

func TestConformanceRoundTripAndValidation(t *testing.T) {
	c, err := ReadConformance(filepath.Join("testdata", "results", ConformanceFile))
	if err != nil || c == nil {
		t.Fatalf("ReadConformance: %v, %v", c, err)
	}
	path := filepath.Join(t.TempDir(), ConformanceFile)
	if err := WriteConformance(path, c); err != nil {
		t.Fatal(err)
	}
	back, err := ReadConformance(path)
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	c.Pools[0].Results[0].Status = "ok"
	if err := WriteConformance(path, c); err == nil || !strings.Contains(err.Error(), `unknown status "ok"`) {
		t.Errorf("WriteConformance with status ok: %v, want an unknown-status error", err)
	}
	if err := os.WriteFile(path, []byte(`{"properties":[],"pools":[{"name":"x","results":[{"property":"P","status":"pass"}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConformance(path); err == nil || !strings.Contains(err.Error(), "unlisted property") {
		t.Errorf("ReadConformance with an unlisted property: %v", err)
	}
}

func TestCorruptInputFails(t *testing.T) {
	dir := copyResults(t)
	if err := os.WriteFile(filepath.Join(dir, "results", ConformanceFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "REPORT.md")
	if err := Generate(Options{Results: filepath.Join(dir, "results"), Out: out, Build: fixedBuild}); err == nil {
		t.Fatal("Generate with a corrupt conformance.json: no error")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed Generate left %s behind (%v)", out, err)
	}
}

func TestStaleMatrix(t *testing.T) {
	dir := copyResults(t, ConformanceFile)
	out := filepath.Join(dir, "REPORT.md")
	if err := Generate(Options{Results: filepath.Join(dir, "results"), Out: out, Build: fixedBuild,
		Registered: []string{"ring", "mutexlist"}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	for _, want := range []string{"**The matrix is stale**", "registered pools without results: mutexlist.", "no longer registered: fatih, sql."} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(generate(t, copyResults(t, ConformanceFile)), "The matrix is stale") {
		t.Error("report without a registry to compare says the matrix is stale")
	}
}

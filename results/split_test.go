package results

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
)

// splitRows reads the per-pool files of dir as benchstat does by default
// (-col .file -row .fullname, tables by .config) and returns each file's
// rows: "config | name", so a row two files name alike is one row of
// benchstat's table.
func splitRows(t *testing.T, dir string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var parser benchproc.ProjectionParser
	table, err := parser.Parse(".config", nil)
	if err != nil {
		t.Fatal(err)
	}
	row, err := parser.Parse(".fullname", nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "Benchmark") && strings.TrimSpace(v) == "" {
				t.Errorf("%s:%d: empty configuration line %q (benchstat prints it as a header)", path, i+1, k)
			}
		}
		f, _ := os.Open(path)
		rd := benchfmt.NewReader(f, path)
		var names []string
		for rd.Scan() {
			switch rec := rd.Result().(type) {
			case *benchfmt.SyntaxError:
				t.Errorf("%v", rec)
			case *benchfmt.Result:
				names = append(names, table.Project(rec).String()+" | "+row.Project(rec).String())
			}
		}
		f.Close()
		slices.Sort(names)
		rows[filepath.Base(path)] = slices.Compact(names)
	}
	return rows
}

// TestSplitSideBySide: raw files in which six designs ran every section
// give six per-pool files whose rows are the same, none naming a pool, with
// the reference file first in a glob.
func TestSplitSideBySide(t *testing.T) {
	pools := []string{"sql", "ring", "chanpool", "fatih", "puddle", "mutexlist"}
	var pool, echo, faults strings.Builder
	pool.WriteString("goos: linux\npkg: github.com/poolbench/poolbench/bench\n")
	echo.WriteString("Unit req/s better=higher\ngoos: linux\nserver: net\nfault: off\nrate: \n")
	faults.WriteString("goos: linux\nserver: net\nfault: latency=1ms\n")
	for _, p := range pools {
		for _, sc := range []string{"parallel", "exhausted"} {
			fmt.Fprintf(&pool, "BenchmarkPool/impl=%s/scenario=%s-2 1000 %d ns/op\n", p, sc, len(p)*10)
		}
		for _, w := range []int{1, 4} {
			fmt.Fprintf(&echo, "BenchmarkEcho/server=net/pool=%s/maxconns=4/workers=%d-2 1 %d req/s\n", p, w, 1000*w)
			fmt.Fprintf(&faults, "BenchmarkEcho/server=net/pool=%s/maxconns=4/workers=%d-2 1 %d req/s\n", p, w, 100*w)
		}
	}
	raw, out := t.TempDir(), t.TempDir()
	for name, body := range map[string]string{"pool.txt": pool.String(), "echo.txt": echo.String(), "faults.txt": faults.String()} {
		if err := os.WriteFile(filepath.Join(raw, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	written, err := Split(raw, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != len(pools) {
		t.Fatalf("wrote %d files, want %d: %v", len(written), len(pools), written)
	}
	rows := splitRows(t, out)
	if len(rows) != len(pools) {
		t.Fatalf("%d per-pool files, want %d", len(rows), len(pools))
	}
	globbed, _ := filepath.Glob(filepath.Join(out, "*.txt"))
	if filepath.Base(globbed[0]) != PoolFileName(Reference) || PoolFileName(Reference) != "0-chanpool.txt" {
		t.Errorf("first file in the glob %s, want the reference %s", globbed[0], PoolFileName(Reference))
	}
	want := rows[PoolFileName(Reference)]
	if len(want) != 6 { // 2 scenarios + 2 points x 2 fault configs
		t.Errorf("reference rows %q, want 6", want)
	}
	for file, got := range rows {
		if !slices.Equal(got, want) {
			t.Errorf("%s rows %q, want the reference's %q", file, got, want)
		}
		for _, r := range got {
			if strings.Contains(r, "impl=") || strings.Contains(r, "pool=") {
				t.Errorf("%s row %q still names the pool", file, r)
			}
		}
	}
	// The values stay with their pool: sql's pool rows are 30 ns/op.
	b, _ := os.ReadFile(filepath.Join(out, "sql.txt"))
	if !strings.Contains(string(b), "BenchmarkPool/scenario=parallel-2 1000 30 ns/op") || !strings.Contains(string(b), "server: none") {
		t.Errorf("sql.txt:\n%s", b)
	}
}

// TestSplitCommitted: the committed raw results split into at least six
// per-pool files; the reference file holds every row any other file has,
// so every row of benchstat's tables has its baseline.
func TestSplitCommitted(t *testing.T) {
	out := t.TempDir()
	if _, err := Split(RawDir, out); err != nil {
		t.Fatal(err)
	}
	rows := splitRows(t, out)
	if len(rows) < 6 {
		t.Fatalf("%d per-pool files, want >= 6", len(rows))
	}
	ref := rows[PoolFileName(Reference)]
	for file, got := range rows {
		for _, r := range got {
			if _, found := slices.BinarySearch(ref, r); !found {
				t.Errorf("%s has row %q the reference lacks", file, r)
				break
			}
		}
	}
}

func TestSplitNothing(t *testing.T) {
	raw := t.TempDir()
	if err := os.WriteFile(filepath.Join(raw, "pool.txt"), []byte("goos: linux\nPASS\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Split(raw, out); err == nil {
		t.Error("Split of raw files without results: no error")
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("wrote %d files from no results", len(entries))
	}
}

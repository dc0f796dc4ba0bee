package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMergedFileReadsEverywhere merges two shard files of six repetitions
// and reads the merge as any results file: -out - gives the same bytes as
// -out FILE, and benchstat, poolbench gate and poolbench report (as the
// echo sweep's file) all accept it.
func TestMergedFileReadsEverywhere(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	on := [2]time.Time{at, at.Add(time.Second)}
	for name, text := range map[string]string{"s0.txt": shardFile("0/2", "1s", on, 6), "s1.txt": shardFile("1/2", "1s", on, 6)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(dir, "merged.txt")
	r := runPoolbench(t, dir, "merge", "s1.txt", "s0.txt", "-out", merged)
	if r.code != 0 {
		t.Fatalf("merge: exit %d: %s", r.code, r.stderr)
	}
	file, err := os.ReadFile(merged)
	if err != nil {
		t.Fatal(err)
	}
	// Each shard's 1 req/s of its window, summed; the shards' 2+2 procs.
	if n := strings.Count(string(file), "BenchmarkEcho/server=echo/pool=ring/maxconns=2/workers=2-4 2 2 req/s"); n != 6 {
		t.Errorf("%d merged results of 2 req/s over 2 requests, want 6:\n%s", n, file)
	}
	if r := runPoolbench(t, dir, "merge", "s0.txt", "s1.txt", "-out", "-"); r.code != 0 || r.stdout != string(file) || r.stderr != "" {
		t.Errorf("merge -out -: exit %d, stderr %q; stdout equal to the file: %v", r.code, r.stderr, r.stdout == string(file))
	}

	bs := exec.Command("go", "tool", "benchstat", merged)
	if out, err := bs.CombinedOutput(); err != nil || !strings.Contains(string(out), "req/s") {
		t.Errorf("benchstat %s: %v\n%s", merged, err, out)
	}
	if r := runPoolbench(t, dir, "gate", merged, merged); r.code != 0 {
		t.Errorf("gate merged merged: exit %d: %s", r.code, r.stderr)
	}
	res := filepath.Join(dir, "results")
	if err := os.Mkdir(res, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(res, "echo.txt"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runPoolbench(t, dir, "report", "-results", res, "-out", filepath.Join(dir, "REPORT.md")); r.code != 0 {
		t.Errorf("report over the merge: exit %d: %s", r.code, r.stderr)
	}
}

package e2e

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/poolbench/poolbench/report"
)

// FuzzReadConformance feeds arbitrary bytes to report.ReadConformance as
// results/conformance.json. It must never panic; what it accepts must hold
// only known statuses and survive a write and re-read unchanged.
func FuzzReadConformance(f *testing.F) {
	f.Add([]byte(`{"properties":[{"name":"Reuse","number":5,"summary":"reuse"}],` +
		`"pools":[{"name":"ring","results":[{"property":"Reuse","number":5,"status":"pass"}]}]}`))
	f.Add([]byte(`{"properties":[],"pools":[{"name":"x","results":[{"property":"p","status":"weird"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "conformance.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := report.ReadConformance(path)
		if err != nil || c == nil {
			return
		}
		for _, p := range c.Pools {
			for _, r := range p.Results {
				if r.Status != "pass" && r.Status != "fail" && r.Status != "n/a" {
					t.Fatalf("accepted status %q", r.Status)
				}
			}
		}
		again := filepath.Join(dir, "again.json")
		if err := report.WriteConformance(again, c); err != nil {
			t.Fatalf("WriteConformance of what was read: %v", err)
		}
		back, err := report.ReadConformance(again)
		if err != nil || !reflect.DeepEqual(back, c) {
			t.Fatalf("re-read: %v\nwrote %+v\nread  %+v", err, c, back)
		}
	})
}

// FuzzReportEcho runs the whole report over an arbitrary results/raw/echo.txt.
// Whatever the file holds, report.Generate must return (a report or an
// error), never panic.
func FuzzReportEcho(f *testing.F) {
	f.Add([]byte("model: closed\nserver: net\nBenchmarkEcho/server=net/pool=ring/conns=1-2 100 5000 req/s 90000 p99-ns 0 errors\n" +
		"BenchmarkEcho/server=net/pool=ring/conns=4-2 100 9000 req/s 190000 p99-ns 2 errors 2 reset-errors\n" +
		"BenchmarkKnee/server=net/pool=ring-2 1 4 conns\n"))
	f.Add([]byte("BenchmarkEcho/server=net/pool=ring/conns=x-2 1 1 req/s\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "echo.txt"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		defer func() {
			// A panic here would end the whole test binary; fail this input instead.
			if r := recover(); r != nil {
				t.Fatalf("report.Generate panicked on echo.txt %q: %v", data, r)
			}
		}()
		_ = report.Generate(report.Options{Results: dir, Out: filepath.Join(dir, "REPORT.md")})
	})
}

package results

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func echoResult(pool string, workers string, cfg []KV) Result {
	return Result{
		Name:   Name{Bench: Echo, Keys: []KV{{Server, "net"}, {PoolKey, pool}, {MaxConns, "4"}, {Workers, workers}}},
		Procs:  2,
		Iters:  100,
		Config: cfg,
		Values: []Value{{ReqPerSec, 1000}, {P99, 2500}, {Fairness, 0.9}},
	}
}

// TestWriteReadPoints writes results and reads them back as typed points:
// names, config, values in the unit as written (p99 in ns, though benchfmt
// tidies it to seconds), and a better= line per unit.
func TestWriteReadPoints(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	cfg := []KV{{"goos", "linux"}, {Fault, None}}
	for _, r := range []Result{echoResult("ring", "16", cfg), echoResult("ring", "64", cfg)} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"Unit req/s better=higher", "Unit p99-ns better=lower", "Unit jain better=higher",
		"BenchmarkEcho/server=net/pool=ring/maxconns=4/workers=16-2 100 1000 req/s 2500 p99-ns 0.9 jain"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "goos: linux") != 1 {
		t.Errorf("configuration written more than once:\n%s", text)
	}
	set, err := Read(strings.NewReader(text), "x.txt")
	if err != nil {
		t.Fatal(err)
	}
	pts := set.Points(Echo)
	if len(pts) != 2 {
		t.Fatalf("read %d points, want 2", len(pts))
	}
	p := pts[1]
	if p.Name.Get(PoolKey) != "ring" || p.Int(Workers) != 64 || p.Int(MaxConns) != 4 || p.Procs != 2 || p.Iters != 100 || p.Config[Fault] != None {
		t.Errorf("point %+v", p)
	}
	if v, ok := p.Value(P99); !ok || v != 2500 {
		t.Errorf("p99 = %v, %v; want 2500 ns", v, ok)
	}
	if _, ok := p.Value(Stall); ok {
		t.Error("a unit never written has a value")
	}
	if got := set.Units.GetBetter(P99.Tidied()); got != -1 {
		t.Errorf("better of p99 = %d, want -1", got)
	}
	if len(set.Points(Restart)) != 0 {
		t.Error("Points(Restart) found echo points")
	}
}

// TestNoEmptyConfigLines: an empty value, or a key dropped after an
// earlier result set it (benchfmt would clear it with an empty line), is
// refused.
func TestNoEmptyConfigLines(t *testing.T) {
	w := NewWriter(&bytes.Buffer{})
	if err := w.Write(echoResult("ring", "1", []KV{{Fault, ""}})); !errors.Is(err, ErrEmptyConfig) {
		t.Errorf("empty value: %v, want ErrEmptyConfig", err)
	}
	w = NewWriter(&bytes.Buffer{})
	if err := w.Write(echoResult("ring", "1", []KV{{Fault, None}, {Size, "64"}})); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(echoResult("ring", "2", []KV{{Size, "64"}})); !errors.Is(err, ErrEmptyConfig) {
		t.Errorf("dropped key: %v, want ErrEmptyConfig", err)
	}
}

// TestWriteFileNothing: a write of no result replaces nothing.
func TestWriteFileNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, func(*Writer) error { return nil }); !errors.Is(err, ErrNoResults) {
		t.Errorf("WriteFile of nothing: %v, want ErrNoResults", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("file replaced by %q", b)
	}
}

// TestReadRejectsNaN names the file and line of a value that is not a number.
func TestReadRejectsNaN(t *testing.T) {
	_, err := Read(strings.NewReader("BenchmarkX 1 NaN ns/op\n"), "bad.txt")
	if err == nil || !strings.Contains(err.Error(), "bad.txt:1") {
		t.Errorf("Read NaN: %v, want an error naming bad.txt:1", err)
	}
}

// TestTidied: readers find values by the unit benchfmt reports.
func TestTidied(t *testing.T) {
	for u, want := range map[Unit]string{P99: "p99-sec", WaitPerOp: "wait-sec/op", ReqPerSec: "req/s", TimePerOp: "sec/op", Fairness: "jain"} {
		if got := u.Tidied(); got != want {
			t.Errorf("%s tidied = %q, want %q", u.Name, got, want)
		}
	}
}

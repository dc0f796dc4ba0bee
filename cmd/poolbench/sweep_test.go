package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/impls"
	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/tracked"
)

// echoServer is a tiny raw echo server on 127.0.0.1 for the sweep's tests;
// it stops when t ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := tracked.Listen(server.Config{Addr: "127.0.0.1:0"}, &server.Counters{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { io.Copy(c, c); c.Close() })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		ln.CloseConns()
		wg.Wait()
	})
	return ln.Addr().String()
}

// verifyNoLeaks checks, after every cleanup of t, that t started no
// goroutine that is still running. Goroutines from earlier tests are ignored.
func verifyNoLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// firstPool is a registered pool design to sweep with.
func firstPool(t *testing.T) string {
	names := impls.PoolNames()
	if len(names) == 0 {
		t.Fatal("no pool designs registered")
	}
	return names[0]
}

// readResults reads a result file back with benchfmt, returning the names.
func readResults(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	r := benchfmt.NewReader(f, path)
	for r.Scan() {
		if res, ok := r.Result().(*benchfmt.Result); ok {
			names = append(names, res.Name.String())
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestSweepBadInput(t *testing.T) {
	verifyNoLeaks(t)
	addr := echoServer(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "echo.txt")
	os.WriteFile(out, []byte("old\n"), 0o644)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	for _, args := range [][]string{
		{"-bogus"},
		{"extra-arg"},
		{"-pools", "nope"},
		{"-servers", "nope"},
		{"-size", "0"},
		{"-size", "-3"},
		{"-size", "2000000"},
		{"-size", "abc"},
		{"-conns", "1,x"},
		{"-conns", "0"},
		{"-conns", "10001"},
		{"-conns", ""},
		{"-count", "0"},
		{"-duration", "0s"},
		{"-duration", "fast"},
		{"-rate", "-1"},
		{"-loops", "0"},
		{"-timeout", "0s"},
		{"-addr", addr},
		{"-addr", addr, "-servers", "echo,http"},
		{"-addr", addr, "-servers", "smtp"},
		{"-addr", "no-port", "-servers", "echo"},
		{"-addr", dead, "-servers", "echo"},
	} {
		var stderr bytes.Buffer
		err := runSweep(io.Discard, &stderr, append(args, "-out", out))
		code := exitStatus(&stderr, err)
		if code != 2 || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("sweep %q: exit %d, stderr %q; want 2 and one line", args, code, stderr.String())
		}
	}
	if b, _ := os.ReadFile(out); string(b) != "old\n" {
		t.Errorf("bad input changed -out: %q", b)
	}
}

func TestSweepAgainstAddr(t *testing.T) {
	verifyNoLeaks(t)
	addr := echoServer(t)
	pool := firstPool(t)
	for _, tc := range []struct {
		name   string
		levels []string
		want   []string // the names' maxconns/workers, each twice (2 reps)
	}{
		// -conns is -workers with -maxconns auto: the pool as large as its workers.
		{"conns", []string{"-conns", "2,1"}, []string{"maxconns=1/workers=1", "maxconns=2/workers=2"}},
		// A pool smaller than its workers, and auto; sizes above the workers are not swept.
		{"oversubscribed", []string{"-workers", "4", "-maxconns", "2,auto,8"}, []string{"maxconns=2/workers=4", "maxconns=4/workers=4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "results", "echo.txt")
			var stderr bytes.Buffer
			args := append([]string{"-addr", addr, "-servers", "echo", "-pools", pool,
				"-duration", "50ms", "-warmup", "10ms", "-count", "2", "-out", out}, tc.levels...)
			if err := runSweep(io.Discard, &stderr, args); err != nil {
				t.Fatalf("sweep: %v\n%s", err, stderr.String())
			}
			var got []string
			for _, name := range readResults(t, out) {
				if rest, ok := strings.CutPrefix(name, "Echo/server=echo/pool="+pool+"/"); ok {
					got = append(got, rest[:strings.LastIndex(rest, "-")])
				}
			}
			// Written as they finish: repetition 1 of every point, then 2.
			want := []string{tc.want[0], tc.want[1], tc.want[0], tc.want[1]}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("Echo results %q, want %q\n%s", got, want, stderr.String())
			}
			if !strings.Contains(stderr.String(), "[4/4]") || !strings.Contains(stderr.String(), "wrote 4 results") {
				t.Errorf("progress:\n%s", stderr.String())
			}
		})
	}
}

// TestSweepFlagConflicts: -conns with -workers or -maxconns, an unknown
// preset, or a pool size that is not one are bad input.
func TestSweepFlagConflicts(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-conns", "4", "-workers", "8"}, "-conns is -workers LEVELS -maxconns auto"},
		{[]string{"-conns", "4", "-maxconns", "2"}, "-conns is -workers LEVELS -maxconns auto"},
		{[]string{"-preset", "slow"}, `unknown preset "slow"`},
		{[]string{"-maxconns", "0"}, "-maxconns 0: level 0 out of range"},
		{[]string{"-maxconns", "big"}, `-maxconns big: "big" is not an integer`},
		{[]string{"-maxconns", "auto,4,auto"}, "-maxconns auto,4,auto: level auto is named twice"},
		{[]string{"-workers", "4", "-maxconns", "16"}, "-maxconns 16: nothing to run: every pool size exceeds every worker level"},
		{[]string{"-count", "0"}, "-count 0"},
	} {
		err := runSweep(io.Discard, io.Discard, append(tc.args, "-addr", "127.0.0.1:1", "-servers", "echo"))
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sweep %q: %v, want bad input containing %q", tc.args, err, tc.want)
		}
	}
}

// interruptAfter is the sweep's stderr: it sends this process SIGINT once
// the given progress text appears, as Ctrl-C would.
type interruptAfter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	text string
	sent bool
}

func (w *interruptAfter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent && strings.Contains(w.buf.String(), w.text) {
		w.sent = true
		syscall.Kill(os.Getpid(), syscall.SIGINT)
	}
	return len(p), nil
}

func TestSweepInterrupt(t *testing.T) {
	verifyNoLeaks(t)
	addr := echoServer(t)
	args := func(out, duration string) []string {
		return []string{"-addr", addr, "-servers", "echo", "-pools", firstPool(t),
			"-conns", "1", "-duration", duration, "-warmup", "0s", "-count", "100", "-out", out}
	}
	dir := t.TempDir()

	// Interrupted after two points: those two are written over a file
	// that held no results (replaced because of -force).
	out := filepath.Join(dir, "two.txt")
	os.WriteFile(out, []byte("old\n"), 0o644)
	w := &interruptAfter{text: " 2/100]"}
	err := runSweep(io.Discard, w, append(args(out, "20ms"), "-force"))
	var ec exitCoder
	if !errors.As(err, &ec) || ec.ExitCode() != 130 {
		t.Fatalf("interrupted sweep: %v, want exit status 130\n%s", err, w.buf.String())
	}
	names := readResults(t, out)
	if len(names) < 2 || len(names) > 3 {
		t.Errorf("%d results written after an interrupt at point 2 (%q), want the finished ones", len(names), names)
	}

	// Interrupted again, over a file of results: a part must not replace
	// them, so the finished points go next to it.
	w = &interruptAfter{text: " 1/100]"}
	err = runSweep(io.Discard, w, args(out, "20ms"))
	if !errors.As(err, &ec) || ec.ExitCode() != 130 || !strings.Contains(err.Error(), out+".interrupted") {
		t.Fatalf("interrupted sweep over results: %v, want exit status 130 and %s.interrupted\n%s", err, out, w.buf.String())
	}
	if again := readResults(t, out); len(again) != len(names) {
		t.Errorf("an interrupted sweep replaced %d results with %d", len(names), len(again))
	}
	if part := readResults(t, out+".interrupted"); len(part) < 1 || len(part) > 2 {
		t.Errorf("%d results in %s.interrupted after an interrupt at point 1, want the finished one", len(part), out)
	}

	// Interrupted before any point finished: the old file stays.
	out = filepath.Join(dir, "none.txt")
	os.WriteFile(out, []byte("old\n"), 0o644)
	w = &interruptAfter{text: "100 points"}
	err = runSweep(io.Discard, w, append(args(out, "1h"), "-force"))
	if !errors.As(err, &ec) || ec.ExitCode() != 130 || !strings.Contains(err.Error(), "nothing written") {
		t.Fatalf("sweep interrupted in its first point: %v\n%s", err, w.buf.String())
	}
	if b, _ := os.ReadFile(out); string(b) != "old\n" {
		t.Errorf("an interrupt before any point finished changed -out: %q", b)
	}
}

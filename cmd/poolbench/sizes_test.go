package main

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestParseSizes: bytes, decimal K and M, binary Ki and Mi; anything else,
// and a size out of range or named twice, is bad input naming -sizes.
func TestParseSizes(t *testing.T) {
	got, err := parseSizes("64, 256,1Ki,4KiB,1K,1M,1Mi")
	if want := []int{64, 256, 1024, 4096, 1000, 1000000, 1 << 20}; err != nil || !slices.Equal(got, want) {
		t.Errorf("parseSizes = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", ",", "0", "-1", "x", "1.5Ki", "2Mi", "64,64", "1Ki,1024", "64 bytes"} {
		_, err := parseSizes(bad)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "-sizes") {
			t.Errorf("parseSizes(%q) = %v, want bad input naming -sizes", bad, err)
		}
	}
}

// TestSweepSizesAgainstAddr: each point once per size, named by it, and
// -size with -sizes is bad input.
func TestSweepSizesAgainstAddr(t *testing.T) {
	verifyNoLeaks(t)
	addr := echoServer(t)
	pool := firstPool(t)
	out := filepath.Join(t.TempDir(), "sizes.txt")
	var stderr bytes.Buffer
	args := []string{"-addr", addr, "-servers", "echo", "-pools", pool, "-conns", "1",
		"-duration", "30ms", "-warmup", "10ms", "-count", "1", "-sizes", "64,64Ki", "-out", out}
	if err := runSweep(io.Discard, &stderr, args); err != nil {
		t.Fatalf("sweep: %v\n%s", err, stderr.String())
	}
	names := readResults(t, out)
	want := []string{"Echo/server=echo/pool=" + pool + "/maxconns=1/workers=1/size=64", "Echo/server=echo/pool=" + pool + "/maxconns=1/workers=1/size=65536"}
	var got []string
	for _, n := range names {
		got = append(got, n[:strings.LastIndex(n, "-")])
	}
	if !slices.Equal(got, want) {
		t.Errorf("results %q, want %q", got, want)
	}
	err := runSweep(io.Discard, io.Discard, append(args, "-size", "128"))
	if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "-sizes") || !strings.Contains(err.Error(), "-size is one message size") {
		t.Errorf("-sizes with -size: %v, want bad input naming -sizes", err)
	}
}

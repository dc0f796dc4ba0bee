// Package spin is the gate's stand-in benchmark: pure computation whose
// amount is fixed, so two runs differ only by machine noise, and a known
// slowdown can be injected with GATE_SPIN_EXTRA=PERCENT (more work per op).
//
// Besides ns/op it reports cpu-ns/op, the process's CPU time per op. On a
// machine shared with other jobs, wall time per op swings with the share of
// CPU the process gets; CPU time swings far less, so the injected slowdown
// stays visible to the gate when ns/op drowns in the neighbours' load.
package spin

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// baseWork is the number of xorshift steps per op: about 7µs.
const baseWork = 4000

var sink uint64

func work() int {
	n := baseWork
	if p, err := strconv.Atoi(os.Getenv("GATE_SPIN_EXTRA")); err == nil {
		n += n * p / 100
	}
	return n
}

// spin is never inlined: the gate's instruction counts name it (-collect).
//
//go:noinline
func spin(n int, x uint64) uint64 {
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkSpin(b *testing.B) {
	n := work()
	x := uint64(1)
	start := cpuTime(b)
	for b.Loop() {
		x = spin(n, x)
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
	sink = x
}

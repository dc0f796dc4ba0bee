// Package spin is the gate's stand-in benchmark: pure computation whose
// amount is fixed, so two runs differ only by machine noise, and a known
// slowdown can be injected with GATE_SPIN_EXTRA=PERCENT (more work per op).
package spin

import (
	"os"
	"strconv"
	"testing"
)

// baseWork is the number of xorshift steps per op: about 10µs.
const baseWork = 4000

var sink uint64

func work() int {
	n := baseWork
	if p, err := strconv.Atoi(os.Getenv("GATE_SPIN_EXTRA")); err == nil {
		n += n * p / 100
	}
	return n
}

func spin(n int, x uint64) uint64 {
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func BenchmarkSpin(b *testing.B) {
	n := work()
	x := uint64(1)
	for b.Loop() {
		x = spin(n, x)
	}
	sink = x
}

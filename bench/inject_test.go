//go:build gatepower

// This file exists for scripts/gate-power.sh, which measures the gate
// against real slowed builds. It is compiled only with -tags gatepower, so
// no other build (tests, make bench, CI) contains it.
//
// A build slows a row only when it is armed (a file the script adds to its
// own temporary commit sets injectArmed in an init), so that the base side
// of a power gate, built with the same tag, stays as it was. The amount
// comes from the environment, per row, so that one chosen row slows and its
// neighbours do not: GATEPOWER_SPIN=mutexlist/uncontended=4,ring/exhausted=60
// spins that many xorshift steps (a dependent chain, about a nanosecond
// each) before each Get of that design in that scenario, at every -cpu; the
// script calibrates the counts to a target slowdown. GATEPOWER_ALLOC=fatih
// (or fatih/uncontended) makes each Get of the named design (in the named
// scenario) allocate 16 bytes more.

package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/poolbench/poolbench/impls/pool"
)

// injectArmed is set by the armed commit's init.
var injectArmed bool

// injection is what one row gets: spin steps, and an allocation.
type injection struct {
	steps int
	alloc bool
}

// injections parses the environment once: "design/scenario" (or "design",
// every scenario) to its injection.
var injections = sync.OnceValue(func() map[string]injection {
	m := map[string]injection{}
	if spec := os.Getenv("GATEPOWER_SPIN"); spec != "" {
		for _, kv := range strings.Split(spec, ",") {
			row, n, ok := strings.Cut(kv, "=")
			steps, err := strconv.Atoi(n)
			if !ok || err != nil || steps < 0 || row == "" {
				panic(fmt.Sprintf("GATEPOWER_SPIN: %q is not design/scenario=steps", kv))
			}
			in := m[row]
			in.steps = steps
			m[row] = in
		}
	}
	if spec := os.Getenv("GATEPOWER_ALLOC"); spec != "" {
		for _, row := range strings.Split(spec, ",") {
			in := m[row]
			in.alloc = true
			m[row] = in
		}
	}
	return m
})

// injected wraps p in a spinPool when the armed build's environment names
// its row (design/scenario) or its design.
func injected(design, scenario string, p pool.Pool) pool.Pool {
	if !injectArmed {
		return p
	}
	in, ok := injections()[design+"/"+scenario]
	if all, ok2 := injections()[design]; ok2 {
		in.steps = max(in.steps, all.steps)
		in.alloc = in.alloc || all.alloc
		ok = true
	}
	if !ok {
		return p
	}
	return spinPool{Pool: p, injection: in}
}

// spinPool spins (and allocates) before every Get of the pool it wraps.
type spinPool struct {
	pool.Pool
	injection
}

// spinSink keeps the spin's result alive, so the loop is not removed;
// allocSink makes the allocation escape.
var (
	spinSink  uint64
	allocSink *[16]byte
)

func (p spinPool) Get(ctx context.Context) (net.Conn, error) {
	if p.alloc {
		allocSink = new([16]byte)
	}
	x := uint64(p.steps) | 1
	for range p.steps {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	if x == 0 { // never: xorshift of a non-zero value stays non-zero
		spinSink = x
	}
	return p.Pool.Get(ctx)
}

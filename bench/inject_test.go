//go:build gatepower

// This file exists for scripts/gate-power.sh, which measures the gate
// against real slowed builds. It is compiled only with -tags gatepower, so
// no other build (tests, make bench, CI) contains it.
//
// A build slows a design's Get only when it is armed (a file the script
// adds to its own temporary commit sets injectArmed in an init), so that
// the base side of a power gate, built with the same tag, stays as it was.
// The amount comes from the environment: GATEPOWER_SPIN=ring=40,chanpool=9
// spins that many xorshift steps (a dependent chain, about a nanosecond
// each) before each Get of the named design; the script calibrates the
// counts to a target slowdown. GATEPOWER_ALLOC=fatih makes each Get of the
// named designs allocate 16 bytes more.

package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/poolbench/poolbench/impls/pool"
)

// injectArmed is set by the armed commit's init.
var injectArmed bool

func injected(ds []design) []design {
	if !injectArmed {
		return ds
	}
	wraps := map[string]spinPool{}
	if spec := os.Getenv("GATEPOWER_SPIN"); spec != "" {
		for _, kv := range strings.Split(spec, ",") {
			name, n, ok := strings.Cut(kv, "=")
			steps, err := strconv.Atoi(n)
			if !ok || err != nil || steps < 0 {
				panic(fmt.Sprintf("GATEPOWER_SPIN: %q is not design=steps", kv))
			}
			w := wraps[name]
			w.steps = steps
			wraps[name] = w
		}
	}
	if spec := os.Getenv("GATEPOWER_ALLOC"); spec != "" {
		for _, name := range strings.Split(spec, ",") {
			w := wraps[name]
			w.alloc = true
			wraps[name] = w
		}
	}
	for i, d := range ds {
		w, ok := wraps[d.name]
		if !ok {
			continue
		}
		newPool := d.new
		ds[i].new = func(cfg pool.Config) (pool.Pool, error) {
			p, err := newPool(cfg)
			if err != nil {
				return nil, err
			}
			w.Pool = p
			return w, nil
		}
	}
	return ds
}

// spinPool spins (and allocates) before every Get of the pool it wraps.
type spinPool struct {
	pool.Pool
	steps int
	alloc bool
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

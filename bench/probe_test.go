package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// exhaustion is what a pool does with a Get while all MaxConns conns are held.
type exhaustion int

const (
	waits        exhaustion = iota // the Get waits for a Put: the contract
	failsFast                      // the Get returns an error at once
	dialsPastCap                   // the Get dials one more conn (fatih/pool)
)

func (e exhaustion) String() string {
	return [...]string{waits: "waits", failsFast: "fails fast", dialsPastCap: "dials past its cap"}[e]
}

// probeGrace is how long the probe lets a second Get run before it returns
// the held conn. A Get that dials or fails does so in microseconds; one that
// waits is still waiting.
const probeGrace = 50 * time.Millisecond

// probed caches exhaustionOf by design name; benchmarks and the tests that
// call it run one at a time, so it needs no lock.
var probed = map[string]exhaustion{}

// exhaustionOf probes d once and remembers the answer.
func exhaustionOf(d design) (exhaustion, error) {
	if e, ok := probed[d.name]; ok {
		return e, nil
	}
	e, err := probeExhaustion(d.new)
	if err != nil {
		return 0, fmt.Errorf("probe %s: %w", d.name, err)
	}
	probed[d.name] = e
	return e, nil
}

// probeExhaustion holds the only conn of a MaxConns=1 pool, starts a second
// Get, and returns the held conn after probeGrace if that Get is still
// running. The most conns open at once then tells a waiting pool from one that dialed
// past its cap, whatever the timing was.
func probeExhaustion(newPool func(pool.Config) (pool.Pool, error)) (exhaustion, error) {
	dialer := &fakeDialer{}
	p, err := newPool(pool.Config{Dial: dialer.dial, MaxConns: 1})
	if err != nil {
		return 0, err
	}
	defer p.Close()
	ctx := context.Background()
	held, err := p.Get(ctx)
	if err != nil {
		return 0, err
	}
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := p.Get(ctx)
		done <- result{c, err}
	}()
	var r result
	select {
	case r = <-done:
		if err := p.Put(held); err != nil {
			return 0, err
		}
	case <-time.After(probeGrace):
		if err := p.Put(held); err != nil {
			return 0, err
		}
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			return 0, errors.New("a Get is still waiting 10s after a Put to a pool of one conn")
		}
	}
	if r.err != nil {
		return failsFast, nil
	}
	if err := p.Put(r.c); err != nil {
		return 0, err
	}
	// Two conns open at once is dialing past the cap; two dials one after
	// the other is the dial baseline, which closes on Put and waits.
	if dialer.maxLive.Load() > 1 {
		return dialsPastCap, nil
	}
	return waits, nil
}

// Package faults injects network faults between a client and an upstream
// server: an embedded TCP proxy built on github.com/Shopify/toxiproxy/v2 used
// as a library (no API server, no logging). The harness points a pool at
// Proxy.Addr instead of the server to measure a design under latency, resets,
// stalls and slow closes.
package faults

import (
	"fmt"
	"net"
	"strings"
	"sync"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// Proxy is a running fault proxy listening on 127.0.0.1.
type Proxy struct {
	spec  Spec
	proxy *toxiproxy.Proxy
	once  sync.Once
}

// Start starts a proxy on 127.0.0.1:0 that forwards to upstream with the
// fault named by spec (see ParseSpec). It returns once the proxy accepts.
func Start(upstream string, spec string) (*Proxy, error) {
	s, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	if _, _, err := net.SplitHostPort(upstream); err != nil {
		return nil, fmt.Errorf("faults: upstream %q: %w", upstream, err)
	}
	// A Nop logger keeps toxiproxy's per-conn Info/Warn lines out of test and
	// benchmark output; nil metrics collectors turn metrics off.
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(api, "poolbench-"+string(s.Kind), "127.0.0.1:0", upstream)
	// Toxics are added before Start so that every link is built with the
	// full chain; adding to live links would interrupt them.
	if s.Kind != None {
		if _, err := p.Toxics.AddToxicJson(strings.NewReader(toxicJSON(s))); err != nil {
			return nil, fmt.Errorf("faults: add toxic %s: %w", s, err)
		}
	}
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("faults: listen: %w", err)
	}
	return &Proxy{spec: s, proxy: p}, nil
}

// toxicJSON is the toxiproxy toxic for s, on the upstream-to-client stream.
func toxicJSON(s Spec) string {
	ms := s.Duration.Milliseconds()
	var attrs string
	switch s.Kind {
	case Latency:
		attrs = fmt.Sprintf(`{"latency":%d,"jitter":0}`, ms)
	case ResetPeer, Timeout:
		attrs = fmt.Sprintf(`{"timeout":%d}`, ms)
	case SlowClose:
		attrs = fmt.Sprintf(`{"delay":%d}`, ms)
	}
	return fmt.Sprintf(`{"name":%q,"type":%q,"stream":"downstream","toxicity":1,"attributes":%s}`,
		s.Kind, s.Kind, attrs)
}

// Addr is the proxy's listening address, host:port.
func (p *Proxy) Addr() string { return p.proxy.Listen }

// Spec is the fault this proxy injects.
func (p *Proxy) Spec() Spec { return p.spec }

// Close stops accepting and closes every proxied conn on both sides. The
// proxy's per-conn goroutines end as those closed sockets unblock them, a few
// scheduler rounds after Close returns (toxiproxy does not wait for them).
// Close is idempotent.
func (p *Proxy) Close() error {
	p.once.Do(p.proxy.Stop)
	return nil
}

// String describes the proxy for logs: "latency=10ms 127.0.0.1:PORT -> UPSTREAM".
func (p *Proxy) String() string {
	return fmt.Sprintf("%s %s -> %s", p.spec, p.Addr(), p.proxy.Upstream)
}

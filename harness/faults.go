package harness

import (
	"context"
	"slices"

	"github.com/poolbench/poolbench/faults"
)

// String is the counts as the progress line shows them: "0 errors" or
// "3 errors (2 reset, 1 timeout)". Fault tests log it per point.
func (e ErrorCounts) String() string { return errorSummary(e) }

// Fault puts a fault proxy (package faults) between the pools and every
// server of s, injecting spec (faults.ParseSpec: latency=10ms, reset_peer,
// timeout, slow_close, none) on each conn. Every point gets its own proxy,
// started after its server and closed before it. Apply it after Restart,
// if both: the restarted server keeps its port, so the proxy's upstream
// stays right. Under latency=D every dial also waits D (Sweep.DialDelay):
// on a real network with that round trip, the handshake costs one too, and
// that is where pool designs differ (how many dials, and whether they are
// made one at a time under a lock).
func Fault(s *Sweep, spec string) error {
	f, err := faults.ParseSpec(spec)
	if err != nil {
		return err
	}
	if f.Kind == faults.Latency {
		s.DialDelay = f.Duration
	}
	servers := slices.Clone(s.Servers)
	for i := range servers {
		servers[i].Launch = faultLauncher{inner: servers[i].Launch, spec: spec}
	}
	s.Servers = servers
	return nil
}

type faultLauncher struct {
	inner Launcher
	spec  string
}

func (l faultLauncher) Launch(ctx context.Context) (Instance, error) {
	inst, err := l.inner.Launch(ctx)
	if err != nil {
		return nil, err
	}
	p, err := faults.Start(inst.Addr(), l.spec)
	if err != nil {
		inst.Stop()
		return nil, err
	}
	return faultInstance{Instance: inst, proxy: p}, nil
}

// faultInstance is a server seen through its proxy.
type faultInstance struct {
	Instance
	proxy *faults.Proxy
}

func (f faultInstance) Addr() string { return f.proxy.Addr() }

// Stop closes the proxy, which drops every proxied conn, then the server.
func (f faultInstance) Stop() error {
	f.proxy.Close()
	return f.Instance.Stop()
}

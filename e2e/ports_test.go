package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/gate"
)

// The namespace's ephemeral port range, narrowed so that a short sweep
// runs out of it.
const portsLow, portsHigh = 40000, 40063

// TestEphemeralPortExhaustion runs "poolbench sweep" of the dial design
// (a conn per request, closed by the client, so each leaves its ephemeral
// port in TIME_WAIT for 60s) inside a network namespace of its own, whose
// ip_local_port_range is narrowed to 64 ports and tcp_tw_reuse turned off
// (the default reuses a loopback TIME_WAIT port after 1s). 16 workers use
// the range up within milliseconds (the 2s window leaves a loaded machine
// time for the 63 dials it takes); the point must then count the failed
// dials as addrnotavail (EADDRNOTAVAIL: every failure, none of another
// class), and its ephemeral-port counter must show the range full: ports
// in use equal to the range. The traffic stays on the namespace's
// loopback; the namespace is deleted afterwards. It is skipped, with the
// reason, only where a namespace cannot be created.
func TestEphemeralPortExhaustion(t *testing.T) {
	ns := fmt.Sprintf("pb-ports-%d", os.Getpid()%100000)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create network namespaces here (ip netns add; scripts/test-deps.sh installs iproute2): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	inNS := func(args ...string) *exec.Cmd {
		return exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	}
	for _, args := range [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"sh", "-c", fmt.Sprintf("echo %d %d > /proc/sys/net/ipv4/ip_local_port_range", portsLow, portsHigh)},
		{"sh", "-c", "echo 0 > /proc/sys/net/ipv4/tcp_tw_reuse"},
	} {
		if out, err := inNS(args...).CombinedOutput(); err != nil {
			t.Fatalf("%s in namespace %s: %v %s", strings.Join(args, " "), ns, err, out)
		}
	}

	out := filepath.Join(t.TempDir(), "ports.txt")
	cmd := inNS(poolbench, "sweep", "-servers", "net", "-pools", "dial", "-conns", "16",
		"-warmup", "0s", "-duration", "2s", "-count", "1", "-timeout", "1s", "-out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := runBounded(cmd)
	t.Logf("%s", stderr.String())
	if err != nil {
		t.Fatalf("sweep in namespace %s: %v", ns, err)
	}

	set, warnings, err := gate.ReadFile(out)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("results: %v %q", err, warnings)
	}
	points := 0
	for _, r := range set.Results {
		if !strings.HasPrefix(string(r.Name), "Echo/") {
			continue
		}
		points++
		v := map[string]float64{}
		for _, x := range r.Values {
			v[x.Unit] = x.Value
		}
		t.Logf("%s: %d ok, %v errors (%v addrnotavail), ports in use %v of %v", r.Name, r.Iters,
			v["errors"], v["addrnotavail-errors"], v["ports-in-use"], v["ports-range"])
		if v["addrnotavail-errors"] == 0 || v["addrnotavail-errors"] != v["errors"] {
			t.Errorf("%s: %v failed requests, %v of them addrnotavail; want failures, every one EADDRNOTAVAIL", r.Name, v["errors"], v["addrnotavail-errors"])
		}
		if want := float64(portsHigh - portsLow + 1); v["ports-range"] != want || v["ports-in-use"] != want {
			t.Errorf("%s: ports in use %v of a range of %v; want the whole range of %v in use", r.Name, v["ports-in-use"], v["ports-range"], want)
		}
	}
	if points != 1 {
		t.Errorf("%d echo results, want 1", points)
	}
}

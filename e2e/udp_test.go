package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/harness"
)

// TestUDPEchoSocat: `poolbench serve -design udp` echoes every datagram
// exactly to a client poolbench did not write, socat (installed by
// scripts/test-deps.sh). socat sends each read of its stdin as one
// datagram and prints what comes back; -t bounds its wait for the reply after its stdin ends.
func TestUDPEchoSocat(t *testing.T) {
	socat, err := exec.LookPath("socat")
	if err != nil {
		t.Fatalf("socat is not installed: this test checks the udp design with it; install it (Debian: apt-get install socat; make test does, through scripts/test-deps.sh)")
	}
	inst, err := harness.Process{Path: poolbench, Args: []string{"serve", "-design", "udp", "-loops", "2"}}.Launch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Stop()
	// Under socat's 8192-byte read, so that each message is one datagram.
	for _, size := range []int{1, 100, 1400, 8000} {
		msg := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), size/36+1)[:size]
		ctx, cancel := context.WithTimeout(t.Context(), cmdTimeout)
		cmd := exec.CommandContext(ctx, socat, "-t", "0.5", "-", "UDP:"+inst.Addr())
		cmd.Stdin = bytes.NewReader(msg)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("socat with %d bytes: %v: %s", size, err, stderr.String())
		}
		if !bytes.Equal(out, msg) {
			t.Errorf("socat sent %d bytes and got back %d (%.40q), want the same bytes", size, len(out), out)
		}
	}
}

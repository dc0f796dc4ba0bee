package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/gate"
	"github.com/poolbench/poolbench/impls"
)

// netnsCannotCreate is the exit status scripts/netns-two-hosts.sh uses when
// it cannot create network namespaces (no root, no iproute2).
const netnsCannotCreate = 3

// TestTwoHosts runs scripts/netns-two-hosts.sh: "poolbench serve" in one
// network namespace at 10.99.0.1, a short "poolbench sweep" against it from
// another at 10.99.0.2, joined by a veth pair, so the echo crosses a real
// (virtual) link instead of loopback. It wants a result for every level
// swept, with no failed request, and both namespaces gone afterwards. It
// is skipped, with the reason, only where namespaces cannot be created.
func TestTwoHosts(t *testing.T) {
	d := echoServerDesign(t)
	poolName := impls.PoolNames()[0]
	id := fmt.Sprintf("e2e%d", os.Getpid()%100000)
	namespaces := []string{"pb-srv-" + id, "pb-cli-" + id}
	// The script deletes its namespaces on every exit; this covers a script
	// killed by the timeout below before its trap ran.
	t.Cleanup(func() {
		for _, ns := range namespaces {
			exec.Command("ip", "netns", "del", ns).Run()
		}
	})

	out := filepath.Join(t.TempDir(), "two-hosts.txt")
	stderr := runNetnsScript(t, "netns-two-hosts.sh", []string{"DESIGN=" + d.Name, "NETNS_ID=" + id, "LOOPS=1"},
		poolbench, "-servers", d.Name, "-pools", poolName, "-conns", "1,4", "-count", "1", "-warmup", "50ms", "-duration", "150ms", "-out", out)
	t.Logf("%s", stderr)

	set, warnings, err := gate.ReadFile(out)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("results: %v %q", err, warnings)
	}
	// Echo points; a Knee result may follow them.
	var points int
	for _, r := range set.Results {
		name := string(r.Name)
		if !strings.HasPrefix(name, "Echo/") {
			continue
		}
		points++
		if !strings.Contains(name, "server="+d.Name) || !strings.Contains(name, "pool="+poolName) || r.Iters == 0 {
			t.Errorf("result %s: %d requests; want server=%s pool=%s and requests", name, r.Iters, d.Name, poolName)
		}
		for _, v := range r.Values {
			if v.Unit == "errors" && v.Value != 0 {
				t.Errorf("result %s: %v failed requests across the veth link", name, v.Value)
			}
		}
	}
	if points != 2 {
		t.Errorf("%d echo results, want one per level (1, 4)", points)
	}
	for _, ns := range namespaces {
		if exec.Command("ip", "netns", "pids", ns).Run() == nil {
			t.Errorf("namespace %s still exists after the script", ns)
		}
	}
}

// runNetnsScript runs scripts/NAME with args and env added to this
// process's, killed after cmdTimeout, and returns its stderr. It skips the
// test, with the script's reason, when the script says it cannot create
// network namespaces here, and fails it when the script fails.
func runNetnsScript(t *testing.T, name string, env []string, args ...string) string {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "scripts", name))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = runBounded(cmd)
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == netnsCannotCreate {
		t.Skipf("cannot create network namespaces here: %s", strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, stderr.String())
	}
	return stderr.String()
}

// runBounded runs cmd, killed after cmdTimeout: a hung command fails its
// test instead of waiting for go test's timeout.
func runBounded(cmd *exec.Cmd) error {
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return err
	}
	timer := time.AfterFunc(cmdTimeout, func() { cmd.Process.Kill() })
	defer timer.Stop()
	return cmd.Wait()
}

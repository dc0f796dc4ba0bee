// Package e2e runs the built poolbench command end to end: bad input on
// every subcommand, and the two-host run across network namespaces.
package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// poolbench is the path of the binary built once by TestMain.
var poolbench string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "poolbench-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	poolbench = filepath.Join(dir, "poolbench")
	build := exec.Command("go", "build", "-o", poolbench, "github.com/poolbench/poolbench/cmd/poolbench")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build poolbench: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(gnetPool...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// gnetPool ignores the two goroutines of the default worker pool (ants)
// that gnet starts when its package is initialised and never stops: they
// exist in any binary that links the registry, whatever the test did.
var gnetPool = []goleak.Option{
	goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
	goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
}

// cmdTimeout bounds every run of the binary: a hang is a failure.
const cmdTimeout = 30 * time.Second

// result is what one run of the binary did.
type result struct {
	code           int
	stdout, stderr string
}

// runPoolbench runs the binary with args in dir and waits at most cmdTimeout.
func runPoolbench(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(poolbench, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(cmdTimeout, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	if !timer.Stop() {
		t.Fatalf("poolbench %q: still running after %v, killed", args, cmdTimeout)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("poolbench %q: %v", args, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

package harness

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/impls/server"
)

// childServerEnv makes the test binary act as a server child process (as
// "poolbench serve" does) so that Process is tested without the command:
// it prints its address, serves the protocol named by the variable and
// exits on SIGTERM.
const childServerEnv = "HARNESS_TEST_CHILD_SERVER"

func TestMain(m *testing.M) {
	if proto := os.Getenv(childServerEnv); proto != "" {
		os.Exit(runChildServer(server.Protocol(proto)))
	}
	// IgnoreCurrent: the registry's server designs start process-wide
	// goroutines at package init (gnet's ants worker pool); not the harness's.
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}

func runChildServer(proto server.Protocol) int {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	s, err := listenTestServerAt(childAddr(os.Args[1:]), proto, faultNone)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("listening on %s\n", s.Addr())
	<-term
	s.Stop()
	return 0
}

// childAddr is the value of -addr in args, as "poolbench serve" takes it,
// so that a restart starts the child again on the same address.
func childAddr(args []string) string {
	for i, a := range args {
		if a == "-addr" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return "127.0.0.1:0"
}

// childProcess launches the test binary as a server child process.
func childProcess(proto server.Protocol) Process {
	return Process{Path: os.Args[0], Args: []string{"-addr", "127.0.0.1:0"}, Env: []string{childServerEnv + "=" + string(proto)}, Stderr: os.Stderr}
}

// startChild starts a child server that is stopped when tb ends.
func startChild(tb testing.TB, proto server.Protocol) Instance {
	tb.Helper()
	inst, err := childProcess(proto).Launch(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := inst.Stop(); err != nil {
			tb.Error(err)
		}
	})
	return inst
}

package servertest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/servertest"
)

// plantedEnv names the bug TestPlanted plants; unset, it plants none.
const plantedEnv = "SERVERTEST_PLANTED_BUG"

// TestPlanted runs the suite on the planted echo server. Without a bug it
// must pass every property, which shows the planted bugs below are the
// only reason their properties fail. TestPlantedBugsFail reruns it in a
// child process with a bug planted.
func TestPlanted(t *testing.T) {
	bug := serverBug(os.Getenv(plantedEnv))
	if bug == "" {
		bug = correctServer
	}
	servertest.Run(t, plantedStart(bug), server.Echo)
}

// plantedBugs are the broken servers and the property each must fail.
var plantedBugs = []struct {
	bug      serverBug
	property string
}{
	{dropsWriteTail, "Sizes"},
	{noFlushOnHalfClose, "HalfClose"},
	{leaksOnShutdown, "Shutdown"},
	{unboundedQueue, "NeverReads"},
}

// TestPlantedBugsFail: each broken server fails its property. The suite
// fails its *testing.T directly, so each runs in a child process of this
// test binary, and the child's verdict on that one property is read from
// its -test.v output.
func TestPlantedBugsFail(t *testing.T) {
	for _, pb := range plantedBugs {
		t.Run(string(pb.bug), func(t *testing.T) {
			// In parallel: two of the bugs make their property wait out
			// its 30s watchdog (the echo that never comes, the conns
			// Shutdown left open), and the children only wait.
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run", "^TestPlanted$/^"+pb.property+"$", "-test.v", "-test.count", "1")
			cmd.Env = append(os.Environ(), plantedEnv+"="+string(pb.bug))
			out, err := cmd.CombinedOutput()
			failed := strings.Contains(string(out), "--- FAIL: TestPlanted/"+pb.property+" ")
			if err == nil || !failed {
				t.Errorf("the %s server was not caught by %s (child exit %v); output:\n%s", pb.bug, pb.property, err, tail(out))
			}
		})
	}
}

// tail is the end of a child's output, enough to see why it passed.
func tail(out []byte) string {
	const keep = 3000
	if len(out) > keep {
		return "…" + string(out[len(out)-keep:])
	}
	return string(out)
}

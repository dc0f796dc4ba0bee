package pool_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryLinksNoTestCode guards the reason Capabilities live in the
// contract: a production package that declares its capabilities must not
// pull the conformance suite, and with it testing and goleak, into the
// poolbench binary.
func TestBinaryLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/poolbench/poolbench/cmd/poolbench").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "testing", strings.HasPrefix(dep, "testing/"),
			strings.HasPrefix(dep, "go.uber.org/goleak"),
			strings.HasSuffix(dep, "/pooltest"), strings.HasSuffix(dep, "/servertest"):
			t.Errorf("cmd/poolbench links %s, test code", dep)
		}
	}
}

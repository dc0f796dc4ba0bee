package harness

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/results"
)

// progressProbe is a Progress that, at each point's line, counts the
// Echo results already in out: the points a streaming sweep has written.
type progressProbe struct {
	mu     sync.Mutex
	out    *bytes.Buffer
	counts []int // Echo results in out at each "[k/N]" line
}

func (p *progressProbe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if bytes.Contains(b, []byte("] raw/")) {
		p.counts = append(p.counts, strings.Count(p.out.String(), "\nBenchmarkEcho/"))
	}
	return len(b), nil
}

// TestSweepStreams runs a sweep with Out set: each point is in the output
// (flushed) by the time its progress line is printed, the Results keep
// none of them but count them, and the knees are still found from what
// was kept of each point.
func TestSweepStreams(t *testing.T) {
	echo := startTestServer(t, server.Echo, faultNone)
	s := shortSweep(Server{Name: "raw", Protocol: server.Echo, Launch: inProcess{echo}})
	var buf bytes.Buffer
	s.Out = results.NewWriter(&buf)
	probe := &progressProbe{out: &buf}
	s.Progress = probe
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	const points = 4 // 2 levels x 2 repetitions
	if len(res.Points) != 0 || res.Written != points || res.Len() != points {
		t.Errorf("kept %d points, wrote %d, Len %d; want 0, %d, %d", len(res.Points), res.Written, res.Len(), points, points)
	}
	if fmt.Sprint(probe.counts) != "[1 2 3 4]" {
		t.Errorf("Echo results written at each point's progress line: %v, want [1 2 3 4]", probe.counts)
	}
	if len(res.Knees) != 1 || res.Knees[0].MaxWorkers != 4 {
		t.Errorf("knees %+v, want one for raw/test up to 4 workers", res.Knees)
	}
	recs, _ := readBack(t, buf.Bytes())
	if len(recs) != points {
		t.Fatalf("read back %d results, want %d", len(recs), points)
	}
	for _, r := range recs {
		if r.GetConfig("server") != "raw" || r.GetConfig("count") != "2" {
			t.Errorf("%s: server %q count %q, want raw and 2", r.Name, r.GetConfig("server"), r.GetConfig("count"))
		}
	}
}

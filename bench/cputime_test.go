package bench

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// processCPU is the CPU time the whole process has used, from
// clock_gettime(CLOCK_PROCESS_CPUTIME_ID). BenchmarkPool reports it per op
// as cpu-ns/op next to ns/op: on a machine shared with other jobs, wall time
// per op also counts the time the process sat runnable while a neighbour
// had the CPU, which CPU time does not, so the exhausted rows' hand-off cost
// shows through the neighbours' load (the gate compares both).
//
// Not getrusage: its RUSAGE_SELF total leaves out the running thread's time
// since the scheduler last accounted it (up to a tick), which over a 10ms
// benchmark run read as anything from 0 to 20 times the true cost per op;
// the process CPU clock adds that pending time in.
func processCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		b.Fatalf("clock_gettime(CLOCK_PROCESS_CPUTIME_ID): %v", err)
	}
	return time.Duration(ts.Nano())
}

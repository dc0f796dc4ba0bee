package harness

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress writes the sweep's progress lines: one per point with its
// headline numbers and an ETA, then the knees.
type progress struct {
	w     io.Writer // nil discards
	total int
	done  int
	start time.Time
}

func (p *progress) printf(format string, args ...any) {
	if p.w != nil {
		fmt.Fprintf(p.w, "sweep: "+format+"\n", args...)
	}
}

func (p *progress) warn(format string, args ...any) { p.printf("warning: "+format, args...) }

func (p *progress) begin(total int) {
	p.total, p.start = total, time.Now()
	p.printf("%d points", total)
}

// step counts a finished point and returns the head of its line: its
// place and the ETA, which assumes the remaining points take as long as
// the finished ones did on average.
func (p *progress) step() (head string, eta time.Duration) {
	p.done++
	elapsed := time.Since(p.start)
	eta = elapsed / time.Duration(p.done) * time.Duration(p.total-p.done)
	width := len(fmt.Sprint(p.total))
	return fmt.Sprintf("[%*d/%d]", width, p.done, p.total), eta.Round(time.Second)
}

// point reports a finished echo point of repetition count.
func (p *progress) point(pt Point, count int) {
	head, eta := p.step()
	p.printf("%s %s/%s maxconns=%d workers=%d%s rep %d/%d: %s req/s, p99 %v, wait p99 %v, fairness %.2f, %s; ETA %v",
		head, pt.Server, pt.Pool, pt.MaxConns, pt.Workers, sizeLabel(pt.Size), pt.Rep, count,
		si(pt.ReqPerSec()), pt.Latency.P99.Round(time.Microsecond), pt.Wait.P99.Round(time.Microsecond), pt.Fairness,
		errorSummary(pt.Errors), eta)
	if pt.FirstOther != "" {
		p.printf("    first other error: %s", pt.FirstOther)
	}
}

// idle reports a finished point of restart while idle.
func (p *progress) idle(pt IdleRestartPoint) {
	head, eta := p.step()
	p.printf("%s restart-idle %s/%s maxconns=%d workers=%d rep %d: %d failed, %d stale conns handed out, %d dials, first ok +%v; ETA %v",
		head, pt.Server, pt.Pool, pt.MaxConns, pt.Workers, pt.Rep, pt.Failures, pt.Stale, pt.Dials, pt.FirstOK.Round(time.Microsecond), eta)
}

// burst reports a finished cold burst.
func (p *progress) burst(pt ColdBurstPoint) {
	head, eta := p.step()
	p.printf("%s cold-burst %s/%s maxconns=%d burst=%d dial=%v rep %d: served in %v, acquire p99 %v, peak %d dials in flight, %d dials, %d failed; ETA %v",
		head, pt.Server, pt.Pool, pt.MaxConns, pt.Burst, pt.DialDelay, pt.Rep, pt.Served.Round(time.Microsecond),
		pt.AcquireP99.Round(time.Microsecond), pt.PeakDials, pt.Dials, pt.Failures, eta)
}

// restart reports a point's restart result.
func (p *progress) restart(r RestartResult) { p.printf("%s", r) }

// knees reports each (server, pool)'s knee.
func (p *progress) knees(ks []Knee) {
	for _, k := range ks {
		if k.Found {
			p.printf("knee %s/%s: %d workers", k.Server, k.Pool, k.Workers)
		} else {
			p.printf("knee %s/%s: none up to %d workers (still scaling, or p99 not rising)", k.Server, k.Pool, k.MaxWorkers)
		}
	}
}

// errorSummary is "0 errors" or the non-zero classes: "3 errors (2 reset, 1 timeout)".
func errorSummary(e ErrorCounts) string {
	total := e.Total()
	if total == 0 {
		return "0 errors"
	}
	var parts []string
	for c, n := range e {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, Class(c)))
		}
	}
	return fmt.Sprintf("%d errors (%s)", total, strings.Join(parts, ", "))
}

// si formats v with a k or M suffix.
func si(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

package harness

import (
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/results"
)

// Shard makes a sweep one of N run at once from N client hosts against
// one server, so that their loads add up: each shard runs its share of the
// workers (and of the pool's conns) of every point, under the same names
// and configuration as every other shard, and starts point k at
// StartAt + k x (Warmup + Duration + Gap) by its host's clock, so that
// the shards' windows coincide. poolbench merge combines their files.
//
// Alignment is by wall clock, so it is as good as the hosts' clocks
// agree: a skew of s between two hosts shifts their windows by s, and
// the merged rate then counts s of one window's edge with fewer shards
// loading. NTP keeps hosts of one network within about a millisecond;
// against a 10 s window that is 0.01%. A shard cannot see skew, only its
// own lateness: the start error (time.Since the scheduled start when its
// workers begin), recorded with every point. A late start eats the
// warm-up first; past the warm-up the window itself begins late and is
// shorter, and the shard says so on Progress.
type Shard struct {
	Index, Of int // shard Index of Of, 0 <= Index < Of; Of 0 means not sharded
	// StartAt is the wall-clock time point 0 is scheduled at; the zero
	// time means each point starts when the one before has ended.
	StartAt time.Time
	// Gap is the pause between one point's scheduled end and the next's
	// start: room for the previous point's last requests, its pool's
	// Close and a child server's restart. 0 means DefaultGap.
	Gap time.Duration
}

// DefaultGap is the Gap of a Shard that sets none.
const DefaultGap = time.Second

// sharded reports whether sh splits the load.
func (sh Shard) sharded() bool { return sh.Of > 0 }

// share returns this shard's share of n workers or conns: n/Of, and one
// more for each of the first n%Of shards, so the shares of all Of add up
// to n. Unsharded, it is n.
func (sh Shard) share(n int) int {
	if !sh.sharded() {
		return n
	}
	s := n / sh.Of
	if sh.Index < n%sh.Of {
		s++
	}
	return s
}

// slot returns when point k (0-based, in run order) is scheduled, for
// points of length pointLen (warm-up and window); zero without StartAt.
func (sh Shard) slot(k int, pointLen time.Duration) time.Time {
	if sh.StartAt.IsZero() {
		return time.Time{}
	}
	gap := sh.Gap
	if gap == 0 {
		gap = DefaultGap
	}
	return sh.StartAt.Add(time.Duration(k) * (pointLen + gap))
}

// validate checks sh against the smallest worker level and pool size it
// must split: every shard needs at least one of each.
func (sh Shard) validate(minWorkers, minConns int) error {
	switch {
	case !sh.sharded():
		if !sh.StartAt.IsZero() {
			return fmt.Errorf("a start time aligns shards; give the shard count too")
		}
		return nil
	case sh.Of < 1 || sh.Index < 0 || sh.Index >= sh.Of:
		return fmt.Errorf("shard %d/%d: want 0 <= index < count", sh.Index, sh.Of)
	case sh.Gap < 0:
		return fmt.Errorf("gap %v between points, want >= 0", sh.Gap)
	case minWorkers < sh.Of:
		return fmt.Errorf("%d workers cannot be split across %d shards: every shard needs one", minWorkers, sh.Of)
	case minConns > 0 && minConns < sh.Of:
		return fmt.Errorf("a pool of %d conns cannot be split across %d shards: every shard needs one", minConns, sh.Of)
	}
	return nil
}

// lateness returns how late a point scheduled at slot began, measured
// now; 0 without a schedule.
func lateness(slot time.Time) time.Duration {
	if slot.IsZero() {
		return 0
	}
	return max(time.Since(slot), 0)
}

// shardPoint records what a shard adds to its point pt, loaded by l
// with latency histogram hist: the histogram, the window by the wall
// clock, the start error, and a window shortened by a start later than
// the warm-up, which it warns of.
func (s *Sweep) shardPoint(pt *Point, l *load, hist *hdrhistogram.Histogram, prog *progress) {
	pt.Hist, pt.StartErr = hist, l.late
	// The schedule's own times, not a clock read: shards on one clock
	// then record identical windows.
	base := l.at
	if base.IsZero() {
		base = l.base.Round(0)
	}
	begin := max(l.from, l.late)
	pt.WindowStart, pt.WindowEnd = base.Add(begin), base.Add(l.to)
	pt.Window = max(l.to-begin, 0)
	if l.late > max(l.from, time.Millisecond) {
		prog.warn("shard %s: %s/%s maxconns=%d workers=%d rep %d started %v late, past its %v warm-up: its window is %v of %v (start-err-ns records it)",
			s.Shard, pt.Server, pt.Pool, pt.MaxConns, pt.Workers, pt.Rep, l.late.Round(time.Microsecond), l.from, pt.Window.Round(time.Microsecond), l.to-l.from)
	}
}

func (sh Shard) String() string { return fmt.Sprintf("%d/%d", sh.Index, sh.Of) }

// config is the configuration a shard's results carry: which shard, and
// the schedule every shard shares (merge checks they agree).
func (sh Shard) config() []results.KV {
	if !sh.sharded() {
		return nil
	}
	at := results.None
	if !sh.StartAt.IsZero() {
		at = sh.StartAt.UTC().Format(time.RFC3339Nano)
	}
	gap := sh.Gap
	if gap == 0 {
		gap = DefaultGap
	}
	return []results.KV{{Key: results.Shard, Value: sh.String()}, {Key: results.StartAt, Value: at}, {Key: results.Gap, Value: gap.String()}}
}

package harness

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/results"
)

// TestShareAddsUp checks that the shards' shares of every level add up to
// it and differ by at most one.
func TestShareAddsUp(t *testing.T) {
	for _, n := range []int{2, 3, 7, 64, 1000} {
		for of := 1; of <= min(n, 5); of++ {
			sum, lo, hi := 0, n, 0
			for i := range of {
				s := Shard{Index: i, Of: of}.share(n)
				sum, lo, hi = sum+s, min(lo, s), max(hi, s)
			}
			if sum != n || hi-lo > 1 || lo < 1 {
				t.Errorf("%d split %d ways: shares sum to %d, from %d to %d", n, of, sum, lo, hi)
			}
		}
	}
	if got := (Shard{}).share(9); got != 9 {
		t.Errorf("unsharded share of 9: %d", got)
	}
}

func TestSlot(t *testing.T) {
	at := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	sh := Shard{Index: 1, Of: 2, StartAt: at, Gap: 500 * time.Millisecond}
	if got, want := sh.slot(3, 2*time.Second), at.Add(3*2500*time.Millisecond); !got.Equal(want) {
		t.Errorf("slot 3: %v, want %v", got, want)
	}
	if got := (Shard{Of: 2, StartAt: at}).slot(1, time.Second); !got.Equal(at.Add(time.Second + DefaultGap)) {
		t.Errorf("slot 1 with the default gap: %v", got)
	}
	if !(Shard{Of: 2}).slot(5, time.Second).IsZero() {
		t.Error("a slot without StartAt should be zero (now)")
	}
}

// TestShardedSweep runs shard 1 of 2 against an in-process server twice:
// on schedule, and with its start in the past by more than the warm-up.
// On time it runs half the workers, records a start error under the
// warm-up and the scheduled window; late, it says so, records the
// lateness and a shorter window. Starting on time means a goroutine woke
// within the warm-up of its timer: that is waited for (untilSeen), from a
// 20ms warm-up up to 1.28s, not assumed.
func TestShardedSweep(t *testing.T) {
	echo := startTestServer(t, server.Echo, faultNone)
	srv := Server{Name: "raw", Protocol: server.Echo, EventLoop: true, Launch: inProcess{echo}}
	s := shortSweep(srv)
	s.Workers, s.Count = []int{4}, 1
	untilSeen(t, 20*time.Millisecond, 1280*time.Millisecond, func(warmup time.Duration) (bool, string) {
		s.Warmup = warmup
		start := time.Now().Add(300 * time.Millisecond)
		s.Shard = Shard{Index: 1, Of: 2, StartAt: start, Gap: 10 * time.Millisecond}
		res, err := s.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		p := res.Points[0]
		if p.Hist == nil || p.Hist.TotalCount() != p.Requests {
			t.Fatalf("point %+v: want a histogram of its requests", p)
		}
		if p.Dials > 2 {
			t.Errorf("%d dials: shard 1 of 2 of 4 conns has a pool of 2", p.Dials)
		}
		var out strings.Builder
		if err := res.Write(&out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"shard: 1/2", "start-at: " + start.UTC().Format(time.RFC3339Nano), "gap: 10ms", " start-err-ns", "\nTag=Echo/server=raw/pool=test/maxconns=4/workers=4#1,"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
		set, err := results.Read(strings.NewReader(out.String()), "shard")
		if err != nil || len(set.Hists) != 1 || !set.Hists[0].Hist.Equals(p.Hist) {
			t.Errorf("histogram does not read back: %v", err)
		}
		if p.StartErr < 0 {
			t.Errorf("start error %v, want >= 0", p.StartErr)
		}
		if p.StartErr >= s.Warmup {
			return false, fmt.Sprintf("started %v after its slot, past the %v warm-up", p.StartErr, s.Warmup)
		}
		if want := start.Add(s.Warmup); !p.WindowStart.Equal(want) || !p.WindowEnd.Equal(want.Add(s.Duration)) || p.Window != s.Duration {
			t.Errorf("window %v-%v (%v), want the scheduled %v-%v", p.WindowStart, p.WindowEnd, p.Window, want, want.Add(s.Duration))
		}
		if p.Requests == 0 {
			return false, "no request completed in the window"
		}
		return true, ""
	})

	// Late: the first point's schedule 60ms in the past, past the 20ms
	// warm-up. However much later still the load began, the window is
	// what is left of the point after it.
	var log strings.Builder
	s.Progress = &log
	s.Warmup = 20 * time.Millisecond
	s.Shard.StartAt = time.Now().Add(-60 * time.Millisecond)
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p := res.Points[0]
	if p.StartErr < 60*time.Millisecond {
		t.Errorf("start error %v, want the 60ms it was late by at least", p.StartErr)
	}
	if want := max(s.Warmup+s.Duration-p.StartErr, 0); p.Window != want || !p.WindowStart.Equal(s.Shard.StartAt.Add(p.StartErr)) {
		t.Errorf("late window %v from %v, want %v from the late start", p.Window, p.WindowStart, want)
	}
	if !strings.Contains(log.String(), "started") || !strings.Contains(log.String(), "late, past its 20ms warm-up") {
		t.Errorf("a late shard should say so:\n%s", log.String())
	}
}

func TestShardValidate(t *testing.T) {
	for _, c := range []struct {
		sh   Shard
		want string
	}{
		{Shard{Index: 2, Of: 2}, "want 0 <= index < count"},
		{Shard{Index: 0, Of: 8}, "4 workers cannot be split across 8 shards"},
		{Shard{StartAt: time.Now()}, "give the shard count too"},
		{Shard{Of: 2, Gap: -time.Second}, "gap -1s"},
	} {
		s := shortSweep(Server{Name: "raw", Protocol: server.Echo, Launch: External("127.0.0.1:1")})
		s.Workers, s.Shard = []int{4}, c.sh
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("shard %+v: %v, want %q", c.sh, err, c.want)
		}
	}
}

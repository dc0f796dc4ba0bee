package verdict

import (
	"strings"
	"testing"
	"time"
)

func seq(from, step float64, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = from + step*float64(i)
	}
	return v
}

func TestDecideToldApart(t *testing.T) {
	v := Decide(Lower, []Sample{
		{"slow", seq(200, 1, 8)},
		{"fast", seq(100, 1, 8)},
		{"mid", seq(150, 1, 8)},
	})
	if !v.Decided || len(v.Tied) != 0 {
		t.Fatalf("separated samples: Decided %v, Tied %v; want decided, no ties", v.Decided, v.Tied)
	}
	if b, _ := v.Best(); b.Name != "fast" {
		t.Errorf("best = %v, want fast", b)
	}
	if w, _ := v.Worst(); w.Name != "slow" {
		t.Errorf("worst = %v, want slow", w)
	}
	if b, _ := v.Best(); b.Lo > b.Median || b.Hi < b.Median || !b.Finite() || b.N != 8 {
		t.Errorf("best's interval %v does not hold its median", b)
	}
	if s := v.Status(false); s != "told apart" {
		t.Errorf("Status = %q", s)
	}
}

func TestDecideHigherIsBetter(t *testing.T) {
	v := Decide(Higher, []Sample{{"low", seq(10, 1, 6)}, {"high", seq(100, 1, 6)}})
	if b, _ := v.Best(); b.Name != "high" || !v.Decided {
		t.Errorf("best = %v, decided %v; want high, decided", b, v.Decided)
	}
}

func TestDecideTied(t *testing.T) {
	v := Decide(Lower, []Sample{
		{"a", seq(100, 10, 8)},
		{"b", seq(105, 10, 8)}, // overlaps a
		{"c", seq(1000, 1, 8)},
	})
	if v.Decided {
		t.Fatal("overlapping leaders decided")
	}
	if len(v.Tied) != 1 || v.Tied[0].Name != "b" {
		t.Errorf("Tied = %v, want [b]", v.Tied)
	}
	if got := v.Leaders(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Leaders = %q, want [a b]", got)
	}
	if s := v.Status(true); !strings.Contains(s, "not told apart after 8 repetitions") {
		t.Errorf("Status at the cap = %q", s)
	}
	if s := v.Status(false); strings.Contains(s, "not told apart") {
		t.Errorf("Status before the cap = %q; only the cap may say not told apart", s)
	}
}

func TestDecideTooFewReps(t *testing.T) {
	v := Decide(Lower, []Sample{{"a", seq(1, 1, 5)}, {"b", seq(1000, 1, 5)}, {"none", nil}})
	if v.Decided {
		t.Error("5 repetitions decided; benchmath gives no interval below 6")
	}
	if len(v.Ranked) != 2 {
		t.Errorf("a design without values was ranked: %v", v.Ranked)
	}
	if s := v.Status(true); !strings.Contains(s, "too few") {
		t.Errorf("Status = %q", s)
	}
	if v := Decide(Lower, []Sample{{"only", seq(1, 1, 8)}}); v.Decided {
		t.Error("one design decided")
	}
}

func TestCapReached(t *testing.T) {
	began := time.Unix(0, 0)
	c := Cap{Reps: 10, Time: time.Minute}
	for _, tc := range []struct {
		reps  int
		after time.Duration
		want  bool
	}{{6, time.Second, false}, {10, time.Second, true}, {6, time.Minute, true}} {
		if got := c.Reached(tc.reps, began, began.Add(tc.after)); got != tc.want {
			t.Errorf("Reached(%d reps, %v) = %v", tc.reps, tc.after, got)
		}
	}
}

func TestExactTie(t *testing.T) {
	zeros := []float64{0, 0, 0, 0, 0, 0}
	v := Decide(Lower, []Sample{{"a", zeros}, {"b", zeros}, {"fatih", []float64{4, 4, 4, 4, 4, 4}}})
	if v.Decided || !v.ExactTie() || !v.Settled() {
		t.Fatalf("two pools at 0 every time: Decided %v ExactTie %v", v.Decided, v.ExactTie())
	}
	if w, _ := v.Worst(); w.Name != "fatih" || w.Overlaps(v.Ranked[0]) {
		t.Errorf("worst = %v, want fatih apart from the best", w)
	}
	if s := v.Status(true); !strings.HasPrefix(s, "tied exactly") {
		t.Errorf("Status = %q", s)
	}
	v = Decide(Lower, []Sample{{"a", zeros}, {"b", []float64{0, 0, 0, 0, 0, 1}}})
	if v.ExactTie() || v.Settled() {
		t.Error("a tie with one differing repetition counts as exact")
	}
}

package gate

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// bench renders one benchmark's values in one unit as benchfmt lines.
func bench(name, unit string, vals ...float64) string {
	var b strings.Builder
	for _, v := range vals {
		fmt.Fprintf(&b, "Benchmark%s-2 \t 1000 \t %g %s\n", name, v, unit)
	}
	return b.String()
}

// scaled returns vals multiplied by f.
func scaled(f float64, vals []float64) []float64 {
	out := make([]float64, len(vals))
	for i, v := range vals {
		out[i] = v * f
	}
	return out
}

// base is ten noisy measurements around 100 (spread about ±4%).
var base = []float64{100, 103, 98, 101, 99, 102, 100, 97, 104, 101}

// tight is ten measurements within 1%: a 3% shift separates them fully.
var tight = []float64{100, 100.1, 100.2, 100.3, 100.4, 100.5, 100.6, 100.7, 100.8, 100.9}

// shuffled is base in another order, nudged by less than its spread: the
// same distribution measured again.
var shuffled = []float64{101.5, 97.5, 103, 99.5, 100.5, 98, 102, 100, 103.5, 99}

func mustSet(t *testing.T, text string) Set {
	t.Helper()
	set, warns, err := Read(strings.NewReader("pkg: example.com/p\n"+text), "x.txt")
	if err != nil || len(warns) > 0 {
		t.Fatalf("Read: %v %v", err, warns)
	}
	return set
}

func compare(t *testing.T, old, new string, opt Options) *Outcome {
	t.Helper()
	o, err := Compare(mustSet(t, old), mustSet(t, new), opt)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func exitCode(o *Outcome) int {
	if err := o.Err(); err != nil {
		return err.(*Error).ExitCode()
	}
	return 0
}

func TestCompareVerdicts(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []Verdict
		exit     int
	}{
		{"clear regression", bench("A", "ns/op", base...), bench("A", "ns/op", scaled(1.25, base)...), []Verdict{Regression}, 1},
		{"clear improvement", bench("A", "ns/op", base...), bench("A", "ns/op", scaled(0.75, base)...), []Verdict{Better}, 0},
		{"noise", bench("A", "ns/op", base...), bench("A", "ns/op", shuffled...), []Verdict{Same}, 0},
		{"A against A", bench("A", "ns/op", base...), bench("A", "ns/op", base...), []Verdict{Same}, 0},
		{"significant but under threshold", bench("A", "ns/op", tight...), bench("A", "ns/op", scaled(1.03, tight)...), []Verdict{Worse}, 0},
		{"too few pairs", bench("A", "ns/op", base[:3]...), bench("A", "ns/op", scaled(2, base[:3])...), []Verdict{Undecided}, 2},
		{"sides that do not pair", bench("A", "ns/op", base...), bench("A", "ns/op", scaled(2, base[:3])...), []Verdict{Undecided}, 2},
		{"req/s falling is a regression", bench("A", "req/s", base...), bench("A", "req/s", scaled(0.75, base)...), []Verdict{Regression}, 1},
		{"req/s rising is better", bench("A", "req/s", base...), bench("A", "req/s", scaled(1.25, base)...), []Verdict{Better}, 0},
		{"p99 latency rising is a regression", bench("A", "p99-ns", base...), bench("A", "p99-ns", scaled(1.25, base)...), []Verdict{Regression}, 1},
		{"allocs from zero", bench("A", "allocs/op", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), bench("A", "allocs/op", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), []Verdict{Regression}, 1},
		// Exact rows need no statistics: one more allocation in every run
		// fails, with a single run a side.
		{"one more alloc, one run", bench("A", "allocs/op", 2), bench("A", "allocs/op", 3), []Verdict{Regression}, 1},
		{"B/op up in every run", bench("A", "B/op", 48, 48, 48), bench("A", "B/op", 64, 64, 64), []Verdict{Regression}, 1},
		{"B/op that varies and overlaps", bench("A", "B/op", 170, 176, 176), bench("A", "B/op", 176, 177, 175), []Verdict{Same}, 0},
		{"allocs down", bench("A", "allocs/op", 1, 1, 1), bench("A", "allocs/op", 0, 0, 0), []Verdict{Better}, 0},
		// Instruction counts repeat to about 1%: more than 3% worse fails.
		{"instructions up 4%", bench("A", "instructions/op", 300), bench("A", "instructions/op", 312), []Verdict{Regression}, 1},
		{"instructions within 3%", bench("A", "instructions/op", 300), bench("A", "instructions/op", 308), []Verdict{Same}, 0},
		{"instructions down 4%", bench("A", "instructions/op", 300), bench("A", "instructions/op", 288), []Verdict{Better}, 0},
		// Wait tails are shown, never gated.
		{"p99 wait rising is shown only", bench("A", "p99-wait-ns", base...), bench("A", "p99-wait-ns", scaled(2, base)...), []Verdict{Same}, 0},
		{"constant and equal", bench("A", "B/op", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), bench("A", "B/op", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), []Verdict{Same}, 0},
		{"missing rows are reported, not failed",
			bench("A", "ns/op", base...) + bench("Gone", "ns/op", base...),
			bench("A", "ns/op", base...) + bench("Added", "ns/op", base...),
			[]Verdict{Same, OnlyOld, OnlyNew}, 0},
		{"empty old side cannot decide", "", bench("A", "ns/op", base...), []Verdict{OnlyNew}, 2},
		{"no new results", bench("A", "ns/op", base...), "", []Verdict{OnlyOld}, 2},
		{"unit metadata overrides the table",
			"Unit widgets better=higher\n" + bench("A", "widgets", base...),
			bench("A", "widgets", scaled(0.75, base)...), []Verdict{Regression}, 1},
		{"unknown unit assumes lower is better", bench("A", "widgets", base...), bench("A", "widgets", scaled(1.25, base)...), []Verdict{Regression}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := compare(t, tt.old, tt.new, DefaultOptions)
			var got []Verdict
			for _, r := range o.Rows {
				got = append(got, r.Verdict)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("verdicts = %v, want %v", got, tt.want)
			}
			if c := exitCode(o); c != tt.exit {
				t.Errorf("exit = %d (%v), want %d", c, o.Err(), tt.exit)
			}
		})
	}
}

// TestEmptyOldSide: an old side without results is not a pass (a base
// whose benchmarks did not run would wave every change through); the
// summary says why the gate cannot decide.
func TestEmptyOldSide(t *testing.T) {
	o := compare(t, "", bench("A", "ns/op", base...), DefaultOptions)
	if err := o.Err(); err == nil || err.Error() != "no old benchmark results to compare against" {
		t.Fatalf("Err() = %v", err)
	}
	var b strings.Builder
	if err := Format(&b, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "gate: CANNOT DECIDE: no old benchmark results") || strings.Contains(b.String(), "gate: PASS") {
		t.Errorf("Format output:\n%s", b.String())
	}
	// A filter that matches nothing on the old side is the same case.
	opt := DefaultOptions
	opt.Filter = "/impl:new"
	o = compare(t, bench("Pool/impl=old", "ns/op", base...), bench("Pool/impl=new", "ns/op", base...), opt)
	if exitCode(o) != 2 {
		t.Errorf("filter matching only new results: exit %d (%v), want 2", exitCode(o), o.Err())
	}
}

// TestNonFinite: Read rejects NaN and infinite values naming file and
// line, and Compare rejects them in a Set built in code. Before, a NaN
// reached benchmath's Mann-Whitney test, which loops forever on it.
func TestNonFinite(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"BenchmarkX 1 NaN ns/op\n", "x.txt:1: BenchmarkX: value NaN ns/op is not a finite number"},
		{"BenchmarkX 1 5 ns/op\nBenchmarkX 1 +Inf ns/op\n", "x.txt:2: BenchmarkX: value +Inf ns/op is not a finite number"},
		{"goos: linux\n\nBenchmarkY-2 1 5 ns/op -Inf req/s\n", "x.txt:3: BenchmarkY-2: value -Inf req/s is not a finite number"},
	} {
		set, _, err := Read(strings.NewReader(tt.text), "x.txt")
		if err == nil || err.Error() != tt.want || len(set.Results) != 0 {
			t.Errorf("Read(%q) = %d results, %v; want the error %q", tt.text, len(set.Results), err, tt.want)
		}
	}
	set := mustSet(t, bench("A", "ns/op", base...))
	bad := Set{Results: []*benchfmt.Result{set.Results[0].Clone()}}
	bad.Results[0].Values[0].Value = math.NaN()
	if _, err := Compare(set, bad, DefaultOptions); err == nil || !strings.Contains(err.Error(), "is not a finite number") {
		t.Errorf("Compare with a NaN: %v, want a not-finite error", err)
	}
}

func TestTooFewSamplesMessage(t *testing.T) {
	o := compare(t, bench("A", "ns/op", base[:3]...), bench("A", "ns/op", base[:3]...), DefaultOptions)
	err := o.Err()
	want := "need >= 5 paired runs per side for alpha=0.05; got 3"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Err() = %v, want it to contain %q", err, want)
	}
	var b strings.Builder
	if err := Format(&b, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "gate: CANNOT DECIDE: ") || !strings.Contains(b.String(), want) {
		t.Errorf("Format output lacks the plain cannot-decide line:\n%s", b.String())
	}
}

func TestThresholdAndAlphaFlags(t *testing.T) {
	old, new := bench("A", "ns/op", base...), bench("A", "ns/op", scaled(1.12, base)...)
	opt := DefaultOptions
	opt.Threshold = 0.10
	if v := compare(t, old, new, opt).Rows[0].Verdict; v != Regression {
		t.Errorf("12%% slower with threshold 10%%: verdict %v, want Regression", v)
	}
	opt.Threshold = 0.15
	if v := compare(t, old, new, opt).Rows[0].Verdict; v != Worse {
		t.Errorf("12%% slower with threshold 15%%: verdict %v, want Worse", v)
	}
	// Ten pairs reach at best p = 2^-10 ~ 1e-3: at alpha 1e-6 the gate
	// needs 20 and says it cannot decide.
	opt = DefaultOptions
	opt.Alpha = 1e-6
	if o := compare(t, old, bench("A", "ns/op", scaled(1.25, base)...), opt); exitCode(o) != 2 {
		t.Errorf("alpha 1e-6 with 10 samples: exit %d, want 2 (%v)", exitCode(o), o.Err())
	}
}

func TestNeedPairs(t *testing.T) {
	for _, tt := range []struct {
		alpha float64
		want  int
	}{{0.5, 2}, {0.1, 4}, {0.05, 5}, {0.01, 7}, {0.001, 10}, {1e-6, 20}} {
		if got := NeedPairs(tt.alpha); got != tt.want {
			t.Errorf("NeedPairs(%v) = %d, want %d", tt.alpha, got, tt.want)
		}
	}
}

// TestPairingBeatsRoundNoise: a 10% slowdown in every round, under
// round-to-round swings of a factor of three (a neighbour's load), is plain
// to the paired test and invisible to medians alone.
func TestPairingBeatsRoundNoise(t *testing.T) {
	load := []float64{1, 3, 1.5, 2.5, 1.2, 2.8, 1.1, 2, 3, 1.4}
	old := make([]float64, len(load))
	for i, l := range load {
		old[i] = 100 * l
	}
	o := compare(t, bench("A", "ns/op", old...), bench("A", "ns/op", scaled(1.10, old)...), DefaultOptions)
	r := o.Rows[0]
	if r.Verdict != Regression || math.Abs(r.Change-0.10) > 1e-9 || r.Paired.N != 10 || r.Paired.P > 0.001 {
		t.Errorf("row = %v, change %v, pairs %+v; want a 10%% regression with p = 2^-10", r.Verdict, r.Change, r.Paired)
	}
	// The medians' intervals overlap: comparing the sides as two unpaired
	// samples could not tell them apart.
	if !(r.OldSummary.Hi > r.NewSummary.Lo) {
		t.Errorf("old median interval [%v, %v] and new [%v, %v] do not overlap; the test shows nothing",
			r.OldSummary.Lo, r.OldSummary.Hi, r.NewSummary.Lo, r.NewSummary.Hi)
	}
}

// TestFamilyIsTimedRowsOnly: exact and shown rows take no part in the
// correction.
func TestFamilyIsTimedRowsOnly(t *testing.T) {
	old := bench("A", "ns/op", base...) + bench("A", "allocs/op", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) +
		bench("A", "B/op", 1, 2, 1, 2, 1, 2, 1, 2, 1, 2) + bench("A", "p99-wait-ns", base...)
	new := bench("A", "ns/op", shuffled...) + bench("A", "allocs/op", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) +
		bench("A", "B/op", 2, 1, 2, 1, 2, 1, 2, 1, 2, 1) + bench("A", "p99-wait-ns", shuffled...)
	if o := compare(t, old, new, DefaultOptions); o.Tests != 1 {
		t.Errorf("family size %d, want 1 (the sec/op row)", o.Tests)
	}
}

func TestDirectionOf(t *testing.T) {
	for _, tt := range []struct {
		unit    string
		want    Direction
		assumed bool
	}{
		{"sec/op", LowerIsBetter, false},
		{"B/op", LowerIsBetter, false},
		{"allocs/op", LowerIsBetter, false},
		{"p99-sec", LowerIsBetter, false},
		{"max-wait-sec", LowerIsBetter, false},
		{"req/s", HigherIsBetter, false},
		{"B/s", HigherIsBetter, false},
		{"ops/sec", HigherIsBetter, false},
		{"errors", LowerIsBetter, true},
	} {
		d, assumed := DirectionOf(tt.unit, nil)
		if d != tt.want || assumed != tt.assumed {
			t.Errorf("DirectionOf(%q) = %v, %v; want %v, %v", tt.unit, d, assumed, tt.want, tt.assumed)
		}
	}
}

func TestChange(t *testing.T) {
	if c := change(0, 0); c != 0 {
		t.Errorf("change(0,0) = %v", c)
	}
	if c := change(0, 1); !math.IsInf(c, 1) {
		t.Errorf("change(0,1) = %v, want +Inf", c)
	}
	if c := change(100, 125); math.Abs(c-0.25) > 1e-12 {
		t.Errorf("change(100,125) = %v", c)
	}
}

func TestBadOptions(t *testing.T) {
	for _, opt := range []Options{
		{Alpha: 0, Threshold: 0.05, Confidence: 0.95},
		{Alpha: 0.05, Threshold: -1, Confidence: 0.95},
		{Alpha: 0.05, Threshold: 0.05, Confidence: 1},
		{Alpha: 0.05, Threshold: 0.05, Confidence: 0.95, Filter: "((("},
	} {
		if _, err := Compare(Set{}, Set{}, opt); err == nil {
			t.Errorf("Compare with %+v: no error", opt)
		}
	}
}

func TestHolm(t *testing.T) {
	ps := []float64{0.02, 0.001, 0.3, 0.021}
	rows := make([]Row, len(ps))
	tested := make([]int, len(ps))
	for i, p := range ps {
		rows[i].Paired.P = p
		tested[i] = i
	}
	// Holm over 4: 0.001 < 0.05/4 passes; 0.02 < 0.05/3 fails and stops the walk.
	if got := Holm.significant(rows, tested, 0.05); fmt.Sprint(got) != "map[1:true]" {
		t.Errorf("Holm: significant = %v, want only row 1", got)
	}
	if got := NoCorrection.significant(rows, tested, 0.05); fmt.Sprint(got) != "map[0:true 1:true 2:false 3:true]" {
		t.Errorf("none: significant = %v, want rows 0, 1, 3", got)
	}
}

// TestHolmInCompare: a 7% shift with a small p fails the gate alone, but
// among 20 unchanged rows it is not significant family-wise: the row says
// why, and stays a suspect that confirmation would rerun.
func TestHolmInCompare(t *testing.T) {
	// Half of new overlaps old: p is small but not tiny.
	old := bench("A", "ns/op", base...)
	new := bench("A", "ns/op", 99, 104, 97, 104, 105, 110, 111, 112, 113, 114)
	for i := range 20 {
		old += bench(fmt.Sprintf("Same%d", i), "ns/op", base...)
		new += bench(fmt.Sprintf("Same%d", i), "ns/op", shuffled...)
	}
	opt := DefaultOptions
	o := compare(t, old, new, opt)
	if o.Tests != 21 || o.Rows[0].Verdict != Suspect {
		t.Fatalf("Holm: tests %d, row A verdict %v; want 21 and Suspect", o.Tests, o.Rows[0].Verdict)
	}
	if len(o.Suspects()) < 1 || o.Suspects()[0].Name != o.Rows[0].Name {
		t.Errorf("Suspects() = %v, want row A first", o.Suspects())
	}
	if p := o.Rows[0].Paired.P; !(p < 0.05 && p > 0.05/21) {
		t.Fatalf("row A p = %v, want between alpha/21 and alpha for this test to mean anything", p)
	}
	if w := fmt.Sprint(o.Rows[0].Warnings); !strings.Contains(w, "not significant after Holm-Bonferroni over 21 timed rows") {
		t.Errorf("row A warnings %s lack the correction note", w)
	}
	opt.Correction = NoCorrection
	if v := compare(t, old, new, opt).Rows[0].Verdict; v != Regression {
		t.Errorf("no correction: row A verdict %v, want Regression", v)
	}
}

// TestPairsKeepRoundOrder: the i-th old and i-th new result are a pair. A
// new side that is the old one in reverse order moves every pair (ratios
// from 0.1 to 10) although the two sides hold the same values; pairing the
// sorted values instead would see ten ratios of exactly 1.
func TestPairsKeepRoundOrder(t *testing.T) {
	old := []float64{100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}
	rev := slices.Clone(old)
	slices.Reverse(rev)
	r := compare(t, bench("A", "ns/op", old...), bench("A", "ns/op", rev...), DefaultOptions).Rows[0]
	if r.Paired.Lo > 0.5 || r.Paired.Hi < 2 || r.Verdict != Same {
		t.Errorf("reversed rounds: ratio interval [%v, %v], verdict %v; want ratios spanning 0.5..2 and no verdict", r.Paired.Lo, r.Paired.Hi, r.Verdict)
	}
}

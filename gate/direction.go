package gate

import (
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Direction says which way a unit improves. Its values match the sign
// convention of benchfmt.UnitMetadataMap.GetBetter.
type Direction int

const (
	// LowerIsBetter is a cost: time, bytes, allocations, latency.
	LowerIsBetter Direction = -1
	// HigherIsBetter is a rate: anything per second.
	HigherIsBetter Direction = 1
)

// String names the direction as the table header shows it.
func (d Direction) String() string {
	if d == HigherIsBetter {
		return "higher is better"
	}
	return "lower is better"
}

// DirectionOf returns which way unit improves. unit is a tidied unit as
// benchfmt.Reader produces it ("sec/op", not "ns/op"; "p99-sec", not
// "p99-ns"). Rules, first match wins:
//
//  1. a "Unit U better=higher|lower" metadata line in the input;
//  2. anything per second ("req/s", "B/s", "ops/sec") is a rate: higher is better;
//  3. a duration ("sec/op", "p99-sec", "max-wait-sec"), bytes ("B/op") or
//     allocations ("allocs/op") is a cost: lower is better;
//  4. anything else is unknown: lower is better is assumed, and assumed is
//     true so the table can say so. Benchmarks report costs far more often
//     than rates, and a rate that is not "per second" is rare enough to
//     declare with a metadata line.
func DirectionOf(unit string, meta benchfmt.UnitMetadataMap) (d Direction, assumed bool) {
	if m := meta.Get(unit, "better"); m != nil {
		switch m.Value {
		case "higher":
			return HigherIsBetter, false
		case "lower":
			return LowerIsBetter, false
		}
	}
	num, den, _ := strings.Cut(unit, "/")
	switch den {
	case "s", "sec":
		return HigherIsBetter, false
	}
	if isDuration(num) || num == "B" || num == "allocs" || num == "instructions" {
		return LowerIsBetter, false
	}
	return LowerIsBetter, true
}

// isDuration reports whether a unit's numerator is a time in tidied
// seconds: "sec" itself or a dash-separated word list ending in it
// ("p99-sec", "max-wait-sec").
func isDuration(num string) bool {
	return num == "sec" || strings.HasSuffix(num, "-sec")
}

// isTime reports whether verdicts for unit read "faster"/"slower" rather
// than "better"/"worse": durations and rates.
func isTime(unit string) bool {
	num, den, _ := strings.Cut(unit, "/")
	return isDuration(num) || den == "s" || den == "sec"
}

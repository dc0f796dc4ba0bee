package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"
)

// table is a Markdown table; the first column is left-aligned, the rest
// right-aligned (they hold numbers) unless left is set.
type table struct {
	head []string
	rows [][]string
	left bool // every column left-aligned
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(b *strings.Builder) {
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + escapeCell(c) + " |")
		}
		b.WriteString("\n")
	}
	row(t.head)
	b.WriteString("|")
	for i := range t.head {
		if i == 0 || t.left {
			b.WriteString(" --- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		row(r)
	}
	b.WriteString("\n")
}

// escapeCell keeps a cell on one line and its pipes out of the table syntax.
func escapeCell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// fmtValue formats v in a tidied unit with an SI or binary prefix:
// 1.234e-5 sec -> "12.34µs", 2048 B -> "2.000KiB", 12345 req/s -> "12.35k",
// 0.5 allocs/op -> "0.5".
func fmtValue(v float64, unit string) string {
	sfx := suffix(unit)
	switch {
	case v == 0:
		return "0"
	case sfx == "" && math.Abs(v) < 1000:
		// A small count (allocs/op, errors): "0.5", not "500.0m".
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return benchunit.Scale(v, benchunit.ClassOf(unit)) + sfx
}

// suffix is the base unit a scaled number is shown with: "s" for times,
// "B" for bytes, nothing for counts and rates (the column says what they are).
func suffix(unit string) string {
	num, _, _ := strings.Cut(unit, "/")
	switch {
	case num == "sec" || strings.HasSuffix(num, "-sec"):
		return "s"
	case num == "B" || strings.HasSuffix(num, "-B"):
		return "B"
	}
	return ""
}

// fmtStat formats a median with its confidence interval, as benchstat does.
func fmtStat(s stat, unit string) string {
	return fmtValue(s.Center, unit) + " ± " + s.PctRangeString()
}

// fmtRatio formats a/b as "1.23×", or "-" when b is 0.
func fmtRatio(a, b float64) string {
	if b == 0 || math.IsNaN(a/b) {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// capitalize upper-cases the first letter of a sentence built from parts.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// section writes the heading of the section titled title. When its results
// are missing (has is false) it writes noneYet, the line saying so and what
// writes them, and returns false: the section ends there.
func section(b *strings.Builder, title string, has bool, noneYet string) bool {
	fmt.Fprintf(b, "## %s\n\n", title)
	if !has {
		b.WriteString(noneYet + "\n\n")
	}
	return has
}

package report

import (
	"fmt"
	"strings"

	"github.com/poolbench/poolbench/verdict"
)

// verdictRow is one question of a scenario (a server and a level) and its
// verdict over the pool designs.
type verdictRow struct {
	question string
	v        verdict.Verdict
	// capReps is the cap on repetitions the sweep ran under (its
	// cap-reps key); 0 when unknown. Only a verdict whose best reached it
	// says "not told apart (cap)".
	capReps int
}

// writeVerdicts writes the closing verdict table of a scenario: one row
// per question, with the best design, the designs tied with it, the worst,
// each median with its 95% interval, and whether the repetitions told them
// apart. The sweep repeats a question until its verdict is settled or its
// cap is reached, so an unsettled verdict says "not told apart" with the
// repetitions behind it. show formats a value of the metric.
func writeVerdicts(b *strings.Builder, metric string, rows []verdictRow, show func(float64) string) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "**Verdict** on %s (median [95%% interval], n repetitions):\n\n", metric)
	t := table{head: []string{"question", "best", "tied with best", "worst", "verdict"}, left: true}
	for _, r := range rows {
		best, ok := r.v.Best()
		if !ok {
			continue
		}
		worst, _ := r.v.Worst()
		var tied []string
		for _, d := range r.v.Tied {
			tied = append(tied, designText(d, show))
		}
		tiedText := "none"
		if len(tied) > 0 {
			tiedText = strings.Join(tied, "; ")
		}
		worstText := designText(worst, show)
		if len(r.v.Ranked) < 2 {
			worstText = "-"
		}
		t.add(r.question, designText(best, show), tiedText, worstText, r.v.Status(!r.v.Settled() && r.capReps > 0 && best.N >= r.capReps))
	}
	t.write(b)
}

// designText is "ring 12.3µs [11.9µs, 13.0µs] n=6".
func designText(d verdict.Design, show func(float64) string) string {
	if !d.Finite() {
		return fmt.Sprintf("%s %s (no interval) n=%d", d.Name, show(d.Median), d.N)
	}
	if d.Lo == d.Hi {
		return fmt.Sprintf("%s %s n=%d", d.Name, show(d.Median), d.N)
	}
	return fmt.Sprintf("%s %s [%s, %s] n=%d", d.Name, show(d.Median), show(d.Lo), show(d.Hi), d.N)
}

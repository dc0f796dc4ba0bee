package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScenarioSections renders the restart-while-idle and cold-burst
// sections from a fixture measured by "poolbench sweep -restart 100ms
// -restart-idle -cold-burst 4 -conns 8 -count 6" (net; mutexlist, fatih,
// silenceper): fatih is named for its stale conns and its dials past the
// cap, each section ends with its verdict table, and each plot is linked
// and written.
func TestScenarioSections(t *testing.T) {
	dir := copyResults(t, ScenariosFile)
	got := generate(t, dir)
	for _, want := range []string{
		"## Restart while idle",
		"| fatih | 8 | 8 | 8 |",
		"Handed out stale conns and failed requests on them: fatih.",
		"**Verdict** on failures after the resume",
		"tied exactly: every repetition gave 0",
		"## Restart under load",
		"## Cold burst",
		"32 (over the cap of 8)",
		"every pool except fatih, which dialed past its cap",
		"**Verdict** on time to serve the burst",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if i, j := strings.Index(got, "## Restart while idle"), strings.Index(got, "## Cold burst"); i < 0 || j < i || !strings.Contains(got[i:j], "## Restart under load") {
		t.Error("sections out of order: want restart while idle, restart under load, cold burst")
	}
	for _, name := range []string{
		"restart-idle-server-net_maxconns-8_workers-8.svg",
		"cold-burst-server-net_maxconns-8_burst-32_dial-10ms.svg",
	} {
		if !strings.Contains(got, "](results/plots/"+name+")") {
			t.Errorf("report does not link %s", name)
		}
		svg, err := os.ReadFile(filepath.Join(dir, "results", PlotDir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, pool := range []string{"mutexlist", "fatih", "silenceper"} {
			if !strings.Contains(string(svg), ">"+pool+"<") {
				t.Errorf("%s does not name %s on its axis", name, pool)
			}
		}
	}
}

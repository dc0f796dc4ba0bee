package pooltest_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

func TestReportJSONRoundTrip(t *testing.T) {
	r := pooltest.Report{
		{Property: "TotalCap", Number: 1, Status: pooltest.Pass},
		{Property: "Reaper", Number: 12, Status: pooltest.NA, Message: "no reaper"},
		{Property: "FIFO", Number: 9, Status: pooltest.Fail, Message: "waiter 3 first\nmore"},
	}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"status": "n/a"`) {
		t.Errorf("JSON does not spell statuses out:\n%s", b)
	}
	var back pooltest.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back, r) {
		t.Errorf("round trip: got %+v, want %+v", back, r)
	}
	if err := json.Unmarshal([]byte(`[{"status":"maybe"}]`), &back); err == nil {
		t.Error("an unknown status decoded without error")
	}
	if _, err := json.Marshal(pooltest.Report{{Property: "x"}}); err == nil {
		t.Error("the zero Status encoded without error")
	}
}

func TestReportLookupsAndDiff(t *testing.T) {
	r := pooltest.Report{
		{Property: "TotalCap", Status: pooltest.Pass},
		{Property: "Reaper", Status: pooltest.NA},
		{Property: "FIFO", Status: pooltest.Fail, Message: "waiter 3 first\nmore"},
	}
	if r.Status("FIFO") != pooltest.Fail || r.Status("Nope") != 0 || r.Status("Nope").String() != "unknown" {
		t.Errorf("Status lookups wrong")
	}
	if got := r.Names(pooltest.Fail); !slices.Equal(got, []string{"FIFO"}) {
		t.Errorf("Names(Fail) = %v", got)
	}
	if d := r.Diff(map[string]pooltest.Status{"Reaper": pooltest.NA, "FIFO": pooltest.Fail}); len(d) != 0 {
		t.Errorf("Diff of a matching table: %v", d)
	}
	d := r.Diff(map[string]pooltest.Status{"Reaper": pooltest.NA, "Gone": pooltest.Fail})
	want := []string{"FIFO: got fail, want pass: waiter 3 first ...", "Gone: not in the report, want fail"}
	if !slices.Equal(d, want) {
		t.Errorf("Diff = %q, want %q", d, want)
	}
	if s := r.String(); !strings.Contains(s, "FIFO") || strings.Contains(s, "more") {
		t.Errorf("String should show first lines only:\n%s", s)
	}
}

// TestPropertiesStable: the names and numbers others select and assert on.
func TestPropertiesStable(t *testing.T) {
	var names []string
	numbers := map[int]bool{}
	for _, p := range pooltest.Properties() {
		names = append(names, p.Name)
		numbers[p.Number] = true
		if p.Summary == "" {
			t.Errorf("%s has no summary", p.Name)
		}
	}
	want := []string{"TotalCap", "CapUnderChurn", "FullPoolDoesNotDial", "IdleBound", "Reuse",
		"PutHandsToWaiter", "PutGetRace", "DiscardFreesSlot", "DiscardedNeverReused", "FIFO",
		"NoDoubleHandout", "IdleExpiry", "Reaper", "MaxLifetime", "DeadPeer", "CancelWhileWaiting",
		"CancelDuringDial", "CancelGrantRace", "AcquireTimeout", "DialErrorRestoresCapacity",
		"NoStrandedWaiter", "DialOutsideLock", "DoublePut", "StalePut", "InvalidConfig", "CloseIdle",
		"GetAfterClose", "PutAfterClose", "NoLeakAfterClose", "StatsConsistent"}
	if !slices.Equal(names, want) {
		t.Errorf("Properties() names = %v\nwant %v", names, want)
	}
	for n := 1; n <= 29; n++ {
		if !numbers[n] {
			t.Errorf("no property has number %d", n)
		}
	}
}

// TestNAIsNotPass: a capability set to false turns its property n/a in
// Check, and Run skips it rather than passing it.
func TestNAIsNotPass(t *testing.T) {
	caps := pool.Full
	caps.Reaper = false
	report := pooltest.CheckOnly(t, refNew(correct), caps, "Reaper", "IdleExpiry")
	if r, _ := report.Result("Reaper"); r.Status != pooltest.NA || !strings.Contains(r.Message, "reaper") {
		t.Errorf("Reaper with Reaper false: %+v, want n/a naming the reaper", r)
	}
	if got := report.Status("IdleExpiry"); got != pooltest.Pass {
		t.Errorf("IdleExpiry: %v, want pass", got)
	}
}

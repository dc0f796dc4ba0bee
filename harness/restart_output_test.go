package harness

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/poolbench/poolbench/results"
)

// TestWriteRestartResults writes the restart results of a sweep and reads
// them back with benchfmt.Reader: names, units (the -ns ones tidied to
// sec by the reader), values left out when they did not happen, and the
// better=higher of recovered.
func TestWriteRestartResults(t *testing.T) {
	ms := time.Millisecond
	res := sampleResults()
	res.Config = (&Sweep{Rate: 400}).config()
	res.Restarts = []RestartResult{
		{Server: "gnet", Pool: "ring", Conns: 64, Down: 30 * ms, FirstOK: 2 * ms, Settled: 3 * ms, ErrorsAfter: 5, OKAfter: 90, LastOK: 200 * ms},
		{Server: "gnet", Pool: "chan", Conns: 1, Down: 20 * ms, FirstOK: ms, OKAfter: 10, LastOK: 100 * ms},
		{Server: "gnet", Pool: "ring", Conns: 1, Err: errors.New("relaunch after the kill failed: boom"), ErrorsAfter: 7},
	}
	var buf bytes.Buffer
	if err := res.Write(&buf); err != nil {
		t.Fatal(err)
	}
	recs, better := readBack(t, buf.Bytes())
	type want struct {
		values map[string]float64
		absent []string
	}
	wants := map[string]want{
		"Restart/server=gnet/pool=ring/model=open/conns=1-2": {
			map[string]float64{"failures": 7, "recovered": 0},
			[]string{"down-sec", "first-ok-sec", "settle-sec"}},
		"Restart/server=gnet/pool=ring/model=open/conns=64-2": {
			map[string]float64{"failures": 5, "down-sec": 30e-3, "first-ok-sec": 2e-3, "settle-sec": 3e-3, "recovered": 1}, nil},
		"Restart/server=gnet/pool=chan/model=open/conns=1-2": {
			map[string]float64{"failures": 0, "down-sec": 20e-3, "first-ok-sec": 1e-3, "recovered": 1},
			[]string{"settle-sec", "settle-ns"}}, // nothing failed, nothing to settle
	}
	var names []string
	for _, rec := range recs {
		name := rec.Name.String()
		w, ok := wants[name]
		if !ok {
			continue
		}
		names = append(names, name)
		if rec.GetConfig("server") != "gnet" || rec.GetConfig("model") != "open" || rec.GetConfig("rate") != "400" {
			t.Errorf("%s: config server %q model %q rate %q", name, rec.GetConfig("server"), rec.GetConfig("model"), rec.GetConfig("rate"))
		}
		for unit, v := range w.values {
			got, ok := rec.Value(unit)
			if !ok || got < v*0.999 || got > v*1.001 {
				t.Errorf("%s: %s = %v (present %v), want %v", name, unit, got, ok, v)
			}
		}
		for _, unit := range w.absent {
			if _, ok := rec.Value(unit); ok {
				t.Errorf("%s: %s present, want it left out", name, unit)
			}
		}
	}
	// After the server's points and knee, in pool order (ring ran first) then conns.
	wantOrder := []string{
		"Restart/server=gnet/pool=ring/model=open/conns=1-2",
		"Restart/server=gnet/pool=ring/model=open/conns=64-2",
		"Restart/server=gnet/pool=chan/model=open/conns=1-2",
	}
	if !slices.Equal(names, wantOrder) {
		t.Errorf("restart recs in order\n%q\nwant\n%q", names, wantOrder)
	}
	if last := recs[len(recs)-1].Name.String(); last != "Echo/server=ext/pool=ring/conns=1-2" {
		t.Errorf("last result %s, want the ext server's block after gnet's restarts", last)
	}
	for unit, b := range map[string]string{"failures": "lower", "down-ns": "lower", "first-ok-ns": "lower", "settle-ns": "lower", "recovered": "higher", "req/s": "higher"} {
		if better[unit] != b {
			t.Errorf("unit %s better=%q, want %q", unit, better[unit], b)
		}
	}
}

// TestWriteNoRestartUnits: a sweep without restarts writes no restart
// unit metadata.
func TestWriteNoRestartUnits(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleResults().Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, better := readBack(t, buf.Bytes()); better["recovered"] != "" {
		t.Errorf("restart unit metadata without restarts: %v", better)
	}
}

// TestAppendedFilesClearRate: result files appended one after another
// (make bench-faults) keep their configurations apart; the closed-loop
// file says its rate is none instead of inheriting the open loop's.
func TestAppendedFilesClearRate(t *testing.T) {
	var buf bytes.Buffer
	for _, rate := range []float64{400, 0} {
		res := sampleResults()
		res.Config = (&Sweep{Rate: rate}).config()
		if err := res.Write(&buf); err != nil {
			t.Fatal(err)
		}
	}
	recs, _ := readBack(t, buf.Bytes())
	half := len(recs) / 2
	for i, rec := range recs {
		model, rate := "open", "400"
		if i >= half {
			model, rate = "closed", results.None
		}
		if rec.GetConfig("model") != model || rec.GetConfig("rate") != rate {
			t.Fatalf("result %d %s: model %q rate %q, want %q %q", i, rec.Name, rec.GetConfig("model"), rec.GetConfig("rate"), model, rate)
		}
	}
}

// TestRestartRecord pairs restart results with the sweep's points: the
// restart of a point an interrupt dropped is left out.
func TestRestartRecord(t *testing.T) {
	r := &Restart{results: []RestartResult{
		{Server: "net", Pool: "ring", Conns: 1}, {Server: "net", Pool: "ring", Conns: 4}, {Server: "net", Pool: "chan", Conns: 1},
	}}
	res := &Results{Points: []Point{{Server: "net", Pool: "ring", Conns: 1}, {Server: "net", Pool: "ring", Conns: 4}}}
	r.Record(res)
	if len(res.Restarts) != 2 || res.Restarts[1].Conns != 4 {
		t.Errorf("Record kept %+v, want the first two", res.Restarts)
	}
	res.Points[1].Pool = "chan" // a pairing that does not match is not written
	r.Record(res)
	if len(res.Restarts) != 1 {
		t.Errorf("Record kept %+v, want only the matching first", res.Restarts)
	}
}

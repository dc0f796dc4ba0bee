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
	// Each restart result is its point's own (Point.Restart).
	attach := func(i int, rr RestartResult) {
		p := res.Points[i]
		rr.Server, rr.Pool, rr.Workers, rr.MaxConns = p.Server, p.Pool, p.Workers, p.MaxConns
		res.Points[i].Restart = &rr
	}
	attach(0, RestartResult{Down: 30 * ms, FirstOK: 2 * ms, Settled: 3 * ms, ErrorsAfter: 5, OKAfter: 90, LastOK: 200 * ms}) // gnet/ring/64
	attach(1, RestartResult{Down: 20 * ms, FirstOK: ms, OKAfter: 10, LastOK: 100 * ms})                                      // gnet/chan/1
	attach(3, RestartResult{Err: errors.New("relaunch after the kill failed: boom"), ErrorsAfter: 7})                        // gnet/ring/1
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
		"Restart/server=gnet/pool=ring/model=open/maxconns=1/workers=4-2": {
			map[string]float64{"failures": 7, "recovered": 0},
			[]string{"down-sec", "first-ok-sec", "settle-sec"}},
		"Restart/server=gnet/pool=ring/model=open/maxconns=64/workers=256-2": {
			map[string]float64{"failures": 5, "down-sec": 30e-3, "first-ok-sec": 2e-3, "settle-sec": 3e-3, "recovered": 1}, nil},
		"Restart/server=gnet/pool=chan/model=open/maxconns=1/workers=4-2": {
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
	// After the server's points, in pool order (ring ran first) then pool size.
	wantOrder := []string{
		"Restart/server=gnet/pool=ring/model=open/maxconns=1/workers=4-2",
		"Restart/server=gnet/pool=ring/model=open/maxconns=64/workers=256-2",
		"Restart/server=gnet/pool=chan/model=open/maxconns=1/workers=4-2",
	}
	if !slices.Equal(names, wantOrder) {
		t.Errorf("restart recs in order\n%q\nwant\n%q", names, wantOrder)
	}
	if last := recs[len(recs)-1].Name.String(); last != "Echo/server=ext/pool=ring/maxconns=1/workers=4-2" {
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

package results

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Hist is the latency histogram of one result, kept beside it so that
// results measured apart (the shards of one load, run from several hosts)
// merge without loss. It is written into the same file as an HdrHistogram
// interval-log line (the V2 log format, "Tag=" form):
//
//	Tag=Echo/server=gnet/pool=ring/conns=256#1,1764623400.000000,10.000000,12.345678,HISTFAAA...
//
// The tag is the result's name without its -G suffix, "#", and its
// repetition (the k-th result of that name in the file); then the
// measurement window's start (seconds since the epoch, to the millisecond
// as the log format keeps it) and length, the largest value in
// milliseconds, and the histogram in hdrhistogram's V2 compressed encoding.
// benchfmt's readers (benchstat, gate, report) skip such lines as they skip
// any line that is neither a result, a configuration nor a Unit line.
type Hist struct {
	Name Name
	Rep  int // 1 for the first result of Name in the file
	// Start and End bound the measurement window, by the wall clock of the
	// host that measured it.
	Start, End time.Time
	Hist       *hdrhistogram.Histogram
}

// Tag is h's tag in the log line: "NAME#REP".
func (h Hist) Tag() string { return fmt.Sprintf("%s#%d", h.Name, h.Rep) }

// LatencyPercentile is one percentile an Echo point reads off its latency
// histogram, and the unit it is written in.
type LatencyPercentile struct {
	Unit       Unit
	Percentile float64
}

// LatencyPercentiles are the percentiles of an Echo point, in the order
// written. The harness reads them off a point's histogram and merge off
// the shards' merged histogram, through Percentiles, so both agree exactly.
var LatencyPercentiles = []LatencyPercentile{{P50, 50}, {P90, 90}, {P99, 99}, {P999, 99.9}}

// Percentiles returns h's value at each of LatencyPercentiles, in order.
func Percentiles(h *hdrhistogram.Histogram) []Value {
	ps := make([]float64, len(LatencyPercentiles))
	for i, lp := range LatencyPercentiles {
		ps[i] = lp.Percentile
	}
	vs := h.ValueAtPercentilesSlice(ps)
	out := make([]Value, len(vs))
	for i, v := range vs {
		out[i] = Value{Unit: LatencyPercentiles[i].Unit, Value: float64(v)}
	}
	return out
}

// WriteHist writes h as one interval-log line. Write its result first:
// the line belongs to the result of its name and repetition, wherever it is.
func (w *Writer) WriteHist(h Hist) error {
	if h.Rep < 1 {
		return fmt.Errorf("histogram of %s: repetition %d, want >= 1", h.Name, h.Rep)
	}
	c := h.Hist.Clone()
	c.SetTag(h.Tag())
	c.SetStartTimeMs(h.Start.UnixMilli())
	c.SetEndTimeMs(h.End.UnixMilli())
	return hdrhistogram.NewHistogramLogWriter(w.bw).OutputIntervalHistogram(c)
}

// histPrefix opens every histogram line.
const histPrefix = "Tag="

// readHists returns the histogram lines of data, in order; name labels
// the input in errors. A line that opens like one but does not decode is
// an error naming its line: a shard's histogram is what its merge is made
// of, so a damaged one is never skipped.
func readHists(data []byte, name string) ([]Hist, error) {
	var hs []Hist
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for line := 1; sc.Scan(); line++ {
		text, ok := strings.CutPrefix(sc.Text(), histPrefix)
		if !ok {
			continue
		}
		h, err := parseHist(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: histogram: %w", name, line, err)
		}
		hs = append(hs, h)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return hs, nil
}

// parseHist parses a histogram line after its "Tag=".
func parseHist(text string) (Hist, error) {
	f := strings.SplitN(text, ",", 5)
	if len(f) != 5 {
		return Hist{}, fmt.Errorf("%d comma-separated fields, want 5 (tag, start, length, max, histogram)", len(f))
	}
	tag, repText, ok := strings.Cut(f[0], "#")
	rep, err := strconv.Atoi(repText)
	if !ok || err != nil || rep < 1 {
		return Hist{}, fmt.Errorf("tag %q: want NAME#REP with REP >= 1", f[0])
	}
	n, _, err := ParseName(tag)
	if err != nil {
		return Hist{}, fmt.Errorf("tag %q: %w", f[0], err)
	}
	secs := make([]float64, 2)
	for i, s := range f[1:3] {
		if secs[i], err = strconv.ParseFloat(s, 64); err != nil || secs[i] < 0 || math.IsInf(secs[i], 0) {
			return Hist{}, fmt.Errorf("window field %q is not a time in seconds", s)
		}
	}
	hist, err := hdrhistogram.Decode([]byte(strings.TrimSpace(f[4])))
	if err != nil {
		return Hist{}, fmt.Errorf("%s: %w", tag, err)
	}
	start := time.UnixMilli(int64(math.Round(secs[0] * 1000)))
	end := time.UnixMilli(int64(math.Round((secs[0] + secs[1]) * 1000)))
	return Hist{Name: n, Rep: rep, Start: start, End: end, Hist: hist}, nil
}

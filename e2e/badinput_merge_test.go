package e2e

import (
	"bytes"
	"maps"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	schema "github.com/poolbench/poolbench/results"
)

func init() { badInputs = append(badInputs, mergeCases()...) }

// mergeCases are bad merges: each names the existing merged.txt as -out,
// which must survive, as must every shard file.
func mergeCases() []badCase {
	return []badCase{
		mergeCase("unknown-flag", "s0.txt", "s1.txt", "-bogus").want("not defined: -bogus"),
		mergeCase("no-out", "s0.txt", "s1.txt", "-out", "").want("-out \"\": want the merged result file"),
		mergeCase("no-files").want("no shard files given"),
		mergeCase("missing-file", "s0.txt", "absent.txt").want("no such file"),
		mergeCase("same-file-twice", "s0.txt", "s0.txt").want("s0.txt given twice"),
		mergeCase("duplicate-index", "s0.txt", "s0-copy.txt").want("shard 0/2 given twice"),
		mergeCase("missing-shard", "s0.txt").want("shard(s) 1 of 2 missing"),
		mergeCase("different-counts", "s0.txt", "s1of3.txt").want("is of 2 shards"),
		mergeCase("windows-apart", "s0.txt", "s1-later.txt").want("windows do not overlap"),
		mergeCase("points-differ", "s0.txt", "s1-two-points.txt").want("list different points"),
		mergeCase("config-differs", "s0.txt", "s1-5s.txt").want("configuration duration is"),
		mergeCase("not-a-shard-file", "s0.txt", "old.txt").want("only Echo points merge"),
		mergeCase("corrupt-file", "s0.txt", "corrupt.txt").want("malformed line"),
		mergeCase("out-is-a-shard", "s0.txt", "s1.txt", "-out", "$DIR/s1.txt").want("s1.txt: it is one of the shard files"),
	}
}

// mergeCase is "poolbench merge FILES... -out $DIR/merged.txt ARGS" over the
// shard files below; later flags override the -out.
func mergeCase(name string, args ...string) badCase {
	files := maps.Clone(results)
	maps.Copy(files, shardFiles)
	files["merged.txt"] = "# the previous merge\n"
	var a []string
	for _, f := range args {
		if strings.HasSuffix(f, ".txt") && !strings.Contains(f, "$DIR") {
			f = "$DIR/" + f
		}
		a = append(a, f)
	}
	c := badCase{name: "merge/" + name, args: []string{"merge"}, files: files}
	var flags []string
	for i, f := range a {
		if strings.HasPrefix(f, "-") {
			flags = a[i:]
			break
		}
		c.args = append(c.args, f)
	}
	c.args = append(append(c.args, "-out", "$DIR/merged.txt"), flags...)
	return c
}

// shardFiles are shard files as poolbench sweep -shard writes them: each
// a point of one request, with its histogram line.
var shardFiles = func() map[string]string {
	at := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	on := [2]time.Time{at, at.Add(time.Second)}
	later := [2]time.Time{at.Add(5 * time.Second), at.Add(6 * time.Second)}
	return map[string]string{
		"s0.txt":            shardFile("0/2", "1s", on, 1),
		"s0-copy.txt":       shardFile("0/2", "1s", on, 1),
		"s1.txt":            shardFile("1/2", "1s", on, 1),
		"s1of3.txt":         shardFile("1/3", "1s", on, 1),
		"s1-later.txt":      shardFile("1/2", "1s", later, 1),
		"s1-two-points.txt": shardFile("1/2", "1s", on, 2),
		"s1-5s.txt":         shardFile("1/2", "5s", on, 1),
	}
}()

// shardFile is the text of a shard file of reps repetitions of one point.
func shardFile(shard, duration string, window [2]time.Time, reps int) string {
	name := schema.Name{Bench: schema.Echo, Keys: []schema.KV{{Key: schema.Server, Value: "echo"}, {Key: schema.PoolKey, Value: "ring"}, {Key: schema.MaxConns, Value: "2"}, {Key: schema.Workers, Value: "2"}}}
	h := hdrhistogram.New(1, int64(time.Minute), 3)
	if err := h.RecordValue(100_000); err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	w := schema.NewWriter(&buf)
	for rep := 1; rep <= reps; rep++ {
		err := w.Write(schema.Result{Name: name, Procs: 2, Iters: 1,
			Config: []schema.KV{{Key: schema.Duration, Value: duration}, {Key: schema.Shard, Value: shard}},
			Values: []schema.Value{{Unit: schema.ReqPerSec, Value: 1}, {Unit: schema.P99, Value: 100_000}, {Unit: schema.Errors, Value: 0}}})
		if err == nil {
			err = w.WriteHist(schema.Hist{Name: name, Rep: rep, Start: window[0], End: window[1], Hist: h})
		}
		if err != nil {
			panic(err)
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	return buf.String()
}

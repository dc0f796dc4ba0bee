package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/poolbench/poolbench/harness"
)

// checkReplace decides, before the run, whether the sweep may replace the
// file at out with the results preview stands for. It may when out does
// not exist or is empty, or when it holds results of this configuration
// and no point this sweep lacks: then the run only refreshes them. A file
// of another configuration, or holding points this sweep does not run, or
// holding no benchmark results at all (a report given as -out by mistake),
// is replaced only with -force. held says whether out held results, so
// that an interrupted run does not replace them with a part.
func checkReplace(out string, preview *harness.Results, force bool) (held bool, err error) {
	b, err := os.ReadFile(out)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, flagError("sweep", "out", out, "%v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return false, nil
	}
	var want bytes.Buffer
	if err := preview.Write(&want); err != nil {
		return false, err
	}
	planned := readSettings(&want)
	there := readSettings(bytes.NewReader(b))
	if force {
		return len(there) > 0, nil
	}
	if len(there) == 0 {
		return false, flagError("sweep", "out", out, "%s holds no benchmark results; not replacing it (-force replaces it)", out)
	}
	if why := configDiff(there, planned); why != "" {
		return true, flagError("sweep", "out", out, "%s holds results of another configuration (%s); -force replaces it, or choose another -out", out, why)
	}
	return true, nil
}

// machineKeys are configuration keys that describe the machine and build,
// not the experiment: a rerun after a Go upgrade refreshes its results.
var machineKeys = []string{"goos", "goarch", "cpu", "go", "pkg"}

// readSettings reads benchfmt results and returns, per result name, its
// configuration without machine keys ("k=v" lines, sorted).
func readSettings(r io.Reader) map[string]string {
	out := map[string]string{}
	rd := benchfmt.NewReader(r, "")
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		var kv []string
		for _, c := range res.Config {
			if !slices.Contains(machineKeys, c.Key) {
				kv = append(kv, c.Key+"="+string(c.Value))
			}
		}
		slices.Sort(kv)
		out[string(res.Name)] = strings.Join(kv, "\n")
	}
	return out
}

// configDiff says how the results there differ from those planned, or ""
// when every result there of a planned benchmark (Echo, say) is planned
// with the same configuration. Results of benchmarks the preview does not
// hold (Knee, Restart: derived from the measured points) are not compared,
// but a file with none of the planned benchmarks (pool.txt given as -out)
// differs.
func configDiff(there, planned map[string]string) string {
	benchmarks := map[string]bool{}
	for name := range planned {
		benchmarks[benchmark(name)] = true
	}
	var missing, others []string
	for _, name := range slices.Sorted(maps.Keys(there)) {
		if !benchmarks[benchmark(name)] {
			others = append(others, name)
			continue
		}
		cfg, ok := planned[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		if d := settingDiff(there[name], cfg); d != "" {
			return fmt.Sprintf("%s: %s", name, d)
		}
	}
	if len(others) == len(there) {
		return fmt.Sprintf("%s, none of this sweep's benchmarks", others[0])
	}
	if len(missing) > 0 {
		return fmt.Sprintf("%d of its results are not in this run, such as %s", len(missing), missing[0])
	}
	return ""
}

// settingDiff names the first setting that differs between two sorted
// "k=v" lists.
func settingDiff(there, here string) string {
	a, b := settingMap(there), settingMap(here)
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if a[k] != b[k] {
			return fmt.Sprintf("%s is %s there, %s in this run", k, quoteEmpty(a[k]), quoteEmpty(b[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok {
			return fmt.Sprintf("%s is unset there, %s in this run", k, quoteEmpty(b[k]))
		}
	}
	return ""
}

func settingMap(kv string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(kv, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

// benchmark is the top-level benchmark of a result name: "Echo" of
// "Echo/server=net/pool=ring/conns=1-2".
func benchmark(name string) string {
	b, _, _ := strings.Cut(name, "/")
	return b
}

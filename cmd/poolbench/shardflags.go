package main

import (
	"flag"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/merge"
)

// Environment variables a shard reads when -shard is absent: a Kubernetes
// Indexed Job sets the first in every pod; the manifest sets the second.
const (
	envShardIndex = "JOB_COMPLETION_INDEX"
	envShardCount = "POOLBENCH_SHARDS"
)

// Bounds of the shard flags.
const (
	maxShards     = 1000             // client hosts of one load
	maxStartAhead = 24 * time.Hour   // how far ahead -start-at may schedule
	maxGap        = 10 * time.Minute // pause between scheduled points
)

// shardFlags are the sweep's flags for one shard of a load run from
// several client hosts at once (see harness.Shard).
type shardFlags struct {
	shard   string
	shards  int
	startAt string
	gap     time.Duration
}

func (f *shardFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.shard, "shard", "", "run shard `I/N`: this host's share of the workers of every point, of a load split across N client hosts against one -addr (default: I from $"+envShardIndex+", N from -shards)")
	fs.IntVar(&f.shards, "shards", 0, "shard `count` N when -shard is absent, the index then coming from $"+envShardIndex+" (default $"+envShardCount+")")
	fs.StringVar(&f.startAt, "start-at", "", "wall-clock `time` (RFC 3339) every shard starts its first point at; point k starts at it + k x (warmup + duration + gap)")
	fs.DurationVar(&f.gap, "gap", harness.DefaultGap, "pause between one scheduled point's end and the next's start, under -shard")
}

// resolve returns the shard the flags and the environment (getenv) ask
// for, checked against the sweep's -addr and its smallest level.
func (f *shardFlags) resolve(getenv func(string) string, addr string, conns []int) (harness.Shard, error) {
	sh := harness.Shard{Gap: f.gap}
	if err := checkDuration("sweep", "gap", f.gap, 0, maxGap); err != nil {
		return sh, err
	}
	if err := checkInt("sweep", "shards", f.shards, 0, maxShards); err != nil {
		return sh, err
	}
	if f.startAt != "" {
		t, err := time.Parse(time.RFC3339Nano, f.startAt)
		if err != nil {
			return sh, flagError("sweep", "start-at", f.startAt, "want an RFC 3339 time, as 2026-12-01T22:00:00Z")
		}
		if ahead := time.Until(t); ahead > maxStartAhead {
			return sh, flagError("sweep", "start-at", f.startAt, "%v from now; want at most %v ahead", ahead.Round(time.Minute), maxStartAhead)
		}
		sh.StartAt = t
	}
	switch {
	case f.shard != "":
		i, n, err := merge.ParseShard(f.shard)
		if err != nil {
			return sh, flagError("sweep", "shard", f.shard, "%v", err)
		}
		if f.shards != 0 && f.shards != n {
			return sh, flagError("sweep", "shards", f.shards, "-shard %s is of %d shards", f.shard, n)
		}
		sh.Index, sh.Of = i, n
	default:
		n := f.shards
		if n == 0 && getenv(envShardCount) != "" {
			v, err := strconv.Atoi(getenv(envShardCount))
			if err != nil || v < 1 || v > maxShards {
				return sh, badInput("sweep: -shards from $%s=%q: want a count 1 to %d", envShardCount, getenv(envShardCount), maxShards)
			}
			n = v
		}
		if n == 0 {
			if f.startAt != "" {
				return sh, flagError("sweep", "start-at", f.startAt, "aligns shards: give -shard I/N (or -shards N with $%s)", envShardIndex)
			}
			return sh, nil
		}
		iv := getenv(envShardIndex)
		i, err := strconv.Atoi(iv)
		if iv == "" || err != nil || i < 0 || i >= n {
			return sh, flagError("sweep", "shards", n, "needs this shard's index: -shard I/%d, or $%s from 0 to %d (it is %q)", n, envShardIndex, n-1, iv)
		}
		sh.Index, sh.Of = i, n
	}
	if addr == "" {
		return sh, flagError("sweep", "shard", sh, "shards load one server they share: give its -addr")
	}
	if low := slices.Min(conns); low < sh.Of {
		return sh, flagError("sweep", "shard", sh, "-conns %d cannot be split across %d shards: every shard needs a worker", low, sh.Of)
	}
	return sh, nil
}

// getenv is os.Getenv, a variable so tests can give their own environment.
var getenv = os.Getenv

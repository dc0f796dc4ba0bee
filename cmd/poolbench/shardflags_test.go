package main

import (
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/harness"
)

// TestShardFromEnvironment checks where a shard's index and count come
// from: -shard, else $JOB_COMPLETION_INDEX with -shards or
// $POOLBENCH_SHARDS, as a Kubernetes Indexed Job sets them.
func TestShardFromEnvironment(t *testing.T) {
	at := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
	cases := []struct {
		name    string
		flags   shardFlags
		env     map[string]string
		want    harness.Shard
		wantErr string
	}{
		{"unsharded", shardFlags{}, nil, harness.Shard{}, ""},
		{"index-alone-is-not-a-shard", shardFlags{}, map[string]string{envShardIndex: "1"}, harness.Shard{}, ""},
		{"flag", shardFlags{shard: "1/3"}, map[string]string{envShardIndex: "0"}, harness.Shard{Index: 1, Of: 3}, ""},
		{"index-and-count-flag", shardFlags{shards: 4}, map[string]string{envShardIndex: "3"}, harness.Shard{Index: 3, Of: 4}, ""},
		{"index-and-count-env", shardFlags{}, map[string]string{envShardIndex: "2", envShardCount: "4"}, harness.Shard{Index: 2, Of: 4}, ""},
		{"count-flag-over-env", shardFlags{shards: 2}, map[string]string{envShardIndex: "1", envShardCount: "4"}, harness.Shard{Index: 1, Of: 2}, ""},
		{"start-at", shardFlags{shard: "0/2", startAt: at.Format(time.RFC3339)}, nil, harness.Shard{Index: 0, Of: 2, StartAt: at}, ""},
		{"count-without-index", shardFlags{}, map[string]string{envShardCount: "4"}, harness.Shard{}, "-shards 4: needs this shard's index"},
		{"index-out-of-range", shardFlags{shards: 2}, map[string]string{envShardIndex: "2"}, harness.Shard{}, "from 0 to 1 (it is \"2\")"},
		{"count-env-malformed", shardFlags{}, map[string]string{envShardIndex: "0", envShardCount: "two"}, harness.Shard{}, "$POOLBENCH_SHARDS=\"two\""},
		{"start-at-unsharded", shardFlags{startAt: at.Format(time.RFC3339)}, nil, harness.Shard{}, "aligns shards"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.flags.gap = harness.DefaultGap
			got, err := c.flags.resolve(func(k string) string { return c.env[k] }, "127.0.0.1:1", []int{4, 8})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("resolve: %v, want an error containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.want.Gap = harness.DefaultGap
			if got.Index != c.want.Index || got.Of != c.want.Of || !got.StartAt.Equal(c.want.StartAt) || got.Gap != c.want.Gap {
				t.Errorf("shard %+v, want %+v", got, c.want)
			}
		})
	}
}

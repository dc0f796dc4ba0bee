package shard

import (
	"context"
	"net"
	"runtime"
	"testing"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/impls/pool/pooltest"
)

// TestStealsBeforeDialing: conns returned on whatever P fill every shard's
// cells; Gets, from whatever P, take them all (stealing across shards)
// before a single dial, and a Put beyond MaxIdle closes its conn and counts
// it as MaxIdleClosed.
func TestStealsBeforeDialing(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	d := pooltest.NewDialer(6)
	pp, err := New(pool.Config{Dial: d.Dial, MaxConns: 6, MaxIdle: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer pp.Close()
	p := pp.(*Pool)
	if p.shards != 4 {
		t.Fatalf("%d shards at GOMAXPROCS 4 with MaxIdle 4, want 4", p.shards)
	}
	ctx := context.Background()
	var held []net.Conn
	for range 5 {
		c, err := p.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for _, c := range held {
		if err := p.Put(c); err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s.Idle != 4 || s.MaxIdleClosed != 1 || s.Open != 4 {
		t.Fatalf("after 5 Puts with MaxIdle 4: %+v; want 4 idle, 1 closed for MaxIdle", s)
	}
	for i := range 4 {
		if _, err := p.Get(ctx); err != nil {
			t.Fatal(err)
		}
		if n := d.Stats().Dials; n != 5 {
			t.Fatalf("Get %d dialed (%d dials) with idle conns in other shards", i+1, n)
		}
	}
	if s := p.Stats(); s.Reuses != 4 || s.Idle != 0 {
		t.Fatalf("after taking every idle conn: %+v; want 4 reuses, none idle", s)
	}
}

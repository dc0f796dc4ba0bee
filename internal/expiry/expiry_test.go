package expiry

import (
	"net"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
	"github.com/poolbench/poolbench/internal/lease"
)

type owner struct{}

func (owner) Discard(net.Conn) error { return nil }

func TestPolicy(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	t0 := time.Now()
	e := lease.NewEntry(owner{}, a, t0.Add(-50*time.Second))

	untimed := New(pool.Config{})
	if untimed.Timed() || !untimed.Now().IsZero() {
		t.Fatal("a policy without timeouts reads the clock")
	}
	if at, keep := untimed.Returned(e, time.Time{}); !keep || !at.IsZero() {
		t.Fatalf("untimed Returned = %v, %v; want keep, no expiry", at, keep)
	}

	p := New(pool.Config{IdleTimeout: time.Minute, MaxLifetime: 100 * time.Second})
	at, keep := p.Returned(e, t0)
	if !keep || !e.IdleSince.Equal(t0) || !at.Equal(t0.Add(50*time.Second)) {
		t.Fatalf("Returned = %v, %v, idle since %v; want kept, idle since now, expiring at end of life", at, keep, e.IdleSince)
	}
	if !p.Reusable(e) || p.Expired(e, at.Add(-1)) || !p.Expired(e, at) {
		t.Fatal("Reusable/Expired disagree with ExpiresAt")
	}
	if _, keep := p.Returned(e, t0.Add(50*time.Second)); keep {
		t.Fatal("Returned kept a conn past MaxLifetime")
	}
	if e.IdleSince != t0 {
		t.Fatal("Returned stamped a conn it refused")
	}
}

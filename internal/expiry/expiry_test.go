package expiry

import (
	"net"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

func lifeAt(created, idleSince time.Time) *Life {
	return &Life{Created: created, IdleSince: idleSince}
}

func TestExpiredCauses(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := lifeAt(t0, t0.Add(time.Minute))
	idle := New(pool.Config{IdleTimeout: time.Second})
	if c := idle.Expired(l, t0.Add(time.Minute+time.Second)); c != Fresh {
		t.Errorf("at exactly IdleTimeout: %v, want fresh", c)
	}
	if c := idle.Expired(l, t0.Add(time.Minute+time.Second+1)); c != IdleTimeout {
		t.Errorf("past IdleTimeout: %v, want idle timeout", c)
	}
	life := New(pool.Config{MaxLifetime: time.Hour})
	if c := life.Expired(l, t0.Add(time.Hour-1)); c != Fresh {
		t.Errorf("just short of MaxLifetime: %v, want fresh", c)
	}
	if c := life.Expired(l, t0.Add(time.Hour)); c != MaxLifetime {
		t.Errorf("at MaxLifetime: %v, want max lifetime", c)
	}
	both := New(pool.Config{IdleTimeout: time.Second, MaxLifetime: time.Hour})
	if c := both.Expired(l, t0.Add(2*time.Hour)); c != MaxLifetime {
		t.Errorf("past both: %v, want max lifetime (the conn's age decides first)", c)
	}
	if c := New(pool.Config{}).Expired(l, t0.Add(1000*time.Hour)); c != Fresh {
		t.Errorf("no limits: %v, want fresh", c)
	}
}

func TestExpiresAtIsFirstExpiredInstant(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := lifeAt(t0, t0.Add(time.Minute))
	for _, c := range []struct{ idle, life time.Duration }{
		{time.Second, 0}, {0, time.Hour}, {time.Second, time.Hour}, {time.Hour, 90 * time.Second},
	} {
		p := New(pool.Config{IdleTimeout: c.idle, MaxLifetime: c.life})
		at := p.ExpiresAt(l)
		if p.Expired(l, at) == Fresh || p.Expired(l, at.Add(-1)) != Fresh {
			t.Errorf("idle %v life %v: ExpiresAt %v is not the first expired instant", c.idle, c.life, at)
		}
	}
	if !New(pool.Config{}).ExpiresAt(l).IsZero() {
		t.Error("ExpiresAt with no limits is not zero")
	}
}

func TestReturned(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	t0 := time.Now()
	var l Life
	l.Init(a, t0.Add(-50*time.Second))

	untimed := New(pool.Config{})
	if untimed.Timed() || !untimed.Now().IsZero() {
		t.Fatal("a policy without timeouts reads the clock")
	}
	if at, c := untimed.Returned(&l, time.Time{}); c != Fresh || !at.IsZero() {
		t.Fatalf("untimed Returned = %v, %v; want fresh, no expiry", at, c)
	}

	p := New(pool.Config{IdleTimeout: time.Minute, MaxLifetime: 100 * time.Second})
	at, c := p.Returned(&l, t0)
	if c != Fresh || !l.IdleSince.Equal(t0) || !at.Equal(t0.Add(50*time.Second)) {
		t.Fatalf("Returned = %v, %v, idle since %v; want fresh, idle since now, expiring at end of life", at, c, l.IdleSince)
	}
	if p.OnGet(&l) != Fresh {
		t.Fatal("OnGet refused a conn Returned just kept")
	}
	if _, c := p.Returned(&l, t0.Add(50*time.Second)); c != MaxLifetime {
		t.Fatalf("Returned at end of life: %v, want max lifetime", c)
	}
	if l.IdleSince != t0 {
		t.Fatal("Returned stamped a conn it refused")
	}
}

// TestOnGetSeesDeadPeer needs a kernel socket: net.Pipe has no fd to peek.
func TestOnGetSeesDeadPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	var l Life
	l.Init(c, time.Now())
	p, unchecked := New(pool.Config{}), New(pool.Config{NoAliveCheck: true})
	if p.OnGet(&l) != Fresh {
		t.Fatal("fresh conn refused")
	}
	if _, err := srv.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	waitDead(t, p, &l, "unread bytes")
	if unchecked.OnGet(&l) != Fresh {
		t.Fatal("NoAliveCheck peeked")
	}
	if _, err := c.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if p.OnGet(&l) != Fresh {
		t.Fatal("conn with nothing pending refused")
	}
	srv.Close()
	waitDead(t, p, &l, "peer closed")
}

// waitDead waits, with a bounded deadline, for the kernel to deliver what
// the peer did; the loopback delivery is asynchronous.
func waitDead(t *testing.T, p Policy, l *Life, why string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.OnGet(l) != DeadPeer {
		if time.Now().After(deadline) {
			t.Fatalf("%s: conn still not refused as a dead peer after 5s", why)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestOnGetWithoutSocketNeverPeeks: a conn that is not a kernel socket
// (net.Pipe) is always alive, so an untimed policy needs no check at all.
func TestOnGetWithoutSocketNeverPeeks(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	b.Close()
	var l Life
	l.Init(a, time.Now())
	if c := New(pool.Config{}).OnGet(&l); c != Fresh {
		t.Fatalf("pipe conn: %v, want fresh", c)
	}
}

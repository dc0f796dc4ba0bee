package lease

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

type owner struct{ discarded []net.Conn }

func (o *owner) Discard(c net.Conn) error {
	if _, err := Release(o, c); err != nil {
		return err
	}
	o.discarded = append(o.discarded, c)
	return nil
}

func TestReleaseRejectsMisuse(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	o, other := &owner{}, &owner{}
	e := NewEntry(o, a, time.Now())

	first := e.Acquire()
	if _, err := Release(other, first); !errors.Is(err, pool.ErrForeignConn) {
		t.Fatalf("Release by another owner: got %v, want ErrForeignConn", err)
	}
	if _, err := Release(o, a); !errors.Is(err, pool.ErrForeignConn) {
		t.Fatalf("Release of the raw conn: got %v, want ErrForeignConn", err)
	}
	if got, err := Release(o, first); err != nil || got != e {
		t.Fatalf("first Release: got %v, %v", got, err)
	}
	if _, err := Release(o, first); !errors.Is(err, pool.ErrNotHeld) {
		t.Fatalf("double Release: got %v, want ErrNotHeld", err)
	}

	// A stale handle must not release the current holder's hand-out however
	// many hand-outs later it comes back, across several handle blocks.
	stale := first
	for i := 1; i <= 3*handlesPerBlock+1; i++ {
		cur := e.Acquire()
		if _, err := Release(o, stale); !errors.Is(err, pool.ErrNotHeld) {
			t.Fatalf("stale Release after %d hand-outs: got %v, want ErrNotHeld", i, err)
		}
		if stale.Close() == nil {
			t.Fatalf("stale Close after %d hand-outs succeeded", i)
		}
		if _, err := Release(o, cur); err != nil {
			t.Fatalf("holder's Release after stale attempt: %v", err)
		}
	}
}

func TestCloseDiscards(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	o := &owner{}
	c := NewEntry(o, a, time.Now()).Acquire()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if len(o.discarded) != 1 || o.discarded[0] != c {
		t.Fatalf("Close did not Discard: %v", o.discarded)
	}
}

func TestExpired(t *testing.T) {
	t0 := time.Unix(1000, 0)
	e := &Entry{Created: t0, IdleSince: t0.Add(time.Minute)}
	if e.Expired(t0.Add(time.Minute+time.Second), time.Second, 0) {
		t.Error("expired at exactly IdleTimeout")
	}
	if !e.Expired(t0.Add(time.Minute+time.Second+1), time.Second, 0) {
		t.Error("not expired past IdleTimeout")
	}
	if !e.Expired(t0.Add(time.Hour), 0, time.Hour) || e.Expired(t0.Add(time.Hour-1), 0, time.Hour) {
		t.Error("MaxLifetime boundary wrong")
	}
	if e.Expired(t0.Add(1000*time.Hour), 0, 0) {
		t.Error("expired with no limits")
	}
}

func TestExpiresAtMatchesExpired(t *testing.T) {
	t0 := time.Unix(1000, 0)
	e := &Entry{Created: t0, IdleSince: t0.Add(time.Minute)}
	for _, c := range []struct{ idle, life time.Duration }{
		{time.Second, 0}, {0, time.Hour}, {time.Second, time.Hour}, {time.Hour, 90 * time.Second},
	} {
		at := e.ExpiresAt(c.idle, c.life)
		if !e.Expired(at, c.idle, c.life) || e.Expired(at.Add(-1), c.idle, c.life) {
			t.Errorf("idle %v life %v: ExpiresAt %v is not the first expired instant", c.idle, c.life, at)
		}
	}
	if !e.ExpiresAt(0, 0).IsZero() {
		t.Error("ExpiresAt with no limits is not zero")
	}
}

// TestUsableSeesDeadPeer needs a kernel socket: net.Pipe has no fd to peek.
func TestUsableSeesDeadPeer(t *testing.T) {
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
	e := NewEntry(&owner{}, c, time.Now())
	if !e.Usable() {
		t.Fatal("fresh conn reported unusable")
	}
	if _, err := srv.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	waitUnusable(t, e, "unread bytes")
	buf := make([]byte, 1)
	if _, err := c.Read(buf); err != nil {
		t.Fatal(err)
	}
	if !e.Usable() {
		t.Fatal("conn with nothing pending reported unusable")
	}
	srv.Close()
	waitUnusable(t, e, "peer closed")
}

// waitUnusable waits, with a bounded deadline, for the kernel to deliver what
// the peer did; the loopback delivery is asynchronous.
func waitUnusable(t *testing.T, e *Entry, why string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.Usable() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: conn still reported usable after 5s", why)
		}
		time.Sleep(time.Millisecond)
	}
}

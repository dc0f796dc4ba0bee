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

// TestReleaseRejectsHandlesNotMade: a Conn that no Acquire made (the zero
// value, which has no block to find its Entry in) is foreign, not a crash.
func TestReleaseRejectsHandlesNotMade(t *testing.T) {
	o := &owner{}
	if _, err := Release(o, new(Conn)); !errors.Is(err, pool.ErrForeignConn) {
		t.Fatalf("Release of a zero Conn: got %v, want ErrForeignConn", err)
	}
	var nilConn *Conn
	if _, err := Release(o, nilConn); !errors.Is(err, pool.ErrForeignConn) {
		t.Fatalf("Release of a nil *Conn: got %v, want ErrForeignConn", err)
	}
}

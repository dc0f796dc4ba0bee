package pooltest

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"testing/synctest"
)

func TestParseGoroutine(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   goroutine
	}{
		{"goroutine 7 [running]:", goroutine{id: 7, state: "running"}},
		{"goroutine 18 [chan receive (durable), synctest bubble 3]:", goroutine{id: 18, state: "chan receive (durable)", bubble: 3}},
		{"goroutine 9 [sync.Mutex.Lock, 2 minutes, synctest bubble 12]:", goroutine{id: 9, state: "sync.Mutex.Lock", bubble: 12}},
	} {
		g, ok := parseGoroutine(tc.header + "\nmain.f()\n")
		g.text = ""
		if !ok || g != tc.want {
			t.Errorf("parse %q = %+v, %v; want %+v", tc.header, g, ok, tc.want)
		}
	}
	if _, ok := parseGoroutine("not a header"); ok {
		t.Error("parsed a line that is not a goroutine header")
	}
	if self().id == 0 || self().bubble != 0 {
		t.Errorf("self() = %+v outside any bubble", self())
	}
}

func TestStalled(t *testing.T) {
	g := func(id int64, state string) goroutine { return goroutine{id: id, state: state, bubble: 1} }
	durable := []goroutine{g(1, "chan receive (durable)"), g(2, "select (durable)")}
	if _, ok := stalled(durable, 1); ok {
		t.Error("all durable is for synctest to judge, not a lock stall")
	}
	locked := append(durable, g(3, "sync.Mutex.Lock"))
	if _, ok := stalled(locked, 1); !ok {
		t.Error("durable plus a lock waiter is a stall")
	}
	if _, ok := stalled(append(locked, g(4, "runnable")), 1); ok {
		t.Error("a runnable goroutine can still unlock: not a stall")
	}
	if _, ok := stalled(locked, 2); ok {
		t.Error("another bubble's goroutines were counted")
	}
}

func TestDialerCountsAndCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := NewDialer(2)
		a, err := d.Dial(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		wantErr := errors.New("scripted")
		d.FailNext(wantErr)
		if _, err := d.Dial(context.Background()); err != wantErr {
			t.Fatalf("scripted dial: %v", err)
		}
		b, _ := d.Dial(context.Background())
		if v := d.Violations(); len(v) != 0 {
			t.Fatalf("violations within the cap: %v", v)
		}
		d.Hold()
		ctx, cancel := context.WithCancel(context.Background())
		var late error
		done := make(chan struct{})
		go func() { defer close(done); _, late = d.Dial(ctx) }()
		synctest.Wait()
		if st := d.Stats(); st.Dialing != 1 || st.Live != 2 || st.MaxOpen != 3 {
			t.Errorf("held dial: %+v", st)
		}
		if v := d.Violations(); len(v) != 1 || !strings.Contains(v[0], "over MaxConns 2") {
			t.Errorf("a third open dial with limit 2: violations %v", v)
		}
		cancel()
		<-done
		if !errors.Is(late, context.Canceled) {
			t.Errorf("a held dial whose ctx ended: %v", late)
		}
		d.Release()
		a.Close()
		a.Close()
		st := d.Stats()
		if st.Live != 1 || st.Closed != 1 || st.DoubleCloses != 1 || st.Dials != 4 || st.Failed != 2 {
			t.Errorf("after closing one conn twice: %+v", st)
		}
		if d.Closes(1) != 2 || d.Closes(3) != 0 {
			t.Errorf("Closes: %d %d", d.Closes(1), d.Closes(3))
		}
		b.Close()
	})
}

// handle hides a conn the way a pool's handle might.
type handle struct{ net.Conn }

// unwrapper copies I/O onto a foreign conn but unwraps to the dialed one.
type unwrapper struct {
	net.Conn
	inner net.Conn
}

func (u unwrapper) Unwrap() net.Conn { return u.inner }

func TestDialerID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, other := NewDialer(0), NewDialer(0)
		d.Dial(context.Background())
		c, _ := d.Dial(context.Background())
		if got := d.ID(handle{c}); got != 2 {
			t.Errorf("ID through an embedding handle = %d, want 2", got)
		}
		if got := other.ID(c); got != 0 {
			t.Errorf("another dialer's ID = %d, want 0", got)
		}
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		if got := d.ID(a); got != 0 {
			t.Errorf("ID of a foreign conn = %d, want 0", got)
		}
		if got := d.ID(unwrapper{Conn: a, inner: c}); got != 2 {
			t.Errorf("ID through Unwrap = %d, want 2", got)
		}
		c.Close()
	})
}

package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// TestClassifyRealErrors classifies errors produced by real loopback
// sockets, not hand-built ones, so the mapping matches what callers see.
func TestClassifyRealErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().String()
	ln.Close()
	_, refused := net.DialTimeout("tcp", free, deadline)

	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// pair returns a dialed conn and its accepted peer.
	pair := func() (net.Conn, net.Conn) {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), deadline)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(deadline))
		return c, s
	}

	c1, s1 := pair()
	s1.(*net.TCPConn).SetLinger(0)
	s1.Close()
	_, reset := c1.Read(make([]byte, 1))
	c1.Close()

	c2, s2 := pair()
	c2.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, timeout := c2.Read(make([]byte, 1))
	c2.Close()
	s2.Close()

	c3, s3 := pair()
	s3.Close()
	_, eof := io.ReadFull(c3, make([]byte, 4))
	c3.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	var d net.Dialer
	_, ctxTimeout := d.DialContext(ctx, "tcp", free)
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, canceled := d.DialContext(ctx2, "tcp", free)

	for _, tc := range []struct {
		err  error
		want Class
	}{
		{nil, ClassOK},
		{refused, ClassRefused},
		{reset, ClassReset},
		{timeout, ClassTimeout},
		{eof, ClassEOF},
		{ctxTimeout, ClassTimeout},
		{canceled, ClassCanceled},
		{fmt.Errorf("get: %w", pool.ErrClosed), ClassClosed},
		{&net.OpError{Op: "accept", Err: syscall.EMFILE}, ClassNoFDs},
		{errors.New("echo mismatch"), ClassOther},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestTally(t *testing.T) {
	var tl Tally
	if tl.String() != "none" || tl.Errors() != 0 {
		t.Fatalf("zero Tally = %q, %d errors", tl.String(), tl.Errors())
	}
	tl.Add(nil)
	tl.Add(nil)
	tl.Add(syscall.ECONNREFUSED)
	if got := tl.Add(fmt.Errorf("read: %w", syscall.ECONNRESET)); got != ClassReset {
		t.Errorf("Add returned %v, want reset", got)
	}
	if tl.String() != "ok=2 refused=1 reset=1" || tl.Errors() != 2 || tl.Count(ClassOK) != 2 {
		t.Errorf("Tally = %q, %d errors, %d ok", tl.String(), tl.Errors(), tl.Count(ClassOK))
	}
}

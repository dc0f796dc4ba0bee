package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	// A refused dial, for real: listen, note the port, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, refused := net.Dial("tcp", addr)

	// A read deadline, for real.
	s := startTestServer(t, "echo", faultNone)
	c := dialTest(t, s)
	c.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, timeout := c.Read(make([]byte, 1))

	opErr := func(err error) error {
		return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)}
	}
	for _, tc := range []struct {
		err  error
		want Class
	}{
		{refused, Refused},
		{timeout, Timeout},
		{opErr(syscall.ECONNRESET), Reset},
		{opErr(syscall.EPIPE), Reset},
		{opErr(syscall.ECONNREFUSED), Refused},
		{opErr(syscall.EMFILE), EMFILE},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EADDRNOTAVAIL)}, AddrNotAvail},
		{fmt.Errorf("pool: dial: %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EADDRNOTAVAIL)}), AddrNotAvail},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", syscall.ENFILE)}, EMFILE},
		{fmt.Errorf("accept: %w", syscall.EMFILE), EMFILE},
		{io.EOF, Short},
		{io.ErrUnexpectedEOF, Short},
		{os.ErrDeadlineExceeded, Timeout},
		{fmt.Errorf("get: %w", context.DeadlineExceeded), Timeout},
		{opErr(syscall.ETIMEDOUT), Timeout},
		{errWrongEcho, Wrong},
		{errBadStatus, Wrong},
		{errors.New("pool: closed"), Other},
		{context.Canceled, Other},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if refused == nil || timeout == nil {
		t.Fatalf("setup: refused %v, timeout %v; want both errors", refused, timeout)
	}
}

func TestClassNames(t *testing.T) {
	seen := map[string]bool{}
	for c := range numClasses {
		name := c.String()
		if name == "" || name == "unknown" || seen[name] {
			t.Errorf("class %d has name %q", c, name)
		}
		seen[name] = true
	}
	if Class(-1).String() != "unknown" || numClasses.String() != "unknown" {
		t.Error("out-of-range classes must be named unknown")
	}
}

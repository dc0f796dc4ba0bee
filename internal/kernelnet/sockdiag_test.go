package kernelnet

import (
	"net"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// dialed holds n conns open to ln: the client ends and the server's
// accepted ends, all ESTABLISHED, closed at the test's end.
func dialed(t *testing.T, ln net.Listener, n int) {
	t.Helper()
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
	}
}

// dumped returns the sockets one dump passes, sorted.
func dumped(t *testing.T, dump func(each func(diagSocket)) error) []diagSocket {
	t.Helper()
	var got []diagSocket
	if err := dump(func(s diagSocket) { got = append(got, s) }); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b diagSocket) int {
		if a.sport != b.sport {
			return int(a.sport) - int(b.sport)
		}
		return int(a.dport) - int(b.dport)
	})
	return got
}

// TestPortFilter: the kernel returns exactly the sockets with the port at
// one end: the listener, and both ends of each conn to it; the conns to
// another listener are left out, by the one-walk request and by the
// per-family ones alike.
func TestPortFilter(t *testing.T) {
	const n = 3
	ln, port := listen(t)
	other, _ := listen(t)
	dialed(t, ln, n)
	dialed(t, other, n+2)
	filter := or(portEq(bcSportEq, uint16(port)), portEq(bcDportEq, uint16(port)))
	oneWalk := dumped(t, func(each func(diagSocket)) error {
		return dump(msgTCPDiagGetSock, tcpDiagRequest(allStates), filter, each)
	})
	perFamily := dumped(t, func(each func(diagSocket)) error {
		for _, f := range []uint8{unix.AF_INET, unix.AF_INET6} {
			if err := dump(unix.SOCK_DIAG_BY_FAMILY, sockDiagRequest(f, allStates), filter, each); err != nil {
				return err
			}
		}
		return nil
	})
	var listeners, servers, clients int
	for _, s := range oneWalk {
		switch {
		case s.sport == uint16(port) && s.dport == 0 && s.state == 10: // TCP_LISTEN
			listeners++
		case s.sport == uint16(port) && s.state == 1: // TCP_ESTABLISHED
			servers++
		case s.dport == uint16(port) && s.state == 1:
			clients++
		default:
			t.Errorf("the filter on port %d passed %+v", port, s)
		}
	}
	if listeners != 1 || servers != n || clients != n {
		t.Errorf("port %d with %d conns: %d listeners, %d server ends, %d client ends; want 1, %d, %d",
			port, n, listeners, servers, clients, n, n)
	}
	// The timers differ between the two reads; the sockets may not.
	for i := range oneWalk {
		oneWalk[i].expires = 0
	}
	for i := range perFamily {
		perFamily[i].expires = 0
	}
	if !slices.Equal(oneWalk, perFamily) {
		t.Errorf("one walk returned %v, the per-family dumps %v", oneWalk, perFamily)
	}
}

// TestStatesMask: the kernel keeps only the states in the mask: of a
// listener and its conns, LISTEN alone leaves the listener.
func TestStatesMask(t *testing.T) {
	ln, port := listen(t)
	dialed(t, ln, 2)
	got := dumped(t, func(each func(diagSocket)) error {
		return dumpTCP(1<<10, or(portEq(bcSportEq, uint16(port)), portEq(bcDportEq, uint16(port))), each)
	})
	if len(got) != 1 || got[0].state != 10 || got[0].sport != uint16(port) {
		t.Errorf("LISTEN sockets on port %d: %+v, want the one listener", port, got)
	}
}

// TestSportWithin: a range filter passes every socket whose local port is
// in it and no other: with the range one listener's port, that listener
// and its conns' server ends, not their client ends.
func TestSportWithin(t *testing.T) {
	ln, port := listen(t)
	dialed(t, ln, 2)
	got := dumped(t, func(each func(diagSocket)) error {
		return dumpTCP(allStates, sportWithin(uint16(port), uint16(port)), each)
	})
	if len(got) != 3 {
		t.Errorf("sockets with local port %d: %+v, want the listener and 2 server ends", port, got)
	}
	for _, s := range got {
		if s.sport != uint16(port) {
			t.Errorf("the range %d..%d passed %+v", port, port, s)
		}
	}
}

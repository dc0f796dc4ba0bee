package expiry

import (
	"net"
	"syscall"
	"time"
)

// Life is one conn's policy state: when it was dialed, when it last went
// idle, and the probe that tells whether its peer is still there. A design
// keeps one per dialed conn (lease.Entry embeds it); it belongs to whoever
// owns the conn at the moment, so it needs no lock.
type Life struct {
	// Created is when the conn was dialed. Set once, by Init.
	Created time.Time
	// IdleSince is when the conn was last returned; Policy.Returned sets
	// it. A design that keeps it itself (puddle) may leave it alone.
	IdleSince time.Time

	raw     syscall.RawConn // nil when the conn is not a kernel socket
	peek    func(fd uintptr) bool
	peekBad bool
	buf     [1]byte
}

// Init sets up l for conn c dialed at now. Call it where l will stay (in
// the struct that holds it): it binds the peek to l once, so that PeerAlive
// does not allocate.
func (l *Life) Init(c net.Conn, now time.Time) {
	*l = Life{Created: now, IdleSince: now}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			l.raw = raw
			l.peek = l.peekFD
		}
	}
}

// PeerAlive reports whether an idle conn may still be used as far as its
// peer goes: false when the peer has closed or reset it, or sent bytes
// nobody asked for (a request-response conn with unread bytes is out of
// step). A conn that is not a kernel socket is always alive. It costs one
// non-blocking recv.
func (l *Life) PeerAlive() bool {
	if l.raw == nil {
		return true
	}
	l.peekBad = false
	if err := l.raw.Read(l.peek); err != nil {
		return false
	}
	return !l.peekBad
}

// peekFD always returns true: returning false would make RawConn.Read block
// until the socket is readable, and an idle socket should never be.
func (l *Life) peekFD(fd uintptr) bool {
	_, _, err := syscall.Recvfrom(int(fd), l.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	// EAGAIN means nothing to read: alive and in step. Anything else is EOF
	// (n == 0), unasked-for bytes (n > 0) or a socket error.
	l.peekBad = err != syscall.EAGAIN && err != syscall.EINTR
	return true
}

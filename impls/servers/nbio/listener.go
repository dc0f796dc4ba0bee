package nbio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/poolbench/poolbench/impls/server"
)

// listener is what nbio accepts from (Config.Listen). It closes conns
// beyond MaxConns before nbio sees them, and it lets Shutdown park nbio's
// acceptor: nbio's Stop closes the conns it knows of, so a conn still on
// its way from Accept to a poller when Stop runs would be missed, and Stop
// would wait for it forever.
//
// nbio has one acceptor goroutine per listener, which calls Accept and
// then registers the conn (OnOpen) before calling Accept again; so when
// Accept is entered, the previous conn is registered and counted.
type listener struct {
	net.Listener
	counters *server.Counters
	maxConns int

	parkOnce  sync.Once
	parking   chan struct{} // closed by park: Accept stops accepting
	parked    chan struct{} // closed by Accept once it stopped
	closeOnce sync.Once
	closed    chan struct{} // closed by Close (nbio's Stop): Accept returns
}

func newListener(ln net.Listener, counters *server.Counters, maxConns int) *listener {
	return &listener{
		Listener: ln,
		counters: counters,
		maxConns: maxConns,
		parking:  make(chan struct{}),
		parked:   make(chan struct{}),
		closed:   make(chan struct{}),
	}
}

// Accept returns the next conn the server may keep. Once park was called it
// reports that no registration is in flight and waits for Close.
//
// nbio's acceptor logs a failed Accept and calls it again at once, and it
// drops a conn it cannot dup (out of fds) without a word; so Accept pauses
// and retries itself, and first checks that nbio will find an fd for its
// dup, logging why when it will not.
func (l *listener) Accept() (net.Conn, error) {
	var backoff server.AcceptBackoff
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			if err = fdToSpare(c); err != nil {
				_ = c.Close()
			}
		}
		select {
		case <-l.parking:
			if c != nil {
				_ = c.Close()
			}
			close(l.parked)
			<-l.closed
			return nil, net.ErrClosed
		default:
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, err
		}
		if err != nil {
			_ = backoff.Wait(err, l.parking) // cut short by park: the select above ends it
			continue
		}
		backoff.Reset()
		// Only this goroutine admits, and it admits in OnOpen before it
		// comes back here, so the check cannot race with another admission.
		if l.counters.Full(l.maxConns) {
			l.counters.Reject()
			_ = c.Close()
			continue
		}
		return c, nil
	}
}

// park stops accepting and waits until the acceptor holds no conn that nbio
// has not registered yet, or until ctx ends.
func (l *listener) park(ctx context.Context) error {
	l.parkOnce.Do(func() {
		close(l.parking)
		_ = l.Listener.Close() // wakes a pending Accept
	})
	select {
	case <-l.parked:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close releases the parked acceptor; nbio's Stop calls it.
func (l *listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// fdToSpare checks that the process can open one more fd, as nbio will to
// dup the conn, by taking one and giving it back.
func fdToSpare(c net.Conn) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var derr error
	if err := rc.Control(func(fd uintptr) {
		var nfd int
		if nfd, derr = unix.Dup(int(fd)); derr == nil {
			_ = unix.Close(nfd)
		}
	}); err != nil {
		return err
	}
	if derr != nil {
		return fmt.Errorf("no fd for nbio to take a conn: %w", derr)
	}
	return nil
}

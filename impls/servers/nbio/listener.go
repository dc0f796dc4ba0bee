package nbio

import (
	"context"
	"net"
	"sync"

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
func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
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
		if err != nil {
			return nil, err
		}
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

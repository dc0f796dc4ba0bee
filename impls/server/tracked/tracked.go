// Package tracked is the accept side shared by the goroutine-per-conn
// server designs (net, fasthttp): a listener that admits conns under
// Config.MaxConns, counts their bytes into server.Counters, and can close
// every open conn at Shutdown, which the stdlib listener cannot.
package tracked

import (
	"errors"
	"net"
	"sync"

	"github.com/poolbench/poolbench/impls/server"
)

// Listener wraps a TCP listener. Accept returns only admitted conns, as
// *Conn; conns beyond MaxConns are closed inside Accept and counted as
// rejected. A failing Accept (out of fds) is logged and retried after a
// pause inside Accept, so that no server stops serving on it.
type Listener struct {
	net.Listener
	counters *server.Counters
	maxConns int

	closeOnce sync.Once
	closed    chan struct{} // closed by Close; ends a pause in Accept

	mu sync.Mutex
	// conns is every admitted conn not yet closed. Guarded by mu.
	conns map[*Conn]struct{}
	// closing is set by CloseConns; a conn admitted after it is closed at
	// once, so none slips past Shutdown. Guarded by mu.
	closing bool
}

// Listen binds cfg.Addr (cfg must be normalized) and counts into counters.
// A busy address fails with net.Listen's error, for example
// "listen tcp 127.0.0.1:7060: bind: address already in use".
func Listen(cfg server.Config, counters *server.Counters) (*Listener, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	return &Listener{
		Listener: ln,
		counters: counters,
		maxConns: cfg.MaxConns,
		closed:   make(chan struct{}),
		conns:    make(map[*Conn]struct{}),
	}, nil
}

// errClosing is returned by Accept once CloseConns has run; it wraps
// net.ErrClosed so that servers stop their accept loops as they do for a
// closed listener.
var errClosing = errors.Join(errors.New("tracked: shutting down"), net.ErrClosed)

// Accept waits for the next conn that may stay open and returns it as a
// *Conn. Its only error is one wrapping net.ErrClosed, after Close.
func (l *Listener) Accept() (net.Conn, error) {
	var backoff server.AcceptBackoff
	for {
		nc, err := l.Listener.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil, err
		}
		if err != nil {
			if !backoff.Wait(err, l.closed) {
				return nil, errClosing
			}
			continue
		}
		backoff.Reset()
		if !l.counters.Admit(l.maxConns) {
			_ = nc.Close()
			continue
		}
		c := &Conn{Conn: nc, l: l}
		l.mu.Lock()
		if l.closing {
			l.mu.Unlock()
			_ = c.Close()
			return nil, errClosing
		}
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		return c, nil
	}
}

// Serve accepts until the listener is closed and serves each admitted conn
// on a goroutine of its own, counted in conns, so that a server's Shutdown
// can wait for every one of them. It is the accept loop of a design that
// serves a conn per goroutine; run it on as many goroutines as the design
// has accept loops, counted in conns as well.
func (l *Listener) Serve(conns *sync.WaitGroup, serve func(net.Conn)) {
	for {
		c, err := l.Accept() // pauses and retries by itself when out of fds
		if err != nil {
			return // closed by Shutdown
		}
		conns.Go(func() { serve(c) })
	}
}

// Close closes the listener; later calls do nothing.
func (l *Listener) Close() error {
	err := net.ErrClosed
	l.closeOnce.Do(func() {
		close(l.closed)
		err = l.Listener.Close()
	})
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// CloseConns closes every open conn, and every conn admitted from now on.
// Close the listener first so that no new conn arrives.
func (l *Listener) CloseConns() {
	l.mu.Lock()
	l.closing = true
	open := make([]*Conn, 0, len(l.conns))
	for c := range l.conns {
		open = append(open, c)
	}
	l.mu.Unlock()
	for _, c := range open {
		_ = c.Close()
	}
}

// Conn is an admitted conn: it counts bytes, and its first Close frees the
// MaxConns slot.
type Conn struct {
	net.Conn
	l         *Listener
	closeOnce sync.Once
	closeErr  error
}

// Read reads from the conn and counts the bytes.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.l.counters.In(n)
	return n, err
}

// Write writes to the conn and counts the bytes.
func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.l.counters.Out(n)
	return n, err
}

// Close closes the conn once; later calls return the first result.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		c.l.counters.Closed()
		c.closeErr = c.Conn.Close()
	})
	return c.closeErr
}

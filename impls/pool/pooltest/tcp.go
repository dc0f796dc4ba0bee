package pooltest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// echoServer is a loopback TCP echo server for the properties that need a
// kernel socket. It can kill the server side of one conn.
type echoServer struct {
	ln net.Listener
	wg sync.WaitGroup

	mu    sync.Mutex
	conns map[string]net.Conn // by the client's address; guarded by mu
}

// startEcho starts an echo server on 127.0.0.1:0, shut down when the
// property ends.
func (c *checkT) startEcho() *echoServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.Fatalf("echo server: %v", err)
	}
	s := &echoServer{ln: ln, conns: make(map[string]net.Conn)}
	s.wg.Go(s.accept)
	c.Cleanup(s.close)
	return s
}

func (s *echoServer) accept() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[conn.RemoteAddr().String()] = conn
		s.mu.Unlock()
		s.wg.Go(func() {
			io.Copy(conn, conn)
			conn.Close()
		})
	}
}

// kill closes the server side of the conn whose client address is client.
func (s *echoServer) kill(client string) bool {
	s.mu.Lock()
	conn := s.conns[client]
	s.mu.Unlock()
	return conn != nil && conn.Close() == nil
}

// close stops the server and waits for its goroutines: the accept loop and
// one copier per conn.
func (s *echoServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for _, conn := range s.conns {
		conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// tcpDialer returns a Dialer of TCP conns to s, checking limit at every dial.
func (s *echoServer) tcpDialer(limit int) *Dialer {
	d := NewDialer(limit)
	d.addr = s.ln.Addr().String()
	return d
}

// echo checks that conn (a handle) carries bytes both ways.
func (f *fixture) echo(conn net.Conn) {
	msg := []byte("pooltest ping")
	conn.SetDeadline(time.Now().Add(waitLimit))
	defer conn.SetDeadline(time.Time{})
	if _, err := conn.Write(msg); err != nil {
		f.Fatalf("writing to conn %d: %v", f.id(conn), err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, got); err != nil || !bytes.Equal(got, msg) {
		f.Fatalf("reading the echo on conn %d: %q, %v", f.id(conn), got, err)
	}
}

// peerClosed waits up to limit for the kernel to see the peer's FIN (or
// reset) on c, peeking without consuming anything.
func peerClosed(c *tcpConn, limit time.Duration) error {
	raw, err := c.TCPConn.SyscallConn()
	if err != nil {
		return err
	}
	c.TCPConn.SetReadDeadline(time.Now().Add(limit))
	defer c.TCPConn.SetReadDeadline(time.Time{})
	var buf [1]byte
	var n int
	var rerr error
	err = raw.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return rerr != syscall.EAGAIN // false: wait until readable
	})
	switch {
	case err != nil:
		return err
	case rerr == nil && n > 0:
		return fmt.Errorf("peer sent %d unexpected bytes", n)
	}
	return nil
}

// checkDeadPeer: two idle TCP conns, the server closes one; two Gets held
// at once must not be handed the dead one, which the pool must close.
func checkDeadPeer(c *checkT) {
	srv := c.startEcho()
	d := srv.tcpDialer(2)
	f := c.fixtureWith(pool.Config{MaxConns: 2, Dial: d.Dial}, d)
	a, aid := f.mustGet("first conn")
	b, bid := f.mustGet("second conn")
	f.echo(a)
	f.echo(b)
	f.mustPut(a)
	f.mustPut(b)
	if k := d.Closes(aid); k > 0 {
		f.Fatalf("the pool closed conn %d when it was Put back with idle room, so no idle conn is left to check (see Reuse)", aid)
	}
	dead := d.conn(aid).(*tcpConn)
	if !srv.kill(dead.LocalAddr().String()) {
		f.Fatalf("echo server has no conn from %v", dead.LocalAddr())
	}
	if err := peerClosed(dead, waitLimit); err != nil {
		f.Fatalf("waiting for the kernel to see the peer close conn %d: %v", aid, err)
	}
	x, xid := f.mustGet("with one idle conn dead")
	y, yid := f.mustGet("with one idle conn dead")
	if xid == aid || yid == aid {
		// Put both back first: a pool whose Close waits for held conns
		// would otherwise hang the property's cleanup.
		f.put(x)
		f.put(y)
		f.Fatalf("Get handed out conn %d, whose peer had closed it (got conns %d and %d; %d is alive)", aid, xid, yid, bid)
	}
	f.echo(x)
	f.echo(y)
	f.mustPut(x)
	f.mustPut(y)
	if k := d.Closes(aid); k != 1 {
		f.Errorf("the dead conn was closed %d times, want 1", k)
	}
	f.capHeld()
}

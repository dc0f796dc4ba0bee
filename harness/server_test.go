package harness

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"sync"
	"testing"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/tracked"
)

// fault is how a test server misbehaves.
type fault int

const (
	faultNone   fault = iota
	faultWrong        // echo with the last byte changed
	faultShort        // echo all but the last byte, then close
	faultReset        // reset the conn (SO_LINGER 0) on the first request
	faultStatus       // HTTP: answer 503
)

// testServer is a tiny in-process echo server on 127.0.0.1, raw or HTTP,
// that can misbehave on purpose. It doubles as the child server process.
type testServer struct {
	ln    *tracked.Listener // closes every open conn at Stop
	proto server.Protocol
	fault fault
	wg    sync.WaitGroup
}

func listenTestServer(proto server.Protocol, f fault) (*testServer, error) {
	return listenTestServerAt("127.0.0.1:0", proto, f)
}

func listenTestServerAt(addr string, proto server.Protocol, f fault) (*testServer, error) {
	ln, err := tracked.Listen(server.Config{Addr: addr}, &server.Counters{})
	if err != nil {
		return nil, err
	}
	s := &testServer{ln: ln, proto: proto, fault: f}
	s.wg.Go(s.accept)
	return s, nil
}

// startTestServer starts a server that is stopped when t ends.
func startTestServer(t testing.TB, proto server.Protocol, f fault) *testServer {
	t.Helper()
	s, err := listenTestServer(proto, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *testServer) Addr() string { return s.ln.Addr().String() }

// Stop closes the listener and every conn and waits for all goroutines.
func (s *testServer) Stop() {
	s.ln.Close()
	s.ln.CloseConns()
	s.wg.Wait()
}

func (s *testServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Go(func() {
			defer c.Close()
			if s.proto == server.HTTP {
				s.serveHTTP(c)
			} else {
				s.serveEcho(c)
			}
		})
	}
}

func (s *testServer) serveEcho(c net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if !s.reply(c, buf[:n]) {
			return
		}
	}
}

// reply writes b back with the server's fault; false ends the conn.
func (s *testServer) reply(c net.Conn, b []byte) bool {
	switch s.fault {
	case faultWrong:
		b[len(b)-1] ^= 0xff
	case faultShort:
		c.Write(b[:len(b)-1])
		return false
	case faultReset:
		c.(*tracked.Conn).Conn.(*net.TCPConn).SetLinger(0)
		return false
	}
	_, err := c.Write(b)
	return err == nil
}

func (s *testServer) serveHTTP(c net.Conn) {
	r := textproto.NewReader(bufio.NewReader(c))
	for {
		if _, err := r.ReadLine(); err != nil {
			return
		}
		h, err := r.ReadMIMEHeader()
		if err != nil {
			return
		}
		n, err := strconv.Atoi(h.Get("Content-Length"))
		if err != nil {
			return
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r.R, body); err != nil {
			return
		}
		status := "200 OK"
		if s.fault == faultStatus {
			status = "503 Service Unavailable"
		}
		fmt.Fprintf(c, "HTTP/1.1 %s\r\nServer: harness-test\r\nContent-Length: %d\r\n\r\n", status, n)
		if !s.reply(c, body) {
			return
		}
	}
}

// inProcess launches an already running test server: PID 0, Stop no-op.
type inProcess struct{ s *testServer }

func (p inProcess) Launch(context.Context) (Instance, error) { return external(p.s.Addr()), nil }

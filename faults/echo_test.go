package faults

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/tracked"
)

// echoServer is a tiny in-process TCP echo server on 127.0.0.1:0: the
// upstream the proxy tests put faults in front of. Its conns are tracked so
// that Close can close them all, and counted, so a test can see that a
// request got through. Close waits for all of its goroutines.
type echoServer struct {
	ln       *tracked.Listener
	counters server.Counters
	wg       sync.WaitGroup
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	s := &echoServer{}
	ln, err := tracked.Listen(server.Config{Addr: "127.0.0.1:0"}, &s.counters)
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	s.wg.Go(func() { s.ln.Serve(&s.wg, echo) })
	t.Cleanup(s.Close)
	return s
}

func (s *echoServer) Addr() string { return s.ln.Addr().String() }

// bytesIn is the number of bytes the server has read from clients.
func (s *echoServer) bytesIn() uint64 { return s.counters.Snapshot().BytesIn }

// echo sends back what c sends until c ends.
func echo(c net.Conn) {
	io.Copy(c, c)
	c.Close()
}

func (s *echoServer) Close() {
	s.ln.Close()
	s.ln.CloseConns()
	s.wg.Wait()
}

// roundTrip writes msg and reads exactly len(msg) bytes back.
func roundTrip(c net.Conn, msg []byte) ([]byte, error) {
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	got := make([]byte, len(msg))
	n, err := io.ReadFull(c, got)
	if err != nil {
		return got[:n], err
	}
	return got, nil
}

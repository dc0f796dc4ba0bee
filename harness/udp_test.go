package harness

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/server"
)

// lossyUDP is an in-process UDP echo server that drops every dropEvery-th
// datagram (0: none) and counts what it dropped.
type lossyUDP struct {
	conn      *net.UDPConn
	dropEvery int
	mu        sync.Mutex
	seen      int // guarded by mu
	dropped   int // guarded by mu
	wg        sync.WaitGroup
}

func startLossyUDP(t *testing.T, dropEvery int) *lossyUDP {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &lossyUDP{conn: c, dropEvery: dropEvery}
	s.wg.Go(s.serve)
	t.Cleanup(func() { c.Close(); s.wg.Wait() })
	return s
}

func (s *lossyUDP) serve() {
	buf := make([]byte, server.MaxDatagram)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		s.mu.Lock()
		s.seen++
		drop := s.dropEvery > 0 && s.seen%s.dropEvery == 0
		if drop {
			s.dropped++
		}
		s.mu.Unlock()
		if !drop {
			s.conn.WriteToUDPAddrPort(buf[:n], from)
		}
	}
}

func (s *lossyUDP) drops() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// TestSweepUDP: the harness speaks UDP through the pool contract (a pooled
// conn is a connected UDP socket); a datagram whose echo does not come is
// counted as lost, once per dropped datagram, and not retried: the server
// sees no more datagrams than the requests made.
func TestSweepUDP(t *testing.T) {
	for _, dropEvery := range []int{0, 7} {
		srv := startLossyUDP(t, dropEvery)
		s := &Sweep{
			Servers:  []Server{{Name: "udp", Protocol: server.UDP, Launch: External(srv.conn.LocalAddr().String())}},
			Pools:    []Pool{testDesign},
			Settings: oneLevel(2, 0, 700*time.Millisecond),
		}
		// An echo later than OpTimeout is lost too; 500ms is far more
		// than loopback takes even under -race on a loaded machine, so
		// losses are drops.
		s.OpTimeout, s.Size = 500*time.Millisecond, 1000
		res, err := s.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		p := res.Points[0]
		t.Logf("drop every %d: %d ok, errors %v, %d dropped", dropEvery, p.Requests, p.Errors, srv.drops())
		if p.Requests == 0 {
			t.Errorf("drop every %d: no request succeeded", dropEvery)
		}
		if lost := p.Errors[Lost]; lost != p.Errors.Total() || int(lost) > srv.drops() || (dropEvery > 0) != (lost > 0) {
			t.Errorf("drop every %d: errors %v with %d datagrams dropped; want only lost, at most one per drop, and some only when dropping",
				dropEvery, p.Errors, srv.drops())
		}
	}
}

// TestUDPSizeLimit: a message that cannot fit in one datagram is refused
// before anything runs.
func TestUDPSizeLimit(t *testing.T) {
	s := &Sweep{
		Servers:  []Server{{Name: "udp", Protocol: server.UDP, Launch: External("127.0.0.1:9")}},
		Pools:    []Pool{testDesign},
		Settings: oneLevel(1, 0, 100*time.Millisecond),
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("a UDP sweep of default size: %v", err)
	}
	s.Size = server.MaxDatagram + 1
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "datagram holds at most") {
		t.Errorf("a %d-byte message to a UDP server: Validate = %v, want the datagram limit", s.Size, err)
	}
}

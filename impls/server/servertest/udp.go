package servertest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/poolbench/poolbench/impls/server"
)

// udpProperties are the properties of a UDP echo server (server.UDP). They
// replace the conn-based ones: a UDP server has no conns to accept, cap,
// reset or half-close.
//
//   - UDPDefaultAddr: Addr "" binds 127.0.0.1 on a real port, and echoes.
//   - UDPInvalidConfig: Loops <= 0, negative MaxConns or ReadBufferSize are
//     errors wrapping ErrInvalidConfig.
//   - UDPSizes: with ReadBufferSize server.MaxDatagram, datagrams from 1 B
//     to the largest that fits over IPv4 come back whole and exact, each as
//     one datagram.
//   - UDPManyPeers: 64 client sockets at once, 16 exchanges each, served
//     by 4 readers; every peer gets its own datagrams back and no other's.
//   - UDPOversized: a datagram longer than ReadBufferSize is dropped and
//     counted in Stats.Rejected, never echoed truncated; one a client
//     cannot send (above MaxDatagram) fails at the client; the server goes
//     on echoing.
//   - UDPStats: n datagrams are counted exactly (Accepted, bytes in and out).
//   - UDPShutdown: Shutdown returns nil within its ctx, leaves no goroutine,
//     releases the socket (its port can be bound again), and a second
//     Shutdown is harmless.
var udpProperties = []property{
	{"UDPDefaultAddr", propUDPDefaultAddr},
	{"UDPInvalidConfig", propUDPInvalidConfig},
	{"UDPSizes", propUDPSizes},
	{"UDPManyPeers", propUDPManyPeers},
	{"UDPOversized", propUDPOversized},
	{"UDPStats", propUDPStats},
	{"UDPShutdown", propUDPShutdown},
}

// udpReply bounds the wait for one echo on loopback: only a lost datagram
// or a server that does not answer reaches it.
const udpReply = 5 * time.Second

// dialUDP opens a connected client socket to the server, closed when the
// property ends.
func (f *fixture) dialUDP() *net.UDPConn {
	f.t.Helper()
	raddr, ok := f.srv.Addr().(*net.UDPAddr)
	if !ok {
		f.t.Fatalf("Addr() = %v (%T), want a *net.UDPAddr", f.srv.Addr(), f.srv.Addr())
	}
	c, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		f.t.Fatalf("dial udp %v: %v", raddr, err)
	}
	f.t.Cleanup(func() { _ = c.Close() })
	return c
}

// udpExchange sends p as one datagram and checks that the next datagram c
// receives is p exactly.
func udpExchange(c *net.UDPConn, p []byte) error {
	if _, err := c.Write(p); err != nil {
		return fmt.Errorf("send %d bytes: %w", len(p), err)
	}
	got := make([]byte, len(p)+1) // one more, so a longer reply shows
	_ = c.SetReadDeadline(time.Now().Add(udpReply))
	n, err := c.Read(got)
	if err != nil {
		return fmt.Errorf("echo of a %d-byte datagram: %w", len(p), err)
	}
	return sameBytes("datagram echo", got[:n], p)
}

func propUDPDefaultAddr(f *fixture) {
	srv := f.serve(server.Config{Loops: 1})
	a, ok := srv.Addr().(*net.UDPAddr)
	if !ok || !a.IP.Equal(net.IPv4(127, 0, 0, 1)) || a.Port == 0 {
		f.t.Fatalf("Addr() = %v, want 127.0.0.1 and a real port", srv.Addr())
	}
	if err := udpExchange(f.dialUDP(), []byte("ping")); err != nil {
		f.t.Fatal(err)
	}
}

func propUDPInvalidConfig(f *fixture) {
	for _, cfg := range []server.Config{
		{Loops: 0},
		{Loops: -1},
		{Loops: 1, ReadBufferSize: -1},
		{Loops: 1, MaxConns: -1},
	} {
		srv, err := f.start(cfg)
		if err == nil {
			f.srv = srv
			f.t.Fatalf("Start(%+v) succeeded, want an error", cfg)
		}
		if !errors.Is(err, server.ErrInvalidConfig) {
			f.t.Errorf("Start(%+v) = %v, want an error wrapping ErrInvalidConfig", cfg, err)
		}
	}
}

// udpSizes are the datagram sizes UDPSizes checks: the edges of every power
// of two up to the largest datagram, and the largest itself.
func udpSizes() []int {
	sizes := []int{1, 2, 3}
	for n := 8; n < server.MaxDatagram; n *= 2 {
		sizes = append(sizes, n-1, n, n+1)
	}
	return append(sizes, server.MaxDatagram-1, server.MaxDatagram)
}

func propUDPSizes(f *fixture) {
	f.serve(server.Config{Loops: 1, ReadBufferSize: server.MaxDatagram})
	c := f.dialUDP()
	// The largest datagrams need socket buffers above the smallest defaults.
	_ = c.SetReadBuffer(4 * server.MaxDatagram)
	_ = c.SetWriteBuffer(4 * server.MaxDatagram)
	rng := rand.New(rand.NewPCG(20, 0))
	for _, n := range udpSizes() {
		if err := udpExchange(c, payload(rng, n)); err != nil {
			f.t.Fatalf("size %d: %v", n, err)
		}
	}
}

// Many peers: sockets, exchanges per socket, readers on the server.
const (
	udpPeers         = 64
	udpPeerExchanges = 16
	udpPeerReaders   = 4
)

func propUDPManyPeers(f *fixture) {
	f.serve(server.Config{Loops: udpPeerReaders})
	peers := make([]*net.UDPConn, udpPeers)
	for i := range peers {
		peers[i] = f.dialUDP()
	}
	var wg sync.WaitGroup
	errs := make(chan error, udpPeers)
	for i, c := range peers {
		wg.Go(func() {
			for k := range udpPeerExchanges {
				// Tagged with the peer and the exchange, so a datagram
				// delivered to the wrong peer cannot pass for its own.
				p := fmt.Appendf(nil, "peer %d exchange %d ", i, k)
				p = append(p, payload(rand.New(rand.NewPCG(21, uint64(i*udpPeerExchanges+k))), 64+k)...)
				if err := udpExchange(c, p); err != nil {
					errs <- fmt.Errorf("peer %d exchange %d: %w", i, k, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.t.Error(err)
	}
}

func propUDPOversized(f *fixture) {
	const limit = 512
	srv := f.serve(server.Config{Loops: 1, ReadBufferSize: limit})
	c := f.dialUDP()
	rng := rand.New(rand.NewPCG(22, 0))
	if _, err := c.Write(payload(rng, limit+1)); err != nil {
		f.t.Fatalf("send %d bytes: %v", limit+1, err)
	}
	f.eventually("the oversized datagram counted as rejected", func() bool { return srv.Stats().Rejected == 1 })
	// Had the oversized one been echoed, truncated or not, it would be the
	// first datagram read here.
	if err := udpExchange(c, payload(rng, limit)); err != nil {
		f.t.Fatalf("after an oversized datagram, a %d-byte one: %v", limit, err)
	}
	if _, err := c.Write(make([]byte, server.MaxDatagram+1)); err == nil {
		f.t.Errorf("a %d-byte datagram was sent; over IPv4 it cannot be", server.MaxDatagram+1)
	}
	if err := udpExchange(c, []byte("still serving")); err != nil {
		f.t.Fatal(err)
	}
	if st := srv.Stats(); st.Accepted != 2 || st.Rejected != 1 {
		f.t.Errorf("stats %+v, want 2 datagrams echoed and 1 rejected", st)
	}
}

func propUDPStats(f *fixture) {
	srv := f.serve(server.Config{Loops: 2})
	c := f.dialUDP()
	rng := rand.New(rand.NewPCG(23, 0))
	const n = 20
	bytes := 0
	for k := range n {
		p := payload(rng, 1+k*37)
		bytes += len(p)
		if err := udpExchange(c, p); err != nil {
			f.t.Fatal(err)
		}
	}
	// The last echo can reach the client before its reader counts it.
	f.eventually("every datagram counted", func() bool { return srv.Stats().BytesOut == uint64(bytes) })
	st := srv.Stats()
	if st.Accepted != n || st.BytesIn != uint64(bytes) || st.BytesOut != uint64(bytes) || st.Active != 0 || st.Rejected != 0 {
		f.t.Errorf("after %d datagrams of %d bytes: %+v, want Accepted %d, BytesIn = BytesOut = %d, Active 0, Rejected 0",
			n, bytes, st, n, bytes)
	}
}

func propUDPShutdown(f *fixture) {
	srv := f.serve(server.Config{Loops: 4})
	if err := udpExchange(f.dialUDP(), []byte("before")); err != nil {
		f.t.Fatal(err)
	}
	addr := srv.Addr().(*net.UDPAddr)
	f.shutdown() // fails the property on an error or a timeout
	if err := srv.Shutdown(f.ctx); err != nil {
		f.t.Errorf("second Shutdown: %v", err)
	}
	again, err := net.ListenUDP("udp", addr)
	if err != nil {
		f.t.Fatalf("the port is still held after Shutdown: %v", err)
	}
	_ = again.Close()
}

package servertest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"

	"github.com/poolbench/poolbench/impls/server"
)

// commonProperties are the properties both protocols share.
func commonProperties() []property {
	return []property{
		{"DefaultAddr", propDefaultAddr},
		{"InvalidConfig", propInvalidConfig},
		{"Concurrent", propConcurrent},
		{"Stats", propStats},
		{"ClientReset", propClientReset},
		{"NeverReads", propNeverReads},
		{"Shutdown", propShutdown},
		{"ShutdownEndedCtx", propShutdownEndedCtx},
		{"BusyPort", propBusyPort},
		{"MaxConns", propMaxConns},
		{"CloseAfter", propCloseAfter},
	}
}

func propDefaultAddr(f *fixture) {
	srv := f.serve(server.Config{Loops: 1})
	a, ok := srv.Addr().(*net.TCPAddr)
	if !ok || !a.IP.Equal(net.IPv4(127, 0, 0, 1)) || a.Port == 0 {
		f.t.Fatalf("Addr() = %v, want 127.0.0.1 and a real port", srv.Addr())
	}
	f.exchangeOnce()
}

func propInvalidConfig(f *fixture) {
	for _, cfg := range []server.Config{
		{Loops: 0},
		{Loops: -1},
		{Loops: 1, MaxConns: -1},
		{Loops: 1, ReadBufferSize: -1},
	} {
		srv, err := f.start(cfg)
		if err == nil {
			f.srv = srv // shut down by the fixture
			f.t.Fatalf("Start(%+v) succeeded, want an error", cfg)
		}
		if !errors.Is(err, server.ErrInvalidConfig) {
			f.t.Errorf("Start(%+v) = %v, want an error wrapping ErrInvalidConfig", cfg, err)
		}
	}
}

// concurrentClients and exchangesPerClient size the Concurrent property.
const (
	concurrentClients  = 256
	exchangesPerClient = 16
)

func propConcurrent(f *fixture) {
	f.serve(server.Config{Loops: 4})
	errs := make(chan error, concurrentClients)
	var wg sync.WaitGroup
	for id := range concurrentClients {
		wg.Go(func() {
			errs <- f.client(id)
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	wait(f, "256 clients", done)
	close(errs)
	for err := range errs {
		if err != nil {
			f.t.Error(err)
		}
	}
	f.waitIdle()
	if st := f.srv.Stats(); st.Accepted != concurrentClients || st.Rejected != 0 {
		f.t.Errorf("Stats %+v: want Accepted %d, Rejected 0", st, concurrentClients)
	}
}

// client is one of the Concurrent property's clients: its own conn, and
// exchanges of random sizes whose bytes depend on its id.
func (f *fixture) client(id int) error {
	c, err := f.dialErr(nil)
	if err != nil {
		return fmt.Errorf("client %d: dial: %w", id, err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(1, uint64(id)))
	r := bufio.NewReader(c)
	for i := range exchangesPerClient {
		if err := f.exchange(c, r, payload(rng, 1+rng.IntN(2048))); err != nil {
			return fmt.Errorf("client %d, exchange %d: %w", id, i, err)
		}
	}
	return nil
}

func propStats(f *fixture) {
	f.serve(server.Config{Loops: 2})
	c := f.dial()
	r := bufio.NewReader(c)
	total := 0
	for _, n := range []int{1, 100, 1000, 3000} {
		if err := f.exchange(c, r, payload(rand.New(rand.NewPCG(2, uint64(n))), n)); err != nil {
			f.t.Fatalf("exchange of %d bytes: %v", n, err)
		}
		total += n
	}
	if st := f.srv.Stats(); st.Active != 1 || st.Accepted != 1 {
		f.t.Errorf("with one client open: Stats %+v, want Active 1, Accepted 1", st)
	}
	_ = c.Close()
	f.waitIdle()
	st := f.srv.Stats()
	if st.Accepted != 1 || st.Rejected != 0 {
		f.t.Errorf("Stats %+v: want Accepted 1, Rejected 0", st)
	}
	switch f.wire.(type) {
	case echoWire:
		if st.BytesIn != uint64(total) || st.BytesOut != uint64(total) {
			f.t.Errorf("Stats %+v: want BytesIn and BytesOut %d", st, total)
		}
	default: // HTTP counts heads as well as bodies
		if st.BytesIn < uint64(total) || st.BytesOut < uint64(total) {
			f.t.Errorf("Stats %+v: want BytesIn and BytesOut >= %d", st, total)
		}
	}
}

// propBusyPort checks the error for an address already bound.
func propBusyPort(f *fixture) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	srv, err := f.start(server.Config{Addr: addr, Loops: 2})
	if err == nil {
		f.srv = srv
		f.t.Fatalf("Start on busy %s succeeded", addr)
	}
	if want := "listen tcp " + addr + ": bind: address already in use"; err.Error() != want {
		f.t.Errorf("Start on busy port: error %q, want %q", err, want)
	}
}

// maxConnsLimit is the MaxConns property's limit.
const maxConnsLimit = 4

func propMaxConns(f *fixture) {
	f.serve(server.Config{Loops: 2, MaxConns: maxConnsLimit})
	type client struct {
		c *net.TCPConn
		r *bufio.Reader
	}
	admitted := make([]client, maxConnsLimit)
	for i := range admitted {
		c := f.dial()
		admitted[i] = client{c, bufio.NewReader(c)}
		if err := f.exchange(c, admitted[i].r, []byte("admitted")); err != nil {
			f.t.Fatalf("admitted conn %d: %v", i, err)
		}
	}
	for i := range maxConnsLimit {
		c := f.dial()
		// The kernel completed the handshake; the server must close it.
		if _, err := c.Read(make([]byte, 1)); !isClosed(err) {
			f.t.Errorf("conn %d beyond MaxConns: read = %v, want EOF or reset", maxConnsLimit+i, err)
		}
	}
	f.eventually("Rejected == 4", func() bool { return f.srv.Stats().Rejected == maxConnsLimit })
	if st := f.srv.Stats(); st.Active != maxConnsLimit || st.Accepted != maxConnsLimit {
		f.t.Errorf("Stats %+v: want Active %d, Accepted %d", st, maxConnsLimit, maxConnsLimit)
	}
	for i, cl := range admitted {
		if err := f.exchange(cl.c, cl.r, []byte("still served")); err != nil {
			f.t.Errorf("admitted conn %d after rejections: %v", i, err)
		}
	}
	_ = admitted[0].c.Close()
	f.eventually("Active == 3", func() bool { return f.srv.Stats().Active == maxConnsLimit-1 })
	f.exchangeOnce()
	if st := f.srv.Stats(); st.Accepted != maxConnsLimit+1 {
		f.t.Errorf("Stats %+v: want Accepted %d once a slot was freed", st, maxConnsLimit+1)
	}
}

// closeAfterBytes is the CloseAfter the property asks for: two echoes of
// closeAfterBytes/2 each.
const closeAfterBytes = 128

// propCloseAfter: a design either refuses Config.CloseAfter with an error
// wrapping server.ErrUnsupported, or honours it: it echoes exactly
// CloseAfter bytes on a conn, then closes it first, so that the client
// reads EOF (not a reset) without having closed anything. Only raw echo
// has a byte count to close after; other protocols must refuse it.
func propCloseAfter(f *fixture) {
	cfg := server.Config{Loops: 1, CloseAfter: closeAfterBytes}
	srv, err := f.start(cfg)
	if err != nil {
		if !errors.Is(err, server.ErrUnsupported) {
			f.t.Fatalf("Start(%+v) = %v, want success or an error wrapping ErrUnsupported", cfg, err)
		}
		return
	}
	f.srv = srv
	if _, echo := f.wire.(echoWire); !echo {
		f.t.Fatalf("Start(%+v) succeeded for a protocol other than raw echo, which has no byte count to close after; want ErrUnsupported", cfg)
	}
	c := f.dial()
	rng := rand.New(rand.NewPCG(9, 0))
	for range 2 {
		f.echoPartial(c, rng, payload(rng, closeAfterBytes/2))
	}
	if err := c.SetReadDeadline(f.deadline()); err != nil {
		f.t.Fatal(err)
	}
	var b [1]byte
	n, err := c.Read(b[:])
	if n != 0 || !errors.Is(err, io.EOF) {
		f.t.Fatalf("after %d bytes echoed under CloseAfter %d: read %d bytes, %v; want EOF (the server closing first)", closeAfterBytes, closeAfterBytes, n, err)
	}
}

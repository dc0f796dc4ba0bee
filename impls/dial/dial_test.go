package dial

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// TestEveryGetDialsAndPutCloses: over real TCP, each Get reaches the server
// as a new accept, and a Put is seen by the server as EOF on that conn.
func TestEveryGetDialsAndPutCloses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	eofs := make(chan error, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, err := io.Copy(io.Discard, c) // returns nil at EOF
				eofs <- err
			}()
		}
	}()
	var d net.Dialer
	p, err := New(pool.Config{MaxConns: 2, Dial: func(ctx context.Context) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ports := map[string]bool{}
	const n = 4
	for i := range n {
		c, err := p.Get(ctx)
		if err != nil {
			t.Fatalf("Get %d: %v", i, err)
		}
		ports[c.LocalAddr().String()] = true
		if err := p.Put(c); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
		select {
		case err := <-eofs:
			if err != nil {
				t.Fatalf("after Put %d the server saw %v, want EOF", i, err)
			}
		case <-ctx.Done():
			t.Fatalf("after Put %d the server saw no EOF", i)
		}
	}
	if len(ports) != n {
		t.Errorf("%d Gets used %d local addrs, want %d distinct conns", n, len(ports), n)
	}
	if st := p.Stats(); st.Dials != n || st.Reuses != 0 || st.Open != 0 {
		t.Errorf("Stats after %d Get/Put: %+v, want Dials %d, Reuses 0, Open 0", n, st, n)
	}
}

package servertest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/poolbench/poolbench/impls/server"
)

// httpProperties are the HTTP-only properties.
var httpProperties = []property{
	{"PostEcho", propPostEcho},
	{"Pipelining", propPipelining},
	{"LargeBodies", propLargeBodies},
	{"ConnectionClose", propConnectionClose},
	{"HalfClose", propHTTPHalfClose},
}

func propPostEcho(f *fixture) {
	f.serve(server.Config{Loops: 2})
	c := f.dial()
	r := bufio.NewReader(c)
	rng := rand.New(rand.NewPCG(10, 0))
	for _, n := range []int{0, 1, 13, 4096} {
		if err := f.exchange(c, r, payload(rng, n)); err != nil {
			f.t.Fatalf("POST with a %d-byte body on a keep-alive conn: %v", n, err)
		}
	}
}

// pipelinedRequests is how many requests Pipelining writes back to back.
const pipelinedRequests = 100

func propPipelining(f *fixture) {
	f.serve(server.Config{Loops: 2})
	c := f.dial()
	rng := rand.New(rand.NewPCG(11, 0))
	bodies := make([][]byte, pipelinedRequests)
	for i := range bodies {
		bodies[i] = payload(rng, rng.IntN(1024))
	}
	written := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(c)
		for _, b := range bodies {
			if err := f.wire.send(w, b); err != nil {
				written <- err
				return
			}
		}
		written <- w.Flush()
	}()
	r := bufio.NewReader(c)
	for i, b := range bodies {
		if err := readHTTPReply(r, b); err != nil {
			f.t.Fatalf("pipelined request %d: %v", i, err)
		}
	}
	if err := wait(f, "the writer", written); err != nil {
		f.t.Fatalf("write: %v", err)
	}
}

func propLargeBodies(f *fixture) {
	f.serve(server.Config{Loops: 2})
	c := f.dial()
	r := bufio.NewReader(c)
	rng := rand.New(rand.NewPCG(12, 0))
	for _, n := range []int{64 << 10, 256 << 10, 1 << 20} {
		body := payload(rng, n)
		written := make(chan error, 1)
		go func() { written <- f.wire.send(c, body) }()
		if err := readHTTPReply(r, body); err != nil {
			f.t.Fatalf("POST with a %d-byte body: %v", n, err)
		}
		if err := wait(f, "the writer", written); err != nil {
			f.t.Fatalf("POST with a %d-byte body: write: %v", n, err)
		}
	}
}

func propConnectionClose(f *fixture) {
	f.serve(server.Config{Loops: 2})
	c := f.dial()
	body := []byte("last request")
	if _, err := fmt.Fprintf(c, "POST /echo HTTP/1.1\r\nHost: servertest\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body); err != nil {
		f.t.Fatalf("write: %v", err)
	}
	r := bufio.NewReader(c)
	if err := readHTTPReply(r, body); err != nil {
		f.t.Fatalf("POST with Connection: close: %v", err)
	}
	f.expectEOF(r, "after a Connection: close reply")
	f.waitIdle()
}

func propHTTPHalfClose(f *fixture) {
	f.serve(server.Config{Loops: 2})
	c := f.dial()
	body := []byte("request, then half-close")
	if err := f.wire.send(c, body); err != nil {
		f.t.Fatalf("write: %v", err)
	}
	if err := c.CloseWrite(); err != nil {
		f.t.Fatalf("CloseWrite: %v", err)
	}
	r := bufio.NewReader(c)
	if err := readHTTPReply(r, body); err != nil {
		f.t.Fatalf("reply after half-close: %v", err)
	}
	f.expectEOF(r, "after the reply to a half-closed conn")
	f.waitIdle()
}

// expectEOF checks that the server closed the conn cleanly, with nothing
// more to read.
func (f *fixture) expectEOF(r *bufio.Reader, when string) {
	f.t.Helper()
	b, err := r.ReadByte()
	switch {
	case err == io.EOF:
	case err == nil:
		f.t.Errorf("%s: read %#x, want EOF", when, b)
	default:
		f.t.Errorf("%s: %v, want EOF", when, err)
	}
}

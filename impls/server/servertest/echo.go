package servertest

import (
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/poolbench/poolbench/impls/server"
)

// echoProperties are the raw-TCP-only properties.
var echoProperties = []property{
	{"Sizes", propSizes},
	{"ReadBufferSize", propReadBufferSize},
	{"Pipelined", propPipelined},
	{"HalfClose", propHalfClose},
}

// echoSizes are the message sizes of the Sizes property: edges of common
// buffer sizes, up to 1 MiB.
var echoSizes = []int{1, 2, 3, 255, 4095, 4096, 4097, 16383, 16384, 16385, 65535, 65536, 65537, 256 << 10, 1 << 20}

func propSizes(f *fixture) {
	f.serve(server.Config{Loops: 2})
	c := f.dial()
	rng := rand.New(rand.NewPCG(6, 0))
	for _, n := range echoSizes {
		f.echoPartial(c, rng, payload(rng, n))
	}
}

func propReadBufferSize(f *fixture) {
	f.serve(server.Config{Loops: 1, ReadBufferSize: 512})
	c := f.dial()
	rng := rand.New(rand.NewPCG(7, 0))
	f.echoPartial(c, rng, payload(rng, 64<<10))
}

// echoPartial writes p in random partial writes from one goroutine while
// reading the echo in random partial reads, and checks it.
func (f *fixture) echoPartial(c *net.TCPConn, rng *rand.Rand, p []byte) {
	f.t.Helper()
	chunks := splitRandom(rng, len(p), 8<<10)
	written := make(chan error, 1)
	go func() {
		off := 0
		for _, n := range chunks {
			if _, err := c.Write(p[off : off+n]); err != nil {
				written <- err
				return
			}
			off += n
		}
		written <- nil
	}()
	got := make([]byte, len(p))
	for off := 0; off < len(p); {
		n, err := c.Read(got[off:min(len(p), off+1+rng.IntN(4<<10))])
		off += n
		if err != nil {
			f.t.Fatalf("echo of %d bytes: read after %d: %v", len(p), off, err)
		}
	}
	if err := wait(f, "the writer", written); err != nil {
		f.t.Fatalf("echo of %d bytes: write: %v", len(p), err)
	}
	if err := sameBytes("echo", got, p); err != nil {
		f.t.Fatal(err)
	}
}

// splitRandom cuts n into pieces of 1 to max bytes.
func splitRandom(rng *rand.Rand, n, max int) []int {
	var parts []int
	for n > 0 {
		k := min(n, 1+rng.IntN(max))
		parts = append(parts, k)
		n -= k
	}
	return parts
}

// pipelinedMessages is how many messages Pipelined writes back to back.
const pipelinedMessages = 1000

func propPipelined(f *fixture) {
	f.serve(server.Config{Loops: 2})
	c := f.dial()
	rng := rand.New(rand.NewPCG(8, 0))
	msgs := make([][]byte, pipelinedMessages)
	var all []byte
	for i := range msgs {
		msgs[i] = payload(rng, 1+rng.IntN(512))
		all = append(all, msgs[i]...)
	}
	written := make(chan error, 1)
	go func() {
		for _, m := range msgs {
			if _, err := c.Write(m); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	got := make([]byte, len(all))
	if n, err := io.ReadFull(c, got); err != nil {
		f.t.Fatalf("read %d pipelined bytes: got %d: %v", len(all), n, err)
	}
	if err := wait(f, "the writer", written); err != nil {
		f.t.Fatalf("write: %v", err)
	}
	if err := sameBytes("pipelined echo", got, all); err != nil {
		f.t.Fatal(err)
	}
}

// halfCloseHead is how long HalfClose waits for the server to read the
// whole message before it reads the echo anyway: a server that stops
// reading until its echo is read (the goroutine-per-conn design) never
// gets there, and reading unblocks it.
const halfCloseHead = 500 * time.Millisecond

// halfCloseSize is the large message of HalfClose: 1 MiB more than the
// server's socket send buffer can grow to (tcp_wmem max), so that the
// server still holds echo of its own when the FIN arrives. A design that
// closes conns at a cap of unsent echo needs a cap above it: 5 MiB on a
// default Linux, where tcp_wmem max is 4 MiB.
func halfCloseSize() int { return sysctlMax("tcp_wmem", 4<<20) + 1<<20 }

func propHalfClose(f *fixture) {
	f.serve(server.Config{Loops: 2})
	rng := rand.New(rand.NewPCG(9, 0))
	for _, n := range []int{10, halfCloseSize()} {
		// A small receive window keeps the echo in the server; a large
		// send buffer lets the writer finish fast where the server reads.
		c, err := f.dialErr(fixedBuffers(4<<10, 1<<20))
		if err != nil {
			f.t.Fatalf("dial: %v", err)
		}
		p := payload(rng, n)
		in := f.srv.Stats().BytesIn
		written := make(chan error, 1)
		go func() {
			_, err := c.Write(p)
			if err == nil {
				err = c.CloseWrite()
			}
			written <- err
		}()
		// Read only once the server has read it all, where it does, so
		// that the echo is still owed when the FIN arrives.
		f.within(halfCloseHead, func() bool { return f.srv.Stats().BytesIn >= in+uint64(n) })
		got, err := io.ReadAll(c) // to EOF: the server must close after the echo
		if err != nil {
			f.t.Fatalf("%d bytes then half-close: read after %d bytes: %v", n, len(got), err)
		}
		if err := sameBytes("echo after half-close", got, p); err != nil {
			f.t.Fatal(err)
		}
		if err := wait(f, "the writer", written); err != nil {
			f.t.Fatalf("%d bytes then half-close: write: %v", n, err)
		}
		_ = c.Close()
	}
	f.waitIdle()
}

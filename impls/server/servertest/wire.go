package servertest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// wire is how the client speaks a protocol: one request carries a payload,
// one reply must carry it back. The properties common to both protocols
// are written against it.
type wire interface {
	// send writes one request carrying payload.
	send(w io.Writer, payload []byte) error
	// recv reads one reply and checks that it carries payload.
	recv(r *bufio.Reader, payload []byte) error
	// overhead is an upper bound of the bytes a request adds to its payload.
	overhead() int
}

// echoWire is raw TCP: the payload itself, and the same bytes back.
type echoWire struct{}

func (echoWire) send(w io.Writer, payload []byte) error {
	_, err := w.Write(payload)
	return err
}

func (echoWire) recv(r *bufio.Reader, payload []byte) error {
	got := make([]byte, len(payload))
	if n, err := io.ReadFull(r, got); err != nil {
		return fmt.Errorf("read echo of %d bytes: got %d: %w", len(payload), n, err)
	}
	return sameBytes("echo", got, payload)
}

func (echoWire) overhead() int { return 0 }

// httpWire is HTTP/1.1: a keep-alive POST, and a 200 whose body is the
// request's.
type httpWire struct{}

// httpRequest is the request head; %d is the body's length.
const httpRequest = "POST /echo HTTP/1.1\r\nHost: servertest\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"

func (httpWire) send(w io.Writer, payload []byte) error {
	msg := append(fmt.Appendf(nil, httpRequest, len(payload)), payload...)
	_, err := w.Write(msg)
	return err
}

func (httpWire) recv(r *bufio.Reader, payload []byte) error {
	return readHTTPReply(r, payload)
}

func (httpWire) overhead() int { return len(httpRequest) + 20 }

// readHTTPReply reads one response and checks it is a 200 carrying payload
// with a Content-Length that says so.
func readHTTPReply(r *bufio.Reader, payload []byte) error {
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read response body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d %q, want 200", resp.StatusCode, body)
	}
	if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(payload)) {
		return fmt.Errorf("Content-Length %q, want %d", cl, len(payload))
	}
	return sameBytes("body", body, payload)
}

// sameBytes says where got and want first differ.
func sameBytes(what string, got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	if len(got) != len(want) {
		return fmt.Errorf("%s: got %d bytes, want %d", what, len(got), len(want))
	}
	i := 0
	for got[i] == want[i] {
		i++
	}
	return fmt.Errorf("%s of %d bytes differs at byte %d: got %#x, want %#x", what, len(want), i, got[i], want[i])
}

// payload returns n random bytes; every property seeds its own rng so a
// failure replays.
func payload(rng *rand.Rand, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	return p
}

// exchangeOnce checks one small request and reply on a fresh conn.
func (f *fixture) exchangeOnce() {
	f.t.Helper()
	c := f.dial()
	defer c.Close()
	if err := f.exchange(c, bufio.NewReader(c), []byte("servertest exchange")); err != nil {
		f.t.Fatalf("exchange: %v", err)
	}
}

// exchange sends one small request and checks its reply. Only for
// payloads the socket buffers absorb whole (a few KiB): a large one needs
// a concurrent writer, as the server may stop reading until we read.
func (f *fixture) exchange(w io.Writer, r *bufio.Reader, p []byte) error {
	if err := f.wire.send(w, p); err != nil {
		return fmt.Errorf("send %d bytes: %w", len(p), err)
	}
	return f.wire.recv(r, p)
}

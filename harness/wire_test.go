package harness

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/impls/server"
)

func dialTest(t *testing.T, s *testServer) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

func TestExchange(t *testing.T) {
	for _, tc := range []struct {
		proto server.Protocol
		fault fault
		size  int
		want  Class // -1: success
	}{
		{server.Echo, faultNone, 64, -1},
		{server.Echo, faultNone, 1, -1},
		{server.Echo, faultNone, 100 << 10, -1}, // more than one read
		{server.Echo, faultWrong, 64, Wrong},
		{server.Echo, faultShort, 64, Short},
		{server.Echo, faultReset, 64, Reset},
		{server.HTTP, faultNone, 64, -1},
		{server.HTTP, faultNone, 100 << 10, -1},
		{server.HTTP, faultWrong, 64, Wrong},
		{server.HTTP, faultShort, 64, Short},
		{server.HTTP, faultStatus, 64, Wrong},
	} {
		name := string(tc.proto) + "/" + []string{"ok", "wrong", "short", "reset", "status"}[tc.fault]
		t.Run(name, func(t *testing.T) {
			s := startTestServer(t, tc.proto, tc.fault)
			c := dialTest(t, s)
			x, err := newExchanger(tc.proto, tc.size, s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			for seq := uint64(1); seq <= 3; seq++ {
				keep, err := x.exchange(c, seq)
				if tc.want < 0 {
					if err != nil || !keep {
						t.Fatalf("request %d: keep %v, err %v; want success", seq, keep, err)
					}
					continue
				}
				if err == nil {
					t.Fatalf("request %d succeeded against a %s server", seq, name)
				}
				if got := Classify(err); got != tc.want {
					t.Fatalf("error %v classified %v, want %v", err, got, tc.want)
				}
				return
			}
		})
	}
}

// TestEchoCatchesStaleReply checks that the sequence stamp makes a reply to
// an earlier request a wrong echo, not a pass.
func TestEchoCatchesStaleReply(t *testing.T) {
	client, srv := net.Pipe()
	defer client.Close()
	go func() {
		defer srv.Close()
		first := make([]byte, 16)
		io.ReadFull(srv, first)
		srv.Write(first)
		second := make([]byte, 16)
		io.ReadFull(srv, second)
		srv.Write(first) // the previous reply again
	}()
	x := newEchoClient(16)
	if _, err := x.exchange(client, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := x.exchange(client, 2); !errors.Is(err, errWrongEcho) {
		t.Fatalf("stale reply: err %v, want a wrong echo", err)
	}
}

// httpReply runs one exchange against a scripted HTTP reply over net.Pipe,
// written in chunks of at most chunk bytes.
func httpReply(t *testing.T, reply string, chunk int) (bool, error) {
	t.Helper()
	client, srv := net.Pipe()
	defer client.Close()
	x := newHTTPClient(4, "test")
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer srv.Close()
		io.ReadFull(srv, make([]byte, len(x.req)))
		for len(reply) > 0 {
			n := min(chunk, len(reply))
			if _, err := srv.Write([]byte(reply[:n])); err != nil {
				return
			}
			reply = reply[n:]
		}
	}()
	copy(x.body, "\x01\x00\x00\x00")
	keep, err := x.exchange(client, 1)
	client.Close()
	<-done
	return keep, err
}

func TestHTTPResponseParsing(t *testing.T) {
	const body = "\x01\x00\x00\x00"
	for _, tc := range []struct {
		name, reply string
		keep        bool
		err         error // nil: success
		whole       bool  // only when the reply arrives in one piece
	}{
		{"plain", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n" + body, true, nil, false},
		{"no-reason", "HTTP/1.1 200\r\ncontent-length:4\r\n\r\n" + body, true, nil, false},
		{"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\n" + body, false, nil, false},
		{"http10", "HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\n" + body, false, nil, false},
		{"status", "HTTP/1.1 2000 OK\r\nContent-Length: 4\r\n\r\n" + body, false, errBadStatus, false},
		{"not-http", "SSH-2.0-x\r\n\r\n", false, errBadStatus, false},
		{"no-length", "HTTP/1.1 200 OK\r\n\r\n" + body, false, errNoLength, false},
		{"bad-length", "HTTP/1.1 200 OK\r\nContent-Length: 4x\r\n\r\n" + body, false, errNoLength, false},
		{"other-length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n" + body[:3], false, errLength, false},
		{"extra", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n" + body + "junk", false, errExtraBytes, true},
		{"body-differs", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", false, errWrongEcho, false},
		{"head-too-large", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("y", maxResponseHeader) + "\r\n\r\n", false, errHeadTooLarge, false},
		{"eof-in-head", "HTTP/1.1 200 OK\r\nContent-", false, io.ErrUnexpectedEOF, false},
		{"eof-in-body", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n\x01", false, io.ErrUnexpectedEOF, false},
	} {
		for _, chunk := range []int{1, 7, 1 << 20} {
			if tc.whole && chunk < len(tc.reply) {
				continue // the client stops reading at Content-Length
			}
			keep, err := httpReply(t, tc.reply, chunk)
			if tc.err == nil && (err != nil || keep != tc.keep) || tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("%s (chunks of %d): keep %v, err %v; want keep %v, err %v", tc.name, chunk, keep, err, tc.keep, tc.err)
			}
		}
	}
}

// TestAwaitClose: the client of a server that closes first succeeds, and
// does not keep the conn, only when the echo is followed by the server's
// close; more bytes are a wrong echo, and no close by the deadline a
// timeout.
func TestAwaitClose(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after []byte // what the server sends after the echo
		close bool
		want  Class // -1: success
	}{
		{"echo then close", nil, true, -1},
		{"more bytes", []byte("x"), true, Wrong},
		{"no close", nil, false, Timeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, srv := net.Pipe()
			defer client.Close()
			go func() {
				buf := make([]byte, DefaultSize)
				if _, err := io.ReadFull(srv, buf); err != nil {
					return
				}
				srv.Write(append(buf, tc.after...))
				if tc.close {
					srv.Close()
				}
			}()
			defer srv.Close()
			client.SetDeadline(time.Now().Add(200 * time.Millisecond))
			x := &awaitClose{exchanger: newEchoClient(DefaultSize)}
			keep, err := x.exchange(client, 1)
			if keep {
				t.Error("kept a conn the server closes")
			}
			switch {
			case tc.want < 0 && err != nil:
				t.Errorf("err %v, want success", err)
			case tc.want >= 0 && (err == nil || Classify(err) != tc.want):
				t.Errorf("err %v, want class %v", err, tc.want)
			}
		})
	}
}

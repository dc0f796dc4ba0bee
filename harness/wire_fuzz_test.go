package harness

import (
	"bytes"
	"net"
	"testing"
)

// replayConn is a conn whose peer's whole reply is fixed: reads return it
// and then EOF, writes are accepted and dropped. exchange only reads and
// writes.
type replayConn struct {
	net.Conn // nil; the other methods are never called
	r        *bytes.Reader
}

func (c *replayConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *replayConn) Write(p []byte) (int, error) { return len(p), nil }

// fuzzSize is the message size of the fuzzed exchanges, and fuzzBody the
// message of request 1 at that size (stamp, then the fill pattern).
const fuzzSize = 16

var fuzzBody = "\x01\x00\x00\x00\x00\x00\x00\x00ijklmnop"

// checkFailureClass wants a failed exchange over a replayed reply to be a
// wrong or short echo: the reply is all there is, so nothing else can go wrong.
func checkFailureClass(t *testing.T, err error) {
	t.Helper()
	if c := Classify(err); c != Wrong && c != Short {
		t.Fatalf("error %v classified %v, want wrong or short", err, c)
	}
}

// FuzzHTTPExchange feeds arbitrary bytes as the server's reply to the HTTP
// client's response parser. It must never panic or loop, must class every
// failure as a wrong or short echo, and may accept a reply only when it
// really is the echo: a "HTTP/1.x 200" status line, a head that ends
// within maxResponseHeader, and the request's body right after it.
func FuzzHTTPExchange(f *testing.F) {
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n" + fuzzBody
	f.Add([]byte(ok))
	f.Add([]byte("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length:16\r\n\r\n" + fuzzBody))
	f.Add([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 16\r\n\r\n" + fuzzBody))
	f.Add([]byte(ok + "extra"))
	f.Fuzz(func(t *testing.T, reply []byte) {
		h := newHTTPClient(fuzzSize, "fuzz")
		_, err := h.exchange(&replayConn{r: bytes.NewReader(reply)}, 1)
		if err != nil {
			checkFailureClass(t, err)
			return
		}
		end := bytes.Index(reply, headEnd)
		switch {
		case len(reply) < 12 || !bytes.HasPrefix(reply, httpVersion) || string(reply[8:12]) != " 200":
			t.Fatalf("accepted a reply without a 200 status line: %q", reply)
		case end < 0 || end > maxResponseHeader:
			t.Fatalf("accepted a reply without a head ending in %d bytes: %q", maxResponseHeader, reply)
		case !bytes.HasPrefix(reply[end+len(headEnd):], []byte(fuzzBody)):
			t.Fatalf("accepted a reply whose body is not the echo: %q", reply)
		}
	})
}

// FuzzEchoExchange feeds arbitrary bytes as the echo server's reply. The
// raw echo client must accept exactly the replies that start with the
// message sent and class every other one as a wrong or short echo.
func FuzzEchoExchange(f *testing.F) {
	f.Add([]byte(fuzzBody))
	f.Add([]byte(fuzzBody[:15]))
	f.Add([]byte("\x02" + fuzzBody[1:])) // the echo of another request
	f.Fuzz(func(t *testing.T, reply []byte) {
		e := newEchoClient(fuzzSize)
		_, err := e.exchange(&replayConn{r: bytes.NewReader(reply)}, 1)
		isEcho := bytes.HasPrefix(reply, []byte(fuzzBody))
		if err != nil {
			if isEcho {
				t.Fatalf("rejected the echo %q: %v", reply, err)
			}
			checkFailureClass(t, err)
			return
		}
		if !isEcho {
			t.Fatalf("accepted %q, which is not the echo of %q", reply, fuzzBody)
		}
	})
}

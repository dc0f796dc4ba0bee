package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/poolbench/poolbench/impls/server"
)

// exchanger sends one request on a conn and checks the reply. Each worker
// owns one, with its buffers, so a request allocates nothing.
type exchanger interface {
	// exchange sends the message stamped with seq on c and verifies every
	// byte of the reply. keep is false when c must not be reused even
	// though the reply was right (an HTTP "Connection: close").
	exchange(c net.Conn, seq uint64) (keep bool, err error)
}

// newExchanger returns the client side of proto for messages of size bytes.
func newExchanger(proto server.Protocol, size int, host string) (exchanger, error) {
	switch proto {
	case server.Echo:
		return newEchoClient(size), nil
	case server.HTTP:
		return newHTTPClient(size, host), nil
	case server.UDP:
		return newUDPClient(size), nil
	}
	return nil, fmt.Errorf("unknown protocol %q", proto)
}

// network is what a pool dials to reach a server speaking proto: a pooled
// conn to a UDP server is a connected UDP socket.
func network(proto server.Protocol) string {
	if proto == server.UDP {
		return "udp"
	}
	return "tcp"
}

// fillMessage fills msg with printable bytes; stamp then overwrites the head.
func fillMessage(msg []byte) {
	for i := range msg {
		msg[i] = 'a' + byte(i%26)
	}
}

// stamp writes seq into the first (up to 8) bytes of msg, so that an echo
// of an earlier request, or of another conn's, is caught as a wrong echo
// rather than passing because all messages look alike.
func stamp(msg []byte, seq uint64) {
	for i := 0; i < len(msg) && i < 8; i++ {
		msg[i] = byte(seq >> (8 * i))
	}
}

// echoClient speaks raw echo: write the message, read the same bytes back.
type echoClient struct {
	msg, got []byte
	// wrote, for a message above writeAlone, receives the error of the
	// write running beside the read; nil when the write comes first.
	wrote chan error
}

// writeAlone is the largest message written before its echo is read. An
// echo server sends back what it has read while the rest is still coming,
// so a client that writes a large message whole before reading fills its
// own receive buffer, then the server's send buffer: the server stops
// reading, and the client's write never ends (until the deadline). 16 KiB
// is Linux's default TCP send buffer (tcp_wmem), below every buffer on the
// way; a larger message is written by a goroutine of its own while this
// one reads, as a bulk sender and receiver would run.
const writeAlone = 16 << 10

func newEchoClient(size int) *echoClient {
	e := &echoClient{msg: make([]byte, size), got: make([]byte, size)}
	if size > writeAlone {
		e.wrote = make(chan error, 1)
	}
	fillMessage(e.msg)
	return e
}

func (e *echoClient) exchange(c net.Conn, seq uint64) (bool, error) {
	stamp(e.msg, seq)
	if e.wrote == nil {
		if _, err := c.Write(e.msg); err != nil {
			return false, err
		}
	} else {
		// Write returns when all of msg is written or the conn fails; the
		// conn's deadline bounds both, so the wait below ends too. msg is
		// not touched again before that.
		go func() {
			_, err := c.Write(e.msg)
			e.wrote <- err
		}()
	}
	_, err := io.ReadFull(c, e.got)
	if e.wrote != nil {
		if werr := <-e.wrote; err == nil {
			err = werr
		}
	}
	if err != nil {
		return false, err
	}
	if !bytes.Equal(e.msg, e.got) {
		return false, errWrongEcho
	}
	return true, nil
}

// errAfterEcho is a server that sent more after the echo instead of
// closing the conn (Sweep.ServerCloses).
var errAfterEcho = fmt.Errorf("%w: bytes after the echo from a server that closes first", errWrongEcho)

// awaitClose is the client of a server that closes each conn after its
// echo (Sweep.ServerCloses), as an HTTP/1.0 client reads to the server's
// close: after the echo it waits for the server's FIN (EOF) within the
// request's deadline, so that the client closes second and the TIME_WAIT
// socket is the server's, and it never keeps the conn.
type awaitClose struct {
	exchanger
	b [1]byte
}

func (a *awaitClose) exchange(c net.Conn, seq uint64) (bool, error) {
	if _, err := a.exchanger.exchange(c, seq); err != nil {
		return false, err
	}
	for {
		n, err := c.Read(a.b[:])
		switch {
		case n > 0:
			return false, errAfterEcho
		case errors.Is(err, io.EOF):
			return false, nil
		case err != nil:
			return false, err
		}
	}
}

// maxResponseHeader bounds the HTTP response head the client accepts.
const maxResponseHeader = 4 << 10

// Errors for replies that are not an HTTP echo; all count as wrong echoes.
var (
	errBadStatus    = fmt.Errorf("%w: HTTP status line is not 200", errWrongEcho)
	errNoLength     = fmt.Errorf("%w: HTTP response has no Content-Length", errWrongEcho)
	errHeadTooLarge = fmt.Errorf("%w: HTTP response head exceeds %d bytes", errWrongEcho, maxResponseHeader)
	errLength       = fmt.Errorf("%w: HTTP Content-Length differs from the request's", errWrongEcho)
	errExtraBytes   = fmt.Errorf("%w: HTTP response longer than its Content-Length", errWrongEcho)
)

// httpClient speaks HTTP/1.1 POST echo over the pooled conn itself: a
// prebuilt request, and a minimal response parser (status line,
// Content-Length, Connection: close). net/http is not used because it
// brings its own conn pool, which would hide the pool under test.
type httpClient struct {
	req  []byte // request head and body
	body []byte // the body, inside req
	buf  []byte // response head and body
}

func newHTTPClient(size int, host string) *httpClient {
	head := "POST / HTTP/1.1\r\nHost: " + host +
		"\r\nContent-Type: application/octet-stream\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n"
	req := make([]byte, len(head)+size)
	copy(req, head)
	h := &httpClient{req: req, body: req[len(head):], buf: make([]byte, maxResponseHeader+size)}
	fillMessage(h.body)
	return h
}

var (
	httpVersion      = []byte("HTTP/1.")
	headEnd          = []byte("\r\n\r\n")
	crlf             = []byte("\r\n")
	contentLengthKey = []byte("content-length:")
	connectionKey    = []byte("connection:")
	closeValue       = []byte("close")
)

func (h *httpClient) exchange(c net.Conn, seq uint64) (bool, error) {
	stamp(h.body, seq)
	if _, err := c.Write(h.req); err != nil {
		return false, err
	}
	n, end := 0, -1
	for end < 0 {
		if n == maxResponseHeader {
			return false, errHeadTooLarge
		}
		m, err := c.Read(h.buf[n:maxResponseHeader])
		n += m
		if err != nil {
			if err == io.EOF && n > 0 {
				err = io.ErrUnexpectedEOF
			}
			return false, err
		}
		end = bytes.Index(h.buf[:n], headEnd)
	}
	length, keep, err := parseHead(h.buf[:end])
	if err != nil {
		return false, err
	}
	bodyStart := end + len(headEnd)
	total := bodyStart + length
	if length != len(h.body) {
		return false, errLength
	}
	if n > total {
		return false, errExtraBytes
	}
	if _, err := io.ReadFull(c, h.buf[n:total]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the head came, the body did not
		}
		return false, err
	}
	if !bytes.Equal(h.buf[bodyStart:total], h.body) {
		return false, errWrongEcho
	}
	return keep, nil
}

// parseHead checks the status line of an HTTP response head (without the
// final blank line) and returns its Content-Length and whether the conn may
// be reused.
func parseHead(head []byte) (length int, keep bool, err error) {
	line, rest, _ := bytes.Cut(head, crlf)
	// "HTTP/1.x 200 ..." (the reason phrase may be empty).
	if len(line) < 12 || !bytes.HasPrefix(line, httpVersion) || string(line[8:12]) != " 200" || len(line) > 12 && line[12] != ' ' {
		return 0, false, errBadStatus
	}
	keep, length = line[7] == '1', -1
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, crlf)
		switch {
		case hasKey(line, contentLengthKey):
			length = parseLength(line[len(contentLengthKey):])
		case hasKey(line, connectionKey):
			keep = !bytes.EqualFold(bytes.TrimSpace(line[len(connectionKey):]), closeValue)
		}
	}
	if length < 0 {
		return 0, false, errNoLength
	}
	return length, keep, nil
}

// hasKey reports whether a header line starts with key, ignoring case.
func hasKey(line, key []byte) bool {
	return len(line) >= len(key) && bytes.EqualFold(line[:len(key)], key)
}

// parseLength parses a Content-Length value; -1 when it is not a number.
func parseLength(v []byte) int {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || len(v) > 9 {
		return -1
	}
	n := 0
	for _, b := range v {
		if b < '0' || b > '9' {
			return -1
		}
		n = n*10 + int(b-'0')
	}
	return n
}

package harness

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
)

// errLost reports a datagram whose echo did not come back before the
// request's deadline: UDP loses datagrams by design, so this is an outcome
// of its own (class Lost), counted and never retried.
var errLost = errors.New("no echo of the datagram before the deadline")

// udpClient speaks UDP echo over a connected UDP socket: one request is one
// datagram, and its reply is the same bytes in one datagram.
type udpClient struct {
	msg []byte
	got []byte // one byte longer than msg, so a longer reply shows
}

func newUDPClient(size int) *udpClient {
	u := &udpClient{msg: make([]byte, size), got: make([]byte, size+1)}
	fillMessage(u.msg)
	return u
}

// exchange sends the datagram and reads one reply. A request whose echo is
// lost fails, so its conn is discarded: a late echo can never be read as
// the reply to a later request on the same socket.
func (u *udpClient) exchange(c net.Conn, seq uint64) (bool, error) {
	stamp(u.msg, seq)
	if _, err := c.Write(u.msg); err != nil {
		return false, err
	}
	n, err := c.Read(u.got)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false, fmt.Errorf("%w: %w", errLost, err)
	}
	if err != nil {
		return false, err
	}
	if !bytes.Equal(u.got[:n], u.msg) {
		return false, errWrongEcho
	}
	return true, nil
}

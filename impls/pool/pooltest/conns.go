package pooltest

import (
	"net"
	"strconv"
)

// pipeConn is a Dialer's net.Pipe conn. Its LocalAddr carries its id.
type pipeConn struct {
	net.Conn
	id int
	d  *Dialer
}

// Close counts the close, then closes the pipe.
func (c *pipeConn) Close() error {
	c.d.closed(c.id)
	return c.Conn.Close()
}

// LocalAddr names the conn by its id, so handles that embed it reveal it.
func (c *pipeConn) LocalAddr() net.Addr { return pipeAddr{c.d, c.id} }

// pipeAddr is a pipeConn's address: its dialer and id.
type pipeAddr struct {
	d  *Dialer
	id int
}

func (pipeAddr) Network() string  { return "pooltest" }
func (a pipeAddr) String() string { return "pooltest:" + strconv.Itoa(a.id) }

// tcpConn is a Dialer's TCP conn. It embeds *net.TCPConn so that it still
// implements syscall.Conn, which alive checks peek through.
type tcpConn struct {
	*net.TCPConn
	id int
	d  *Dialer
}

// Close counts the close, then closes the socket.
func (c *tcpConn) Close() error {
	c.d.closed(c.id)
	return c.TCPConn.Close()
}

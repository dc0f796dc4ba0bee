package nbio

import (
	"errors"
	"os"
	"time"

	nb "github.com/lesismal/nbio"
	"golang.org/x/sys/unix"
)

// finish writes the echo still owed after the client's half-close, then
// closes the conn.
func (s *Server) finish(c *nb.Conn, st *conn) {
	if len(st.pending) > 0 {
		_ = withFD(c, func(fd int) error { return flush(fd, st.pending) })
		st.pending = nil
	}
	_ = c.Close()
}

// flush writes p to the non-blocking fd, waiting for room at most
// HalfCloseFlushTimeout at a time.
func flush(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		if n > 0 {
			p = p[n:]
		}
		switch {
		case err == nil, errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			ready, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}, int(HalfCloseFlushTimeout/time.Millisecond))
			if err != nil && !errors.Is(err, unix.EINTR) {
				return err
			}
			if ready == 0 {
				return os.ErrDeadlineExceeded
			}
		default:
			return err
		}
	}
	return nil
}

// peerShutWrite reports whether the client has half-closed the conn.
func peerShutWrite(c *nb.Conn) bool {
	var shut bool
	_ = withFD(c, func(fd int) error {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		n, err := unix.Poll(fds, 0)
		shut = err == nil && n > 0 && fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP) != 0
		return nil
	})
	return shut
}

// withFD runs f with the conn's fd.
func withFD(c *nb.Conn, f func(fd int) error) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

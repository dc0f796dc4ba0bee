package harness

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// Class is the kind of a failed request, as counted per point.
type Class int

// The error classes, in output order. A request fails with exactly one class.
const (
	Reset        Class = iota // the peer reset or closed the conn under a write (ECONNRESET, EPIPE, ECONNABORTED)
	Refused                   // a dial was refused (ECONNREFUSED): the server is gone or its backlog is full
	Timeout                   // a dial, write or read passed its deadline
	EMFILE                    // out of file descriptors (EMFILE, ENFILE) in this process
	Short                     // the conn ended (EOF) before the whole echo arrived
	Wrong                     // the echo arrived but its bytes differ, or the HTTP response is not the echo
	Lost                      // a datagram's echo did not arrive before the deadline (UDP); never retried
	AddrNotAvail              // connect found no free local address (EADDRNOTAVAIL): the ephemeral ports are used up, most by TIME_WAIT
	Other                     // anything else, with its text on stderr once per point
	numClasses
)

var classNames = [numClasses]string{"reset", "refused", "timeout", "emfile", "short", "wrong", "lost", "addrnotavail", "other"}

// String returns the class name used in output units (NAME-errors).
func (c Class) String() string {
	if c < 0 || c >= numClasses {
		return "unknown"
	}
	return classNames[c]
}

// errWrongEcho reports an echo whose bytes differ from what was sent.
var errWrongEcho = errors.New("echo differs from the message sent")

// Classify returns the class of a request error. It checks the specific
// causes before the generic ones: a reset surfaced through a timeout-capable
// net.Error is still a reset.
func Classify(err error) Class {
	switch {
	case errors.Is(err, errWrongEcho):
		return Wrong
	case errors.Is(err, errLost):
		return Lost
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return AddrNotAvail
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return Reset
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return EMFILE
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Short
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT):
		return Timeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Timeout
	}
	return Other
}

package faults

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/poolbench/poolbench/impls/pool"
)

// Class is the kind of failure a caller saw, so fault runs can say "12
// resets, 3 refused" instead of "15 errors".
type Class int

// The classes. Classify tests them in this order, most specific first.
const (
	ClassOK       Class = iota // no error
	ClassRefused               // ECONNREFUSED: nothing listening (server down or restarting)
	ClassReset                 // ECONNRESET, EPIPE, ECONNABORTED: the peer dropped the conn
	ClassTimeout               // a deadline passed: a dropped SYN, a stalled peer, ctx deadline
	ClassEOF                   // the peer closed cleanly in the middle of an exchange
	ClassNoFDs                 // EMFILE or ENFILE: out of file descriptors
	ClassCanceled              // ctx canceled: the run is ending, not a fault
	ClassClosed                // pool or conn closed under the caller
	ClassOther                 // anything else, e.g. a wrong echo
	numClasses
)

var classNames = [numClasses]string{"ok", "refused", "reset", "timeout", "eof", "nofds", "canceled", "closed", "other"}

// String is the class's short name, used as a benchmark unit suffix.
func (c Class) String() string {
	if c < 0 || c >= numClasses {
		return "invalid"
	}
	return classNames[c]
}

// Classify maps err to its Class.
func Classify(err error) Class {
	var ne net.Error
	switch {
	case err == nil:
		return ClassOK
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return ClassReset
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, syscall.ETIMEDOUT), errors.As(err, &ne) && ne.Timeout():
		return ClassTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ClassEOF
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return ClassNoFDs
	case errors.Is(err, context.Canceled):
		return ClassCanceled
	case errors.Is(err, pool.ErrClosed), errors.Is(err, net.ErrClosed):
		return ClassClosed
	}
	return ClassOther
}

// Tally counts errors by Class. The zero value is ready; safe for
// concurrent use.
type Tally struct {
	n [numClasses]atomic.Uint64
}

// Add classifies err, counts it and returns its class.
func (t *Tally) Add(err error) Class {
	c := Classify(err)
	t.n[c].Add(1)
	return c
}

// Count is the number of results of class c.
func (t *Tally) Count(c Class) uint64 { return t.n[c].Load() }

// Errors is the number of results that were not OK.
func (t *Tally) Errors() uint64 {
	var sum uint64
	for c := ClassOK + 1; c < numClasses; c++ {
		sum += t.n[c].Load()
	}
	return sum
}

// String lists the non-zero counts: "ok=120 refused=3 reset=2".
func (t *Tally) String() string {
	var b []byte
	for c := ClassOK; c < numClasses; c++ {
		if n := t.n[c].Load(); n > 0 {
			if len(b) > 0 {
				b = append(b, ' ')
			}
			b = append(b, c.String()...)
			b = append(b, '=')
			b = strconv.AppendUint(b, n, 10)
		}
	}
	if len(b) == 0 {
		return "none"
	}
	return string(b)
}

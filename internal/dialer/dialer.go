// Package dialer runs a pool's dial into a slot the pool has reserved, so
// that Get can give up on it when its ctx ends without losing the conn the
// dial may still produce, and counts and words the outcome the same way for
// every design.
package dialer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/internal/counters"
	"github.com/poolbench/poolbench/internal/lease"
)

// ErrAbandoned is wrapped, together with ctx.Err(), by the error Dial returns
// when ctx ended before the dial did. The dial's slot is then still taken:
// its outcome goes to late, which must keep or free it.
var ErrAbandoned = errors.New("dial abandoned")

// Dial calls dial(ctx) and wraps the conn in a lease.Entry for owner. It
// counts the dial in stats (Dials, and DialErrors and Cancels as they apply).
//
// When ctx cannot end (its Done channel is nil) the dial runs on the
// caller's goroutine, at no extra cost. Otherwise it runs on a goroutine of
// its own, and Dial returns as soon as ctx ends, even if dial ignores ctx,
// with an error wrapping ErrAbandoned and ctx.Err(). The dial's outcome then
// goes to late, on that goroutine, so the pool can keep or pass on a conn
// that arrives after its caller left, or free the slot of one that failed.
// Exactly one of "Dial returns the outcome" and "late receives it" happens.
//
// When ctx has ended already Dial does not dial. Any other error is the
// dial's, wrapped (with ctx.Err() too when ctx had ended); the caller must
// free the slot.
func Dial(ctx context.Context, owner lease.Owner, dial func(context.Context) (net.Conn, error),
	stats *counters.Counters, late func(*lease.Entry, error)) (*lease.Entry, error) {
	if err := ctx.Err(); err != nil {
		// The caller left already: no dial to waste.
		stats.Cancels.Add(1)
		return nil, fmt.Errorf("pool: get: %w", err)
	}
	stats.Dials.Add(1)
	if ctx.Done() == nil {
		c, err := dial(ctx)
		return outcome(ctx, owner, stats, c, err)
	}
	d := &pending{ch: make(chan struct{})}
	go func() {
		d.c, d.err = dial(ctx)
		if d.state.CompareAndSwap(waiting, delivered) {
			close(d.ch)
			return
		}
		if d.err != nil {
			stats.DialErrors.Add(1)
			late(nil, d.err)
			return
		}
		late(lease.NewEntry(owner, d.c, time.Now()), nil)
	}()
	select {
	case <-d.ch:
	case <-ctx.Done():
		if d.state.CompareAndSwap(waiting, abandoned) {
			stats.Cancels.Add(1)
			return nil, fmt.Errorf("pool: get: %w: %w", ErrAbandoned, ctx.Err())
		}
		<-d.ch // the dial finished first and is publishing its outcome
	}
	return outcome(ctx, owner, stats, d.c, d.err)
}

func outcome(ctx context.Context, owner lease.Owner, stats *counters.Counters, c net.Conn, err error) (*lease.Entry, error) {
	if err == nil {
		return lease.NewEntry(owner, c, time.Now()), nil
	}
	stats.DialErrors.Add(1)
	if ctxErr := ctx.Err(); ctxErr != nil {
		stats.Cancels.Add(1)
		return nil, fmt.Errorf("pool: get: %w: dial: %w", ctxErr, err)
	}
	return nil, fmt.Errorf("pool: dial: %w", err)
}

const (
	waiting int32 = iota
	delivered
	abandoned
)

// pending is one dial in flight. c and err are written by the dialing
// goroutine before it closes ch, and read by the caller after ch is closed.
type pending struct {
	state atomic.Int32 // waiting, then delivered or abandoned, decided once by CAS
	ch    chan struct{}
	c     net.Conn
	err   error
}

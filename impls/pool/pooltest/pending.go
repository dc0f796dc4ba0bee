package pooltest

import (
	"context"
	"fmt"
	"net"
	"time"
)

// pending is a Get running on its own goroutine.
type pending struct {
	done   chan struct{}
	cancel context.CancelFunc
	gid    int64 // the goroutine's id, set before done closes or Get starts
	ready  chan struct{}
	conn   net.Conn // valid once done is closed
	err    error
}

// startGet starts a Get whose ctx ends after timeout.
func (f *fixture) startGet(timeout time.Duration) *pending {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	return f.startGetCtx(ctx, cancel)
}

// startGetCtx starts a Get with ctx; cancel is ctx's cancel func.
func (f *fixture) startGetCtx(ctx context.Context, cancel context.CancelFunc) *pending {
	return f.startGetAfter(nil, ctx, cancel)
}

// startGetAfter starts a goroutine that calls before (unless nil) and then
// Get with ctx, at once, on the same goroutine.
func (f *fixture) startGetAfter(before func(), ctx context.Context, cancel context.CancelFunc) *pending {
	w := &pending{done: make(chan struct{}), ready: make(chan struct{}), cancel: cancel}
	go func() {
		defer func() {
			if r := recover(); r != nil {
				w.conn, w.err = nil, fmt.Errorf("Get panicked: %v", r)
			}
			cancel()
			close(w.done)
			select {
			case f.returns <- struct{}{}:
			default:
			}
		}()
		w.gid = self().id
		close(w.ready)
		if before != nil {
			before()
		}
		w.conn, w.err = f.p.Get(ctx)
	}()
	<-w.ready
	return w
}

// dialing starts a Get and waits until the Dialer sees it dial: the k-th
// dial in flight. Hold the Dialer first to keep that dial hanging.
func (f *fixture) dialing(k int) *pending {
	w := f.startGet(waitLimit)
	if !f.d.waitFor(waitLimit, func(s DialerStats) bool { return s.Dialing >= k }) {
		f.Fatalf("Get did not dial within %v", waitLimit)
	}
	return w
}

// returned reports whether the Get has returned.
func (w *pending) returned() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// wait waits up to limit for the Get to return and reports whether it did.
func (w *pending) wait(limit time.Duration) bool { return waitClosed(w.done, limit) }

// result waits for the Get, which had a ctx deadline of at most ctxLimit,
// and fails the property if it outlives that deadline by ctxGrace.
func (f *fixture) result(w *pending, ctxLimit time.Duration) (net.Conn, error) {
	if !w.wait(ctxLimit + ctxGrace) {
		f.Fatalf("Get did not return %v after its ctx deadline (does it ignore ctx?)", ctxGrace)
	}
	return w.conn, w.err
}

// get runs a Get whose ctx ends after timeout.
func (f *fixture) get(timeout time.Duration) (net.Conn, error) {
	return f.result(f.startGet(timeout), timeout)
}

// waitClosed waits up to limit for done to close and reports whether it did.
func waitClosed(done <-chan struct{}, limit time.Duration) bool {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

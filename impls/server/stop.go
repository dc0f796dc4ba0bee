package server

import (
	"context"
	"sync"
)

// Stop is the part of Shutdown that every design's shares: the first call
// begins the stop and waits, on a goroutine of its own, for the server's
// goroutines to end; every call returns once they have, or when its own
// ctx ends first, in which case the stop goes on and a later call waits
// for it again. Keep one per server; the zero value is ready to use.
type Stop struct {
	once sync.Once
	done chan struct{} // closed when wait has returned
}

// Shutdown runs begin once, on the first call and before that call
// returns, to close what ends the server's goroutines (a listener, a
// socket, the open conns), then wait on a goroutine, to block until they
// have ended. Either may be nil. It returns nil once wait has returned, or
// ctx.Err() if ctx ends first.
func (s *Stop) Shutdown(ctx context.Context, begin, wait func()) error {
	s.once.Do(func() {
		s.done = make(chan struct{})
		if begin != nil {
			begin()
		}
		go func() {
			defer close(s.done)
			if wait != nil {
				wait()
			}
		}()
	})
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

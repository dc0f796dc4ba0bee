package server

import (
	"log"
	"time"
)

// The pause after a failed Accept doubles from minAcceptPause to
// maxAcceptPause while Accept keeps failing.
const (
	minAcceptPause = 5 * time.Millisecond
	maxAcceptPause = time.Second
)

// AcceptBackoff paces an accept loop after a failed Accept. Running out of
// fds (EMFILE, ENFILE) and the like passes once conns close, so a server
// pauses and retries, as net/http does, rather than stop serving for good;
// and it logs the error to stderr (at most once a second) so that whoever
// runs it sees why conns are refused. One AcceptBackoff per accept loop;
// the zero value is ready to use.
type AcceptBackoff struct {
	pause  time.Duration
	logged time.Time
}

// Wait logs err and pauses; it returns false at once if stop is closed
// first, and true once the pause is over.
func (b *AcceptBackoff) Wait(err error, stop <-chan struct{}) bool {
	b.pause = min(max(2*b.pause, minAcceptPause), maxAcceptPause)
	if now := time.Now(); now.Sub(b.logged) >= time.Second {
		b.logged = now
		log.Printf("accept: %v; retrying in %v", err, b.pause)
	}
	t := time.NewTimer(b.pause)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
		return false
	}
}

// Reset starts the pauses over after an Accept that succeeded.
func (b *AcceptBackoff) Reset() { b.pause = 0 }

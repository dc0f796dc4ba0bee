package chanpool

import (
	"time"

	"github.com/poolbench/poolbench/internal/expiry"
)

// sweep closes the idle conns that have expired, without waiting for a Get
// to find them. It runs on the reaper's timer goroutine. A channel cannot be
// scanned in place, so it takes each idle entry in turn and sends the good
// ones back (arming the reaper for their expiry): a full pass keeps their
// order. While it holds an entry a Get may miss it and dial or park; a
// parked Get then receives the entry as it is sent back.
func (p *Pool) sweep() {
	now := time.Now()
	for range len(p.idle) {
		select {
		case e := <-p.idle:
			if cause := p.keep.Policy.Expired(&e.Life, now); cause != expiry.Fresh {
				p.keep.Retire(e, cause)
				p.sem.Free()
				continue
			}
			p.idleOrClose(e, p.keep.Policy.ExpiresAt(&e.Life), now)
		default:
			return
		}
	}
}

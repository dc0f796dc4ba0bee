package kernelnet

import (
	"sync"
	"time"
)

// Point is what the kernel shows over one measured window: the TIME_WAIT
// sockets it left, the peaks of the gauges, and how far the listen counters
// moved.
type Point struct {
	// TimeWaitClient and TimeWaitServer are the TIME_WAIT sockets created
	// during the window, by which side closed first.
	TimeWaitClient, TimeWaitServer int
	// CloseWait and SynRecv are the most seen at once.
	CloseWait, SynRecv int
	// ListenOverflows and ListenDrops are how far the counters moved.
	ListenOverflows, ListenDrops uint64
	// PortsInUse is the most ephemeral ports held at once, of Ports.
	PortsInUse, Ports int
	// FDs is the server's most open fds at once and its limit; HasFDs is
	// false when the Reader has no pid.
	FDs    FDs
	HasFDs bool
}

// Window samples a Reader from Begin to End, every interval between when
// interval > 0, and keeps the peaks.
type Window struct {
	r     *Reader
	first Sample
	// before is the conns on the server's port at the first sample,
	// whose TIME_WAIT sockets are not the window's (see earlier).
	before earlier

	mu   sync.Mutex
	peak Point // guarded by mu
	err  error // the first failed sample; guarded by mu

	stop chan struct{}
	done chan struct{}
}

// Begin takes the first sample and starts the sampling. The sampling's cost
// is one sock_diag dump and a few /proc reads per interval; the harness
// keeps interval long next to a request.
func (r *Reader) Begin(interval time.Duration) (*Window, error) {
	before := earlier{}
	first, err := r.sample(0, nil, before)
	if err != nil {
		return nil, err
	}
	w := &Window{r: r, first: first, before: before, stop: make(chan struct{}), done: make(chan struct{})}
	if interval <= 0 {
		close(w.done)
		return w, nil
	}
	go w.run(interval)
	return w, nil
}

func (w *Window) run(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			s, err := w.r.sample(time.Since(w.first.At), w.before, nil)
			w.add(s, err)
		}
	}
}

// add folds sample s (or its error) into the peaks.
func (w *Window) add(s Sample, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		return
	}
	p := &w.peak
	p.TimeWaitClient = max(p.TimeWaitClient, s.Sockets.TimeWaitClient)
	p.TimeWaitServer = max(p.TimeWaitServer, s.Sockets.TimeWaitServer)
	p.CloseWait = max(p.CloseWait, s.Sockets.CloseWait)
	p.SynRecv = max(p.SynRecv, s.Sockets.SynRecv)
	p.PortsInUse = max(p.PortsInUse, s.Sockets.PortsInUse)
	p.ListenOverflows = s.Listen.Overflows - w.first.Listen.Overflows
	p.ListenDrops = s.Listen.Drops - w.first.Listen.Drops
	p.Ports = s.Ports
	if w.r.pid != 0 {
		p.HasFDs = true
		p.FDs.Open = max(p.FDs.Open, s.FDs.Open)
		p.FDs.Limit = s.FDs.Limit
	}
}

// End takes the last sample, stops the sampling and returns the window's
// Point, or the first error any sample had.
func (w *Window) End() (Point, error) {
	select {
	case <-w.done:
	default:
		close(w.stop)
		<-w.done
	}
	s, err := w.r.sample(time.Since(w.first.At), w.before, nil)
	w.add(s, err)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return Point{}, w.err
	}
	// The first sample's gauges count too: a queue full from the start is
	// still full.
	w.peak.CloseWait = max(w.peak.CloseWait, w.first.Sockets.CloseWait)
	w.peak.SynRecv = max(w.peak.SynRecv, w.first.Sockets.SynRecv)
	w.peak.PortsInUse = max(w.peak.PortsInUse, w.first.Sockets.PortsInUse)
	w.peak.FDs.Open = max(w.peak.FDs.Open, w.first.FDs.Open)
	return w.peak, nil
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/poolbench/poolbench/impls/pool"
)

// endWatch keeps a pool with a lost wake-up (silenceper/pool v1.0.0) from
// hanging a benchmark. Such a pool can leave a Get asleep beside an idle conn
// when the Put it missed was the run's last: no later Put comes to wake it,
// and RunParallel never returns (3 of 120 silenceper rows in the exhausted
// scenarios got stuck so in one trial). Once a goroutine has left its loop
// the run is ending; from then on, whenever a whole stall passes with no
// other goroutine leaving, the watch runs one Get+Put of its own, as the
// pool's next caller would in a live program, and that Put wakes the
// sleeper. The stall is short so that a rescued run's time is barely
// inflated; a straggler that is merely slow costs an extra cycle at the end
// of a run, nothing more, which is why the cycles are not logged (on a
// loaded machine most are stragglers). Before the first goroutine leaves,
// the watch sleeps on a channel and costs nothing.
type endWatch struct {
	p     pool.Pool
	stall time.Duration

	left      atomic.Int64  // goroutines that have left their loop
	firstLeft chan struct{} // closed by the first of them
	stop      chan struct{}
	done      chan struct{}
	rescues   int   // written by the watch goroutine, read after done
	err       error // likewise
}

// endStall is how long the end of a run may go with no goroutine leaving its
// loop before the watch runs a cycle.
const endStall = time.Millisecond

func startEndWatch(ctx context.Context, p pool.Pool, stall time.Duration) *endWatch {
	w := &endWatch{p: p, stall: stall,
		firstLeft: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(ctx)
	return w
}

func (w *endWatch) run(ctx context.Context) {
	defer close(w.done)
	select {
	case <-w.stop:
		return
	case <-w.firstLeft:
	}
	tick := time.NewTicker(w.stall)
	defer tick.Stop()
	last := w.left.Load()
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		if n := w.left.Load(); n != last {
			last = n
			continue
		}
		c, err := w.p.Get(ctx)
		if err == nil {
			err = w.p.Put(c)
		}
		if err != nil {
			w.err = fmt.Errorf("end-of-run cycle: %w", err)
			return
		}
		w.rescues++
	}
}

// leave is called by each goroutine as it leaves its loop.
func (w *endWatch) leave() {
	if w.left.Add(1) == 1 {
		close(w.firstLeft)
	}
}

// close stops the watch and returns how many cycles it ran.
func (w *endWatch) close() (int, error) {
	close(w.stop)
	select {
	case <-w.done:
		return w.rescues, w.err
	case <-time.After(10 * time.Second):
		return w.rescues, errors.New("the end-of-run watch's own Get was still waiting 10s after the run")
	}
}

// strandPool is a pool in the state a lost wake-up leaves behind: a conn
// idle and a Get asleep until the next Put hands it one.
type strandPool struct {
	idle    chan net.Conn // one slot
	waiters chan net.Conn // unbuffered: Put hands over only to a Get receiving now
}

func (s *strandPool) Get(context.Context) (net.Conn, error) {
	select {
	case c := <-s.idle:
		return c, nil
	default:
		return <-s.waiters, nil
	}
}

func (s *strandPool) Put(c net.Conn) error {
	select {
	case s.waiters <- c:
	default:
		s.idle <- c
	}
	return nil
}

func (s *strandPool) Discard(c net.Conn) error { return s.Put(c) }
func (s *strandPool) Close() error             { return nil }
func (s *strandPool) Stats() pool.Stats        { return pool.Stats{} }

// TestEndWatch strands a Get beside an idle conn after one goroutine has
// left its loop, and checks that the watch's own Get+Put wakes it; and that
// the watch does nothing while no goroutine has left. Virtual time.
func TestEndWatch(t *testing.T) {
	ctx := context.Background()
	synctest.Test(t, func(t *testing.T) {
		quiet := startEndWatch(ctx, &strandPool{idle: make(chan net.Conn, 1)}, endStall)
		time.Sleep(time.Hour)
		if n, err := quiet.close(); n != 0 || err != nil {
			t.Errorf("with no goroutine gone, the watch ran %d cycles (error %v), want none", n, err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		p := &strandPool{idle: make(chan net.Conn, 1), waiters: make(chan net.Conn)}
		p.idle <- &fakeConn{}
		w := startEndWatch(ctx, p, endStall)
		woken := make(chan struct{})
		go func() { // the stranded Get: once woken, it returns its conn and leaves
			c := <-p.waiters
			p.Put(c)
			w.leave()
			close(woken)
		}()
		synctest.Wait()
		w.leave()                // the last of the other goroutines leaves
		time.Sleep(endStall + 1) // a stall with no one else leaving
		synctest.Wait()
		select {
		case <-woken:
		default:
			t.Fatal("the stranded Get was still asleep a stall after the run's last goroutine left")
		}
		if n, err := w.close(); n != 1 || err != nil {
			t.Errorf("the watch ran %d cycles with error %v, want 1 and none", n, err)
		}
	})
}

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
// and RunParallel never returns. Once a goroutine has left its loop, the run
// is ending; if then a whole stall passes with no other goroutine leaving,
// the watch runs one Get+Put of its own, as the pool's next caller would in a
// live program, and that Put wakes the sleeper. A correct pool never needs
// it; at worst, on a badly overloaded machine, it adds a cycle to the end of
// a run.
type endWatch struct {
	p     pool.Pool
	stall time.Duration

	left    atomic.Int64 // goroutines that have left their loop
	stop    chan struct{}
	done    chan struct{}
	rescues int   // written by the watch goroutine, read after done
	err     error // likewise
}

// endStall is how long a run's end may go with no goroutine leaving its loop.
const endStall = time.Second

func startEndWatch(ctx context.Context, p pool.Pool, stall time.Duration) *endWatch {
	w := &endWatch{p: p, stall: stall, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(ctx)
	return w
}

func (w *endWatch) run(ctx context.Context) {
	defer close(w.done)
	tick := time.NewTicker(w.stall)
	defer tick.Stop()
	last := int64(0)
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		n := w.left.Load()
		if n == 0 || n != last {
			last = n
			continue
		}
		c, err := w.p.Get(ctx)
		if err == nil {
			err = w.p.Put(c)
		}
		if err != nil {
			w.err = fmt.Errorf("end-of-run rescue cycle: %w", err)
			return
		}
		w.rescues++
	}
}

// leave is called by each goroutine as it leaves its loop.
func (w *endWatch) leave() { w.left.Add(1) }

// close stops the watch and returns how many rescue cycles it ran.
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
		time.Sleep(10 * endStall)
		if n, err := quiet.close(); n != 0 || err != nil {
			t.Errorf("with no goroutine gone, the watch ran %d cycles (error %v), want none", n, err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		p := &strandPool{idle: make(chan net.Conn, 1), waiters: make(chan net.Conn)}
		p.idle <- &fakeConn{}
		woken := make(chan struct{})
		go func() { // the stranded Get
			<-p.waiters
			close(woken)
		}()
		synctest.Wait()
		w := startEndWatch(ctx, p, endStall)
		w.leave()
		time.Sleep(2*endStall + 1)
		synctest.Wait()
		select {
		case <-woken:
		default:
			t.Fatal("the stranded Get was still asleep two stalls after the run's last goroutine left")
		}
		if n, err := w.close(); n != 1 || err != nil {
			t.Errorf("the watch ran %d cycles with error %v, want 1 and none", n, err)
		}
	})
}

package servertest_test

import (
	"context"
	"net"
	"sync"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/tracked"
)

// serverBug selects one deliberate defect of the planted echo server;
// "correct" has none.
type serverBug string

const (
	correctServer serverBug = "correct"
	// dropsWriteTail writes at most 4 KiB of each chunk it read, as a server
	// that ignores a short write(2) and drops the rest.
	dropsWriteTail serverBug = "DropsWriteTail"
	// noFlushOnHalfClose closes the conn at the client's FIN, dropping the
	// echo still queued for it.
	noFlushOnHalfClose serverBug = "NoFlushOnHalfClose"
	// leaksOnShutdown closes the listener at Shutdown but leaves its conns
	// and their goroutines running.
	leaksOnShutdown serverBug = "LeaksOnShutdown"
	// unboundedQueue queues echo without limit, so a client that never reads
	// makes it buffer everything the client sends.
	unboundedQueue serverBug = "UnboundedQueue"
)

// queueChunks bounds the echo queued per conn: the reader waits when this
// many chunks are unsent, which is the server's backpressure.
const queueChunks = 16

// planted is an echo server of two goroutines per conn: a reader that queues
// what it reads and a writer that sends it back, as event-loop servers queue
// echo in user space. With no bug it passes every servertest property.
type planted struct {
	ln       *tracked.Listener
	cfg      server.Config
	counters server.Counters
	bug      serverBug
	wg       sync.WaitGroup
	stop     server.Stop
}

// plantedStart returns a servertest.Start for the planted server with bug.
func plantedStart(bug serverBug) func(server.Config) (server.Server, error) {
	return func(cfg server.Config) (server.Server, error) {
		cfg, err := cfg.Normalized()
		if err != nil {
			return nil, err
		}
		s := &planted{cfg: cfg, bug: bug}
		if s.ln, err = tracked.Listen(cfg, &s.counters); err != nil {
			return nil, err
		}
		s.wg.Go(func() { s.ln.Serve(&s.wg, s.serve) })
		return s, nil
	}
}

func (s *planted) Addr() net.Addr      { return s.ln.Addr() }
func (s *planted) Stats() server.Stats { return s.counters.Snapshot() }

func (s *planted) Shutdown(ctx context.Context) error {
	if s.bug == leaksOnShutdown {
		return s.stop.Shutdown(ctx, func() { _ = s.ln.Close() }, nil)
	}
	return s.stop.Shutdown(ctx, func() {
		_ = s.ln.Close()
		s.ln.CloseConns()
	}, s.wg.Wait)
}

// serve reads chunks into the queue; the writer sends them back. At the
// client's FIN the queue is closed and the writer drains it before the conn
// closes.
func (s *planted) serve(c net.Conn) {
	depth := queueChunks
	if s.bug == unboundedQueue {
		depth = 1 << 20 // chunks: far beyond what any property sends
	}
	queue := make(chan []byte, depth)
	writer := make(chan struct{})
	go func() {
		defer close(writer)
		for chunk := range queue {
			if s.bug == dropsWriteTail {
				chunk = chunk[:min(len(chunk), 4<<10)]
			}
			if _, err := c.Write(chunk); err != nil {
				c.Close() // the client is gone: unblock the reader too
				for range queue {
				}
				return
			}
		}
	}()
	for {
		buf := make([]byte, s.cfg.ReadBufferSize)
		n, err := c.Read(buf)
		if n > 0 {
			queue <- buf[:n]
		}
		if err != nil {
			break
		}
	}
	if s.bug == noFlushOnHalfClose {
		c.Close()
	}
	close(queue)
	<-writer
	c.Close()
}

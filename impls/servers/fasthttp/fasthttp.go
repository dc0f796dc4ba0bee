// Package fasthttp is the HTTP/1.1 echo server on github.com/valyala/fasthttp:
// a POST's body comes back as a 200 response body; other methods get 405.
// Conns are kept alive and may pipeline requests.
//
// Config maps onto fasthttp as follows:
//   - Loops is the number of goroutines running fasthttp's Server.Serve on
//     the one listener: each is an accept loop with its own worker pool.
//     fasthttp serves each conn on a pooled worker goroutine, so there is
//     no event loop to size; the accept loops are what Loops can set.
//   - ReadBufferSize is fasthttp's ReadBufferSize and WriteBufferSize, the
//     per-conn buffers (a request head must fit in the read buffer).
//   - MaxConns is enforced by the listener (impls/server/tracked), which
//     closes conns beyond it at accept; fasthttp's own Concurrency limit,
//     which would answer 503 instead, is set to its default and not reached.
//     The listener also logs and retries a failing Accept (out of fds),
//     which would end fasthttp's Serve for good.
//
// Backpressure is the blocking write of the worker goroutine: a client that
// does not read its responses stalls its worker, which stops reading that
// conn, so the server holds at most one request (up to MaxBodySize) and one
// response of that client.
//
// Stats count the bytes of whole HTTP messages (heads and bodies), as read
// from and written to the conns.
package fasthttp

import (
	"context"
	"log"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	fh "github.com/valyala/fasthttp"

	"github.com/poolbench/poolbench/impls/server"
	"github.com/poolbench/poolbench/impls/server/tracked"
)

// MaxBodySize is the largest request body served (fasthttp's
// MaxRequestBodySize); a larger one gets 413.
const MaxBodySize = 4 << 20

// workerIdle is fasthttp's MaxIdleWorkerDuration. Each Serve loop's worker
// pool has a cleaner goroutine that sleeps this long between rounds and
// that nothing waits for; Shutdown waits this long after the loops return
// so that it has ended too (fasthttp's default, 10s, would make that wait
// long).
const workerIdle = 100 * time.Millisecond

// Server is a running fasthttp echo server.
type Server struct {
	ln       *tracked.Listener
	srv      *fh.Server
	counters server.Counters
	// serving counts the Serve goroutines.
	serving sync.WaitGroup
	quiet   atomic.Bool // set by Shutdown: errors of the conns it closes are expected
	stop    server.Stop
}

// Start binds cfg.Addr and runs cfg.Loops Serve loops on it.
func Start(cfg server.Config) (server.Server, error) {
	cfg, err := cfg.Normalized()
	if err != nil {
		return nil, err
	}
	s := &Server{}
	if s.ln, err = tracked.Listen(cfg, &s.counters); err != nil {
		return nil, err
	}
	s.srv = &fh.Server{
		Handler:               echo,
		Name:                  "poolbench",
		Concurrency:           fh.DefaultConcurrency,
		ReadBufferSize:        cfg.ReadBufferSize,
		WriteBufferSize:       cfg.ReadBufferSize,
		MaxRequestBodySize:    MaxBodySize,
		NoDefaultServerHeader: true,
		NoDefaultDate:         true, // saves a header; clients here do not need it
		NoDefaultContentType:  true,
		CloseOnShutdown:       true,
		MaxIdleWorkerDuration: workerIdle,
		Logger:                logger{log.New(os.Stderr, "fasthttp: ", log.LstdFlags), &s.quiet},
	}
	for range cfg.Loops {
		s.serving.Go(func() {
			// Serve returns nil once the listener is closed; any other
			// error is the listener failing, which Shutdown cleans up.
			_ = s.srv.Serve(s.ln)
		})
	}
	return s, nil
}

// echo answers a POST with its body.
func echo(ctx *fh.RequestCtx) {
	if !ctx.IsPost() {
		ctx.Error("POST a body to have it echoed", fh.StatusMethodNotAllowed)
		return
	}
	// The request outlives the response's write, and nothing changes its
	// body, so the response may share it rather than copy it.
	ctx.Response.SetBodyRaw(ctx.PostBody())
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Stats returns the server's counters.
func (s *Server) Stats() server.Stats { return s.counters.Snapshot() }

// Shutdown closes the listener and every conn, even one in the middle of a
// request (fasthttp's own shutdown waits for those), then waits for
// fasthttp's conn count to reach zero, for the Serve loops to return and
// for their worker pools' cleaners (workerIdle).
func (s *Server) Shutdown(ctx context.Context) error {
	return s.stop.Shutdown(ctx, func() {
		s.quiet.Store(true)
		_ = s.ln.Close()
		s.ln.CloseConns()
	}, func() {
		// Every conn is closed, so this returns; it polls every 100ms.
		_ = s.srv.ShutdownWithContext(context.Background())
		s.serving.Wait()
		time.Sleep(workerIdle) // the cleaners stop at their next round
	})
}

// logger sends fasthttp's error reports to stderr, and drops them once
// quiet is set.
type logger struct {
	l     *log.Logger
	quiet *atomic.Bool
}

func (g logger) Printf(format string, args ...any) {
	if !g.quiet.Load() {
		g.l.Printf(format, args...)
	}
}

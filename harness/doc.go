// Package harness is poolbench's load generator: it loads echo servers
// through connection pools at rising concurrency and writes what it
// measured in the Go benchmark format, for benchstat and the report.
//
// The engine is the Sweep type. For each server design, each pool design
// and each concurrency level N it runs one point: the server is started as
// a child process of its own (Process, "poolbench serve -design NAME -addr
// 127.0.0.1:0 -loops L"; or one External server), N workers share one pool
// with MaxConns = N and each loops Get, write the message, read the echo,
// verify every byte, Put (Discard on error), for Warmup and then Duration;
// the server is stopped with SIGTERM. Repetitions are interleaved (rep 1 of
// every point, then rep 2, ...). HTTP servers are spoken to in HTTP/1.1
// POST over the pooled conn itself, never through net/http's own pool.
//
// Two load models. Closed loop (Rate 0): each worker sends as soon as its
// previous echo is back; latency runs from the call to Get to the verified
// echo. Open loop (Rate R): worker i of N sends on its own fixed schedule,
// every N/R seconds, and latency runs from the intended send time, so a
// server stall shows in the latency of every request due during it rather
// than being hidden by sending less (coordinated omission).
//
// A successful request counts when it completes inside the window
// [Warmup, Warmup+Duration); a failed one when it completes before the
// window's end, warm-up included, so that failures while the pool fills
// (refused or timed-out dials) are not hidden. The worker loop allocates nothing per request
// (BenchmarkWorkerLoop).
//
// # Output
//
// Results.Write (and WriteFile, atomically) emits, through package results
// (which owns the names' keys, the units and the configuration keys):
//
// Unit metadata lines ("Unit req/s better=higher", every other unit
// better=lower), then one configuration block per server:
//
//	goos, goarch, cpu, go      as the testing package writes them
//	model                      closed | open
//	rate                       total req/s; none in closed loop
//	size                       message bytes (raw echo payload, HTTP body)
//	duration, warmup, count    the sweep's settings
//	server                     server design name (also in the names, below)
//	protocol                   echo | http
//	loops                      the server's event loops; none for an external server
//	launch                     child | external
//
// The pool is deliberately not a configuration key, so that
// "benchstat -col /pool -row /conns FILE" compares pools side by side in
// one table per server. Each point of each repetition is one result:
//
//	BenchmarkEcho/server=S/pool=P/conns=N-G  ITERS  values...
//
// where G is the client's GOMAXPROCS and ITERS the successful requests.
// Values, per point:
//
//	req/s          successful requests per second of the window
//	p50-ns p90-ns p99-ns p999-ns max-ns
//	               latency of successful requests (HDR histogram, 3 digits;
//	               max exact); absent when no request succeeded
//	errors         failed requests, warm-up included
//	CLASS-errors   per class, only when non-zero: reset, refused, timeout,
//	               emfile, short (EOF before the whole echo), wrong (bytes
//	               differ, or an HTTP reply that is not the echo), other
//	dials          dials the pool started in the point, warm-up included
//	               (pool Stats; N when no conn broke; 0 for a pool without Stats)
//	wait-ns/op     mean time a successful request spent in Get
//	cpu-ns/op      client CPU (user+system, getrusage) per successful request
//	rss-B/conn     the server's VmRSS growth over its idle baseline, at the
//	               end of the window, per conn; child servers only
//
// benchstat tidies the -ns units to seconds (p99-sec, wait-sec/op).
//
// The saturation knee of each (server, pool) is a separate result after
// that server's points, only when one was found:
//
//	BenchmarkKnee/server=S/pool=P-G  1  K conns
//
// K is the lowest level beyond which req/s grows less than 5% while p99
// keeps rising (FindKnee, on the median req/s and p99 over repetitions). No
// Knee line means no knee within the levels swept; stderr says so.
//
// Under the server-restart fault (Restart; Results.Restarts), each point
// also gives one result after the server's knees, with "Unit recovered
// better=higher" and the other four better=lower:
//
//	BenchmarkRestart/server=S/pool=P/model=M/conns=N-G  1  values...
//
//	failures      requests that failed (failed Get or Discard) after the
//	              relaunched server accepted
//	down-ns       from the kill until the relaunched server accepted
//	first-ok-ns   from then until the first request that succeeded
//	settle-ns     from then until the last request that failed; absent
//	              when failures is 0 (a 0 would read back as its own unit)
//	recovered     1 if requests succeeded after the restart and the last
//	              failure came before the last success, else 0
//
// M is the model (closed or open). Times are absent when they did not
// happen (no relaunch; nothing succeeded after it).
//
// The keys rate (closed loop), and fault and restart (set by poolbench
// sweep) are written as "none" when unset, never empty (benchstat prints
// an empty value as a header line of its own): result files appended one
// after another keep their configurations apart.
//
// # Checks
//
// The harness is not the bottleneck: scripts/harness-vs-wrk.sh loads one
// fasthttp server with wrk and with the sweep's HTTP mode at 64 conns in
// interleaved rounds and prints the ratio (target >= 0.8). The worker loop
// does not allocate: go test -run '^$' -bench WorkerLoop ./harness (0
// allocs/op; TestWorkerLoopAllocs asserts it outside -race). 10,000 conns
// against an event-loop server in its own process:
//
//	poolbench sweep -servers gnet,nbio -pools ring -conns 10000 -duration 3s -warmup 3s -count 1 -out /tmp/10k.txt
//
// must report 0 errors and 10000 dials for each server.
package harness

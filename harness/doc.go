// Package harness is poolbench's load engine. It owns how a pool is put
// under load and measured: the Sweep (servers x pool designs x pool sizes
// x worker levels, repetitions interleaved), its experiments (a fault
// proxy, a server restart under load) and scenarios (restart while idle,
// the cold burst: Restart.Idle, ColdBurst), and what each point measured. It must not know any design: pools and
// servers come in as values (Pool, Server) built by the caller from the
// registry, and it imports only the contracts (impls/pool, impls/server).
// It does not know the result format either: it writes through package
// results, which owns the names, units and configuration keys.
//
// # Where a new thing goes
//
//   - A new per-point metric: measure it in the worker loop or runPoint
//     (point.go), add a field to Point, and write it in pointResult
//     (output.go) under a Unit declared in package results.
//   - A new experiment applied to every point (a fault, a restart mode): a
//     field of Sweep, checked in Validate and carried out in runPoint or
//     launch (restart_launch.go); its result is a field of Point.
//   - A new scenario that replaces the steady load: an experiment
//     (scenarios.go) with a record of its own, run by runPlanned, decided
//     on its headline value and written by Results.write.
//   - New defaults or levels: Settings and Presets (settings.go), the one
//     place they live.
//
// # A point
//
// For each server design, each pool design, each pool size M
// (Settings.MaxConns; Auto means M = W) and each worker level W it runs
// one point: the server is started as a child process of its own
// (Process, "poolbench serve -design NAME -addr 127.0.0.1:0 -loops L"; or
// one External server), W workers share one pool of MaxConns = M and each
// loops Get, write the message, read the echo, verify every byte, Put
// (Discard on error), for Warmup and then Duration; the server is stopped
// with SIGTERM. Pools larger than their workers are not swept.
// Repetitions are interleaved (rep 1 of every point, then rep 2, ...).
// HTTP servers are spoken to in HTTP/1.1 POST over the pooled conn
// itself, never through net/http's own pool.
//
// Two load models. Closed loop (Rate 0): each worker sends as soon as its
// previous echo is back; latency runs from the call to Get to the verified
// echo. Open loop (Rate R): worker i of W sends on its own fixed schedule,
// every W/R seconds, and latency runs from the intended send time, so a
// server stall shows in the latency of every request due during it rather
// than being hidden by sending less (coordinated omission).
//
// A successful request counts when it completes inside the window
// [Warmup, Warmup+Duration); a failed one when it completes before the
// window's end, warm-up included, so that failures while the pool fills
// (refused or timed-out dials) are not hidden. The worker loop allocates
// nothing per request (BenchmarkWorkerLoop).
//
// # Output
//
// Results (written by Results.Write and WriteFile, atomically)
// gives one result per point and repetition, grouped in one configuration
// block per server:
//
//	BenchmarkEcho/server=S/pool=P/maxconns=M/workers=W-G  ITERS  values...
//
// where G is the client's GOMAXPROCS and ITERS the successful requests.
// The configuration keys and units are package results' (keys.go,
// units.go): goos, goarch, cpu, go, model, rate, size, duration, warmup,
// count, fault, restart, server, protocol, loops, launch, never empty. The
// pool is deliberately not a configuration key, so that "benchstat -col
// /pool -row /workers FILE" compares pools side by side. Values per point:
// req/s; latency p50/p90/p99/p999/max of the successful requests (HDR
// histogram, 3 digits; max exact); errors, and per class when non-zero
// (reset, refused, timeout, emfile, short, wrong, lost, addrnotavail, other); dials (counted
// by the harness's Dial, so pools without Stats are measured alike); time
// in Get: mean (wait-ns/op), p50, p99, max, and the share of Gets that
// waited (results.WaitThreshold or longer); Jain's fairness index over the
// workers' completed requests (jain); the longest time any worker went
// without completing a request (stall-ns); client CPU per request; and
// the server's RSS growth per conn (child servers only).
//
// The saturation knee of each (server, pool) is not written: it is
// derived from the points whose pool is as large as its workers
// (results.FindKnee), by the progress log here and by the report alike.
//
// Restart while idle and the cold burst write one result per point and
// repetition instead of Echo results (package results, scenarios.go):
//
//	BenchmarkRestartIdle/server=S/pool=P/maxconns=M/workers=W-G  1  values...
//	BenchmarkColdBurst/server=S/pool=P/maxconns=M/burst=B/dial=D-G  1  values...
//
// Under Sweep.Restart each point also gives a result of its own, after
// the server's Echo points:
//
//	BenchmarkRestart/server=S/pool=P/model=M/maxconns=M/workers=W-G  1  values...
//
// failures (after the relaunched server accepted), down-ns, first-ok-ns,
// settle-ns (absent when failures is 0) and recovered (better=higher).
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

// Package bench holds poolbench's `go test -bench` benchmarks.
//
// BenchmarkPool measures one Get+Put cycle of every registered pool design,
// and of two reference rows, over fake conns that do no I/O, in four
// scenarios:
//
//	uncontended      one goroutine, Get then Put
//	parallel         RunParallel, one goroutine per P, MaxConns = GOMAXPROCS
//	exhausted        32 goroutines per P share MaxConns = 4, starting with
//	                 every conn held until all of them have queued
//	                 (exhaustGate), so the row measures waiting Gets from its
//	                 first op rather than from whenever a holder is first
//	                 descheduled
//	exhausted-yield  the same, and the holder yields (runtime.Gosched) while
//	                 it holds the conn
//
// The floor is a bare array of slots claimed with a CAS, the cheapest
// Get+Put possible; it spins while every slot is taken, so in the exhausted
// scenarios it does not wait in order. The FIFO floor (impl=fifofloor) is a
// bare buffered channel of conns, the cheapest first-in-first-out wait the
// runtime offers: in the exhausted scenarios a design's time over it is
// what the design does beyond parking and waking (counting waits, ctx,
// breaking the hand-off chain below, leases), and no design that waits in
// order beats it by much.
//
// Rows are named for benchstat projections:
// BenchmarkPool/impl=ring/scenario=uncontended-2. The exhausted scenarios also
// report the p99 and the maximum time a Get waited (p99-wait-ns, max-wait-ns),
// which is what a pool's unfairness costs its unluckiest callers. Measuring
// a wait adds about 30ns to each Get (two reads of the CPU's time-stamp
// counter and a histogram record; BenchmarkWaitRecorder), to every design
// alike.
//
// In the exhausted rows at -cpu 1 the maximum wait of a design that always
// hands off on the spot is the row's length (56 ms at -benchtime 50ms,
// 214-342 ms at 300ms; mutexlist and puddle at fc8360b). A Put readies the
// Get it grants into its P's runnext, and the putter's next Get parks, so
// the woken Get runs next and inherits the time slice: a chain of
// hand-offs that always refills runnext, while a Get readied earlier and
// pushed out of runnext into the local run queue waits there, holding its
// granted conn, until the chain ends with the row. Our designs break the
// chain (internal/parking for ring and shard, internal/chansem for
// chanpool, mutexlist's Put): one grant in 64 yields first, and their max
// wait there is a fraction of a millisecond. exhausted-yield
// breaks it for every design (the holder's Gosched empties runnext), and
// at -cpu 2 the other P steals from the queue, which bounds the wait but
// not tightly.
//
// `make bench-pool` runs them into results/raw/pool.txt (scripts/bench-pool.sh).
package bench

# poolbench: `make bench` runs the benchmarks on loopback, `make test` runs all tests.
GO        ?= go
POOLBENCH := $(GO) run ./cmd/poolbench
BASE      ?= HEAD~1

.PHONY: test bench bench-full bench-pool bench-faults sweep sweep-close scenarios sizes report conformance report-only gate

## test: the Debian tools tests drive (installed when absent), go.mod tidy, vet, then every
## test under the race detector.
test:
	scripts/test-deps.sh
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GO) test -race -timeout 9m ./...

## bench: the pool micro-benchmarks, the oversubscribed echo sweep, the server-closes-first sweep, the scenarios (restart while
## idle, cold burst), the sizes sweep (every server design, udp included), then REPORT.md from results/ (the conformance matrix as last written by
## make conformance: it depends on the code, not on the benchmarks, and takes a minute and a half);
## about 5½-6½ minutes: 327 s measured in a fresh clone with empty Go caches on a quiet AMD EPYC
## machine (load average below 1 when it started), module downloads and compiling included,
## bench-pool 100 s of it; 376 s on a quiet 2-core Intel Xeon VM (bench-pool about 125 s);
## 467 s once on a machine other jobs were loading (bench-pool 157 s). The sweep's per-point costs
## were cut this round (the kernel filters its sock_diag dump, one walk for both families; shard
## histograms summed, 8 per P), which run its points in 0.56-0.61 of their time (3 interleaved A/B
## pairs of its net half, 792 points: 77-84 s against 123-143 s).
bench: bench-pool sweep sweep-close scenarios sizes report-only

## bench-full: the publication-grade run: 20 micro-benchmark runs per row, the full preset
## (1 s points, 10 repetitions, every server, W from 1 to 1024 against pools of 4, 16, 64 and
## auto, undecided points repeated up to 20), the scenarios on every server at 4, 16 and 64
## conns with 10 to 20 repetitions. About 4 hours (estimated: ~9,900 points of 1.2 s plus a
## child's start-up each); it prints its own time at the end.
bench-full:
	@start=$$(date +%s); \
	$(MAKE) bench-pool COUNT=20 POOLTIME=60ms && \
	$(MAKE) sweep SWEEPFLAGS='-preset full -cap 20 -cap-time 30m' && \
	$(MAKE) scenarios SCENARIOFLAGS='-conns 4,16,64 -restart 300ms -restart-idle -duration 500ms -cold-burst 4 -dial-delays 1ms,10ms -count 10 -cap 20' && \
	$(MAKE) report && \
	echo "bench-full: $$(( $$(date +%s) - start ))s"

## bench-pool: pool Get/Put micro-benchmarks, 10 interleaved runs of every row at -cpu 1,2, each
## row with -cpuprofile, into results/raw/pool.txt and results/raw/pool-profile.txt (pprof -top per row).
## Extra: make bench-pool POOLCPU=1,2,4,8 (rows past the core count measure CPU oversubscription).
POOLCPU ?= 1,2
POOLTIME ?= 20ms
bench-pool:
	CPU=$(POOLCPU) BENCHTIME=$(POOLTIME) scripts/bench-pool.sh results/raw/pool.txt
	$(GO) tool benchstat -col /impl results/raw/pool.txt

## bench-faults: every pool through a latency=1ms and a latency=10ms proxy, and with its server
## killed and restarted mid-point (closed and open loop), into results/raw/faults.txt (~5 min: 317 s measured).
bench-faults:
	scripts/bench-faults.sh results/raw/faults.txt
	$(GO) tool benchstat -col /pool -row /workers -filter '.unit:(req/s OR p99-ns OR failures OR recovered)' results/raw/faults.txt

## sweep: the oversubscribed sweep: a goroutine-per-conn server (net) and an event-loop one
## (gnet), every pool, pools of 4, 16 and 64 conns against 4 to 1024 workers (W/M 1 to 256),
## 30 ms points after 10 ms of warm-up, one server process per design (-share-server), six
## interleaved repetitions, then undecided points again up to 8 within 10 s; into results/raw/echo.txt, which it replaces (-force).
## Extra flags: make sweep SWEEPFLAGS='-preset full' or '-workers 1,2,4,8 -maxconns auto -count 10'.
SWEEPFLAGS ?= -preset quick -servers net,gnet -maxconns 4,16,64 -workers 4,16,64,256,1024 \
	-duration 30ms -warmup 10ms -share-server -cap 8 -cap-time 10s
sweep:
	$(POOLBENCH) sweep -out results/raw/echo.txt -force $(SWEEPFLAGS)

## sweep-close: the server closes first: net's children close each conn after one echo (serve
## -close-after), every request waits for that close, so TIME_WAIT lands on the server's side;
## dial (no pool) and chanpool (which can reuse nothing then) at 4, 16 and 64 workers, 50 ms
## points after 10 ms of warm-up, six interleaved repetitions, into results/raw/close.txt (~10 s).
CLOSEFLAGS ?= -servers net -pools dial,chanpool -server-closes -conns 4,16,64 -duration 50ms -warmup 10ms -count 6
sweep-close:
	$(POOLBENCH) sweep -out results/raw/close.txt -force $(CLOSEFLAGS)

## scenarios: restart while idle (-restart-idle: load 100ms, quiet, kill and relaunch, resume
## 150ms) and the cold burst (4 x MaxConns Gets on an empty pool, dials costing 1ms and 10ms) on
## a goroutine-per-conn and an event-loop server, every pool, 16 conns, into results/raw/scenarios.txt.
## Six interleaved repetitions, then the leaders of undecided questions again up to 8 (~1 min).
SCENARIOFLAGS ?= -servers net,gnet -conns 16 -restart 100ms -restart-idle -duration 150ms \
	-cold-burst 4 -dial-delays 1ms,10ms -count 6 -cap 8 -cap-time 10s
scenarios:
	$(POOLBENCH) sweep -out results/raw/scenarios.txt -force $(SCENARIOFLAGS)

## sizes: bulk transfer by message size: every server design (net, gnet, nbio, fasthttp) echoing
## 64 B to 1 MiB in powers of 4 into results/raw/sizes.txt, and udp up to 16 KiB (the largest
## power of 4 in a datagram) into results/raw/sizes-udp.txt, with a 20 ms op timeout so that a lost
## datagram is counted inside its point instead of holding a worker for 5 s; one pool (ring) as large
## as its 1 or 4 workers, 40 ms points after 10 ms of warm-up, one server process per design, six
## interleaved repetitions (~30 s). Both files are replaced (-force).
## Extra flags: make sizes SIZESFLAGS='-pools ring -conns 16 -duration 1s -count 10'.
SIZES     ?= 64,256,1Ki,4Ki,16Ki,64Ki,256Ki,1Mi
UDPSIZES  ?= 64,256,1Ki,4Ki,16Ki
SIZESFLAGS ?= -pools ring -conns 1,4 -duration 40ms -warmup 10ms -count 6 -share-server
sizes:
	$(POOLBENCH) sweep -out results/raw/sizes.txt -force -servers net,gnet,nbio,fasthttp -sizes $(SIZES) $(SIZESFLAGS)
	$(POOLBENCH) sweep -out results/raw/sizes-udp.txt -force -servers udp -sizes $(UDPSIZES) -timeout 20ms $(SIZESFLAGS)

## report: regenerate results/conformance.json (make conformance), then REPORT.md from results/.
report: conformance report-only

## conformance: pooltest on every registered pool, into results/conformance.json (~1.5 min).
conformance:
	$(GO) test -tags conformance ./impls -run '^TestConformanceMatrix$$' -count 1

## report-only: the per-pool files results/<pool>.txt from results/raw/ (poolbench split, for
## benchstat results/*.txt), then REPORT.md from results/ as they are (what the golden test in e2e checks).
report-only:
	$(POOLBENCH) split -results results
	$(POOLBENCH) report -results results -out REPORT.md

## gate: CI's regression gate (scripts/gate.sh) of BASE (default HEAD~1) against the
## working tree. make reports any failure as exit 2, so scripts call scripts/gate.sh,
## which exits as the gate does: 0 pass, 1 regression, 2 cannot decide.
gate:
	scripts/gate.sh $(BASE)

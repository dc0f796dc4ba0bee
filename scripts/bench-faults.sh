#!/usr/bin/env bash
# bench-faults.sh OUT: the pool designs under faults, into OUT, atomically
# (a failed or interrupted run leaves the previous OUT untouched).
#
# Four sweeps of every registered pool against SERVERS (default net, the
# goroutine-per-conn server, and gnet, an event loop) at CONNS (default
# 1,4,16,64), each point COUNT (default 2) times, appended into one file:
#
#   fault: latency=1ms    closed loop through a toxiproxy hop that holds
#   fault: latency=10ms   every chunk from the server that long; every dial
#                         also waits that long (a handshake's round trip)
#   restart: 200ms        the server is SIGKILLed at the middle of each
#                         400ms point and started again on the same port;
#                         closed loop, then open loop at RATE req/s
#                         (default 2000), which leaves conns idle in the
#                         pool across the restart
#
# Each sweep's file sets its own configuration lines (fault, restart,
# model, rate; unset ones written as off or none), so benchstat and the report keep
# the four groups apart. The restart sweeps add one BenchmarkRestart result
# per point (failures, down-ns, first-ok-ns, settle-ns, recovered; see
# harness/doc.go). Takes about 5 minutes on 2 idle cores (317 s measured).
set -euo pipefail
out=$(realpath -m "${1:?usage: bench-faults.sh OUT}")
cd "$(dirname "$0")/.."
mkdir -p "$(dirname "$out")"
work=$(mktemp -d)
tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -rf "$work" "$tmp"' EXIT
start=$SECONDS

# One build for the four sweeps (and the servers they start), not a
# "go run" link per sweep.
go build -o "$work/poolbench" ./cmd/poolbench
common=(-servers "${SERVERS:-net,gnet}" -conns "${CONNS:-1,4,16,64}" -count "${COUNT:-2}" -warmup 100ms -duration 200ms)
restart=(-warmup 100ms -duration 300ms -restart 200ms)

n=0
sweep() {
	n=$((n + 1))
	echo "bench-faults: sweep $n of 4: $*" >&2
	# Per-point progress is dropped; the restart lines and any warning stay.
	"$work/poolbench" sweep "${common[@]}" -out "$work/$n.txt" "$@" 2> >(grep -v '^sweep: \[' >&2)
	cat "$work/$n.txt" >>"$tmp"
}
sweep -fault latency=1ms
sweep -fault latency=10ms
sweep "${restart[@]}"
sweep "${restart[@]}" -rate "${RATE:-2000}"

chmod 644 "$tmp" # mktemp makes it 0600
mv "$tmp" "$out"
trap 'rm -rf "$work"' EXIT
echo "bench-faults: $(grep -c '^Benchmark' "$out") results in $((SECONDS - start))s -> $out" >&2

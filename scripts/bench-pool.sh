#!/usr/bin/env bash
# bench-pool.sh OUT: run the pool micro-benchmarks (BenchmarkPool in ./bench)
# into OUT, atomically: a failed or interrupted run leaves the previous OUT
# untouched.
#
# Environment: COUNT (default 10) runs of every row, at each GOMAXPROCS in
# CPU (default 1,2), each row run for BENCHTIME (default 60ms, which keeps
# the whole run near two minutes on 2 cores: 7 designs x 4 scenarios x 2 CPU
# settings x 10 counts). benchstat takes medians over the COUNT runs.
set -euo pipefail
out=$(realpath -m "${1:?usage: bench-pool.sh OUT}")
cd "$(dirname "$0")/.."
mkdir -p "$(dirname "$out")"
tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
start=$SECONDS
go test ./bench -run '^$' -bench '^BenchmarkPool$' -benchmem \
	-count "${COUNT:-10}" -cpu "${CPU:-1,2}" -benchtime "${BENCHTIME:-60ms}" -timeout 30m >"$tmp"
chmod 644 "$tmp" # mktemp makes it 0600
mv "$tmp" "$out"
trap - EXIT
echo "bench-pool: $(grep -c '^BenchmarkPool' "$out") results in $((SECONDS - start))s -> $out" >&2

#!/usr/bin/env bash
# bench-pool.sh OUT: run the pool micro-benchmarks into OUT, atomically.
# A failed or interrupted run leaves the previous OUT untouched.
set -euo pipefail
out=${1:?usage: bench-pool.sh OUT}
tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
go test ./bench -run '^$' -bench '^BenchmarkPool$' -benchmem -count "${COUNT:-10}" -cpu "${CPU:-1,2}" -timeout 30m >"$tmp"
mv "$tmp" "$out"
trap - EXIT

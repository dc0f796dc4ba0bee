#!/usr/bin/env bash
# harness-vs-wrk.sh: is the harness the bottleneck? Loads one fasthttp
# server with wrk and with "poolbench sweep" in HTTP mode, same conns, in
# interleaved rounds (wrk, sweep, sweep, wrk, ...), and prints each round's
# req/s and the ratio harness/wrk. The target is a median ratio >= 0.8.
#
# Environment: ROUNDS (4), CONNS (64), DURATION (3s), THREADS (wrk -t, 2),
# POOL (ring), SIZE (64), LOOPS (server event loops, 1).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-4} conns=${CONNS:-64} duration=${DURATION:-3s} threads=${THREADS:-2}
pool=${POOL:-ring} size=${SIZE:-64} loops=${LOOPS:-1}

command -v wrk >/dev/null || { echo "harness-vs-wrk: wrk not found (apt-get install -y wrk)" >&2; exit 2; }
tmp=$(mktemp -d)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/poolbench" ./cmd/poolbench

# The server, with its address on the first line of its stdout.
mkfifo "$tmp/addr"
"$tmp/poolbench" serve -design fasthttp -addr 127.0.0.1:0 -loops "$loops" >"$tmp/addr" 2>"$tmp/server.log" &
server_pid=$!
read -r line <"$tmp/addr" || { cat "$tmp/server.log" >&2; exit 1; }
exec 3<"$tmp/addr" # keep the fifo open so the server never blocks on it
addr=${line##* }
echo "fasthttp server at $addr (loops $loops); $conns conns, $duration per run, $rounds rounds"

cat >"$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.body = string.rep("a", $size)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

run_wrk() {
	wrk -t "$threads" -c "$conns" -d "$duration" -s "$tmp/post.lua" "http://$addr/" |
		awk '/^Requests\/sec:/ { print $2 }'
}

# The sweep writes benchfmt; benchstat reads it back (-format csv) so no
# script parses benchmark lines. The req/s row's center is the value.
run_harness() {
	"$tmp/poolbench" sweep -addr "$addr" -servers fasthttp -pools "$pool" -conns "$conns" \
		-duration "$duration" -warmup 500ms -count 1 -size "$size" -out "$tmp/h.txt" 2>"$tmp/h.log" ||
		{ cat "$tmp/h.log" >&2; exit 1; }
	go tool benchstat -format csv -filter '.unit:req/s' "$tmp/h.txt" 2>/dev/null |
		awk -F, '$1 ~ /^Echo\// { print $2; exit }'
}

ratios=()
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then w=$(run_wrk); h=$(run_harness); else h=$(run_harness); w=$(run_wrk); fi
	ratio=$(awk -v h="$h" -v w="$w" 'BEGIN { printf "%.3f", h / w }')
	ratios+=("$ratio")
	printf 'round %d: wrk %.0f req/s, harness %.0f req/s, ratio %s\n' "$r" "$w" "$h" "$ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "median ratio harness/wrk: $median (target >= 0.8)"

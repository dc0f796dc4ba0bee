#!/usr/bin/env bash
# soak.sh [DURATION] [OUT]: does anything grow with time instead of load?
#
# Starts one long-lived "poolbench serve" per server design (SERVERS,
# default every registered one) and, against each, one "poolbench sweep
# -addr" client that loops over every pool design at CONNS (default
# 1,16,64) until DURATION (default 10m; Ns, Nm or Nh) is up; then SIGINT
# stops the clients (each keeps its finished points) and SIGTERM the
# servers. Once a second it samples every process's RSS (/proc/PID/status),
# open fds (/proc/PID/fd) and goroutines (-debug-addr's pprof goroutine
# count). The summary, written to OUT (default results/raw/soak.txt)
# atomically, gives per process and measure (scripts/soak-table.awk, over
# the samples after the first SKIP, default 10% of the run) the fitted
# growth per hour, the same of each minute's minimum, and the minimum and
# maximum of its first and last minute: the load cycles every few
# seconds, so growth with time shows as a rising floor, and growth with
# load as a wide range that does not move. The verdict names a measure
# whose floor rose by more than 10% and more than 2 (MiB, goroutines,
# fds); else "flat". The
# raw samples go to OUT's name with .samples.tsv.
#
# Needs bash 4.1 or later (its /dev/tcp, {fd} redirections). Runs next to
# anything else on the machine: its load is that
# of the sweeps (one client per server, all at once), so read the
# figures as growth, not speed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds() { # 90, 90s, 10m, 1h -> seconds
	case $1 in
	*h) echo $((${1%h} * 3600)) ;;
	*m) echo $((${1%m} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}
dur=$(seconds "${1:-10m}")
out=$(realpath -m "${2:-results/raw/soak.txt}")
[[ $dur =~ ^[0-9]+$ && $dur -ge 30 ]] || { echo "soak: duration ${1:-}: want at least 30s" >&2; exit 2; }
skip=${SKIP:-$((dur / 10))}
conns=${CONNS:-1,16,64}
mkdir -p "$(dirname "$out")"

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/poolbench" ./cmd/poolbench
pb=$work/poolbench
built="$(go env GOVERSION), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
started=$(date -u +%Y-%m-%dT%H:%MZ)
if [[ -z ${SERVERS:-} ]]; then
	# The registry's list, from the usage of serve -design.
	SERVERS=$("$pb" flags | sed -n 's/.*"usage": "server `design` to run: \(.*\)",*$/\1/p' | tr -d ' ')
fi
IFS=, read -ra servers <<<"$SERVERS"
[[ ${#servers[@]} -gt 0 ]] || { echo "soak: no server designs" >&2; exit 1; }

# waitline FILE REGEX: the first match of REGEX in FILE, within 10s.
waitline() {
	local i
	for i in $(seq 100); do
		if grep -m1 -o "$2" "$1" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "soak: no line matching $2 in $1:" >&2
	cat "$1" >&2
	return 1
}

# procs: role pid debug-address, one per line.
: >"$work/procs"
for d in "${servers[@]}"; do
	"$pb" serve -design "$d" -addr 127.0.0.1:0 -debug-addr 127.0.0.1:0 >"$work/$d.addr" 2>"$work/$d.serve.log" &
	pids+=($!)
	echo "server/$d $! $(waitline "$work/$d.serve.log" '127\.0\.0\.1:[0-9]*')" >>"$work/procs"
	waitline "$work/$d.addr" '127\.0\.0\.1:[0-9]*' >/dev/null
done
clients=()
for d in "${servers[@]}"; do
	addr=$(head -1 "$work/$d.addr")
	# -count 1000: more repetitions than any soak lasts; SIGINT ends it.
	"$pb" sweep -addr "$addr" -servers "$d" -conns "$conns" -duration 200ms -warmup 50ms -count 1000 \
		-out "$work/$d.txt" -debug-addr 127.0.0.1:0 2>"$work/$d.sweep.log" &
	pids+=($!)
	clients+=($!)
	echo "client/$d $! $(waitline "$work/$d.sweep.log" '127\.0\.0\.1:[0-9]*')" >>"$work/procs"
done
echo "soak: $dur s, servers ${servers[*]}, conns $conns; samples every second" >&2

samples=$work/samples.tsv
printf 't\tprocess\trss_kib\tgoroutines\tfds\n' >"$samples"
# A round forks nothing: RSS and fds are read from /proc with builtins,
# the goroutine counts over bash's /dev/tcp (the requests all sent before
# any answer is read), and the wait to the next second is a read with a
# timeout on a pipe that never speaks. At load average 53 a round that
# started a process per measure took 5.6s; a fork-free round stays well
# inside its second.
exec {idle}<> <(:)
mapfile -t procs <"$work/procs"
start=$SECONDS
while ((SECONDS - start < dur)); do
	t=$((SECONDS - start))
	conn=()
	for i in "${!procs[@]}"; do
		read -r role pid dbg <<<"${procs[$i]}"
		conn[i]=
		if exec {fd}<>"/dev/tcp/${dbg%:*}/${dbg##*:}" 2>/dev/null; then
			printf 'GET /debug/pprof/goroutine?debug=1 HTTP/1.0\r\nHost: %s\r\n\r\n' "$dbg" >&"$fd" && conn[i]=$fd
		fi
	done
	for i in "${!procs[@]}"; do
		read -r role pid dbg <<<"${procs[$i]}"
		[[ -d /proc/$pid ]] || { echo "soak: $role (pid $pid) exited early" >&2; exit 1; }
		rss=NA
		while read -r key value _; do
			[[ $key == VmRSS: ]] && rss=$value && break
		done <"/proc/$pid/status"
		fd=("/proc/$pid/fd/"*)
		g=NA
		if [[ -n ${conn[i]} ]]; then
			# The body's first line: "goroutine profile: total N".
			while read -r -t 2 -u "${conn[i]}" line; do
				if [[ $line == "goroutine profile: total "* ]]; then
					g=${line##* }
					g=${g%$'\r'}
					break
				fi
			done
			fd=${conn[i]}
			exec {fd}>&-
		fi
		printf '%d\t%s\t%s\t%s\t%s\n' "$t" "$role" "$rss" "$g" "${#fd[@]}" >>"$samples"
	done
	# Wait for the next whole second of the run.
	while ((SECONDS - start == t)); do read -r -t 0.05 -u "$idle" || true; done
done

for p in "${clients[@]}"; do kill -INT "$p" 2>/dev/null || true; done
points=""
for d in "${servers[@]}"; do
	# A client writes its finished points and exits 130 on SIGINT.
	wait "${clients[0]}" 2>/dev/null || true
	clients=("${clients[@]:1}")
	n=$(grep -c '^BenchmarkEcho' "$work/$d.txt" 2>/dev/null || true)
	e=$(awk '/^BenchmarkEcho/ {for (i = 1; i < NF; i++) if ($(i+1) == "errors") s += $i} END {print s + 0}' "$work/$d.txt" 2>/dev/null || echo 0)
	points+="$d: ${n:-0} points, $e failed requests; "
done

summary=$work/summary.txt
{
	echo "# poolbench soak: growth with time, not load (scripts/soak.sh)"
	echo "#"
	echo "# started $started, $(uname -m), $(nproc) CPUs, $built"
	echo "# duration ${dur}s, fitted after the first ${skip}s; servers ${servers[*]}; client: sweep -conns $conns -duration 200ms -warmup 50ms, every pool design, in a loop"
	echo "# clients: ${points%; }"
	echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine)"
	echo "# $(awk -F'\t' 'NR > 1 {n[$1] = 1} END {print length(n)}' "$samples") sample rounds in ${dur}s (one a second unless the machine is slower)"
	echo "# per hour: least-squares slope of every sample; floor/h: of each minute's minimum; first/last minute: min-max (scripts/soak-table.awk)"
	echo
	awk -F'\t' -v skip="$skip" -f scripts/soak-table.awk "$samples"
} >"$summary"

cat "$summary"
tmp=$(mktemp "$out.XXXXXX")
cp "$summary" "$tmp" && chmod 644 "$tmp" && mv "$tmp" "$out"
tmp=$(mktemp "${out%.txt}.samples.tsv.XXXXXX")
cp "$samples" "$tmp" && chmod 644 "$tmp" && mv "$tmp" "${out%.txt}.samples.tsv"
echo "soak: wrote $out and ${out%.txt}.samples.tsv" >&2

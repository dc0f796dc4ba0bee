#!/usr/bin/env bash
# netns-shards.sh POOLBENCH OUTDIR [SWEEP FLAGS...]
#
# Runs one server and two client hosts: three network namespaces on a
# bridge (in the server's namespace), 10.99.1.1/24 (server), 10.99.1.2 and
# 10.99.1.3 (clients). The server namespace runs
# `POOLBENCH serve -design $DESIGN -addr 10.99.1.1:0 -loops $LOOPS`; each
# client runs, at the same time, `POOLBENCH sweep -addr ADDR -shard I/2
# -start-at $START_AT -out OUTDIR/shard-I.txt SWEEP FLAGS...`, so that
# `poolbench merge OUTDIR/shard-0.txt OUTDIR/shard-1.txt` can combine them.
# Each shard's stderr goes to OUTDIR/shard-I.log. Traffic never leaves the
# namespaces this script creates, and they are deleted on every exit.
#
# Needs root and iproute2. Exit status 3 means the namespaces could not be
# created; otherwise the first failing shard's status, or 0.
#
# Environment: START_AT (RFC 3339, required: the shards' common start),
# DESIGN (default net), LOOPS (default 1), NETNS_ID (suffix of the
# namespace and link names, default the PID; at most 10 characters).
set -euo pipefail
# shellcheck source=netns-serve.sh
source "$(dirname "$0")/netns-serve.sh"
bin=${1:?usage: netns-shards.sh POOLBENCH OUTDIR [SWEEP FLAGS...]}
outdir=${2:?usage: netns-shards.sh POOLBENCH OUTDIR [SWEEP FLAGS...]}
shift 2
start_at=${START_AT:?START_AT (RFC 3339) is required}
design=${DESIGN:-net}
loops=${LOOPS:-1}
id=${NETNS_ID:-$$}
srv=pb-srv-$id
clients=(pb-c0-$id pb-c1-$id)
workdir=$(mktemp -d)
server_pid=
shard_pids=()

cleanup() {
	for pid in "${shard_pids[@]}" $server_pid; do
		kill "$pid" 2>/dev/null || true
	done
	if [[ -n $server_pid ]]; then
		# SIGTERM shuts the server down cleanly; SIGKILL after 5s bounds it.
		for _ in $(seq 50); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$server_pid" 2>/dev/null || true
	fi
	wait 2>/dev/null || true
	for ns in "$srv" "${clients[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ns in "$srv" "${clients[@]}"; do
	if ! ip netns add "$ns"; then
		echo "netns-shards: cannot create network namespaces (need root and iproute2)" >&2
		exit 3
	fi
	ip -n "$ns" link set lo up
done
# The bridge lives in the server's namespace; each client is a veth pair
# with one end on the bridge. Nothing is created in the caller's namespace.
ip -n "$srv" link add pbbr$id type bridge
ip -n "$srv" addr add 10.99.1.1/24 dev pbbr$id
ip -n "$srv" link set pbbr$id up
for i in 0 1; do
	ip link add pbp$i$id netns "$srv" type veth peer name pbc$i$id netns "${clients[$i]}"
	ip -n "$srv" link set pbp$i$id master pbbr$id
	ip -n "$srv" link set pbp$i$id up
	ip -n "${clients[$i]}" addr add 10.99.1.$((i + 2))/24 dev pbc$i$id
	ip -n "${clients[$i]}" link set pbc$i$id up
done

netns_serve "$srv" "$bin" "$design" 10.99.1.1 "$loops" "$workdir" netns-shards

mkdir -p "$outdir"
for i in 0 1; do
	ip netns exec "${clients[$i]}" "$bin" sweep -addr "$addr" -shard "$i/2" -start-at "$start_at" \
		-out "$outdir/shard-$i.txt" "$@" 2>"$outdir/shard-$i.log" &
	shard_pids+=($!)
done
rc=0
for pid in "${shard_pids[@]}"; do
	wait "$pid" || { s=$?; [[ $rc -eq 0 ]] && rc=$s; }
done
shard_pids=()
exit "$rc"

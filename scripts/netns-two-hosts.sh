#!/usr/bin/env bash
# netns-two-hosts.sh POOLBENCH [SWEEP FLAGS...]
#
# Runs poolbench on two "hosts": two network namespaces joined by a veth
# pair, 10.99.0.1/24 (server) and 10.99.0.2/24 (client). The server namespace
# runs `POOLBENCH serve -design $DESIGN -addr 10.99.0.1:0 -loops $LOOPS`; the
# client namespace runs `POOLBENCH sweep -addr ADDR SWEEP FLAGS...` against
# the address the server printed, and its stdout is this script's stdout.
# Traffic never leaves the namespaces this script creates, and they are
# deleted on every exit (success, failure or signal).
#
# Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2. Exit status 3
# means the namespaces could not be created, so callers can tell "cannot run
# here" from a failed run.
#
# Environment: DESIGN (server design, default net), LOOPS (default 1),
# NETNS_ID (suffix of the namespace and link names, default the PID; at
# most 10 characters so link names fit in 15).
set -euo pipefail
# shellcheck source=netns-serve.sh
source "$(dirname "$0")/netns-serve.sh"
bin=${1:?usage: netns-two-hosts.sh POOLBENCH [SWEEP FLAGS...]}
shift
design=${DESIGN:-net}
loops=${LOOPS:-1}
id=${NETNS_ID:-$$}
srv=pb-srv-$id cli=pb-cli-$id
srv_if=pbs$id cli_if=pbc$id
workdir=$(mktemp -d)
server_pid=

cleanup() {
	if [[ -n $server_pid ]]; then
		# SIGTERM shuts the server down cleanly; SIGKILL after 5s bounds it.
		kill "$server_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	# Deleting a namespace deletes the veth end inside it, and with it the pair.
	ip netns del "$srv" 2>/dev/null || true
	ip netns del "$cli" 2>/dev/null || true
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! ip netns add "$srv" || ! ip netns add "$cli"; then
	echo "netns-two-hosts: cannot create network namespaces (need root and iproute2)" >&2
	exit 3
fi
# Both ends are created directly inside their namespaces, never in the
# caller's, so nothing is left behind on the host even if cleanup is skipped.
ip link add "$srv_if" netns "$srv" type veth peer name "$cli_if" netns "$cli"
ip -n "$srv" addr add 10.99.0.1/24 dev "$srv_if"
ip -n "$cli" addr add 10.99.0.2/24 dev "$cli_if"
for ns in "$srv" "$cli"; do ip -n "$ns" link set lo up; done
ip -n "$srv" link set "$srv_if" up
ip -n "$cli" link set "$cli_if" up

netns_serve "$srv" "$bin" "$design" 10.99.0.1 "$loops" "$workdir" netns-two-hosts

ip netns exec "$cli" "$bin" sweep -addr "$addr" "$@"

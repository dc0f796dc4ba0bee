#!/usr/bin/env bash
# gate-instructions.sh [BASE]: the optional deterministic gate. It counts the
# instructions per op of the single-goroutine (uncontended) pool rows under
# Valgrind, for BASE (default HEAD~1) and the working tree, and fails a row
# whose count grows by more than 1%. Valgrind (Debian package valgrind) is
# installed first when absent. Exit status as the gate's: 0, 1, 2.
# Where it applies: uncontended rows only; contended rows (parallel,
# exhausted) measure scheduling, which Valgrind serialises, so they need the
# timed gate (scripts/gate.sh).
set -euo pipefail
base=${1:-HEAD~1}
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "gate-instructions.sh: valgrind is missing; install it (Debian: apt-get install valgrind)" >&2
		exit 2
	fi
	echo "gate-instructions.sh: installing valgrind" >&2
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind; } >/dev/null 2>&1 ||
		{ echo "gate-instructions.sh: apt-get could not install valgrind" >&2; exit 2; }
fi
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/poolbench" ./cmd/poolbench
rc=0
"$bin/poolbench" gate -instructions -base "$base" -pkg ./bench -timeout 5m || rc=$?
exit "$rc"

#!/usr/bin/env bash
# test-deps.sh installs the Debian packages that tests drive as real peers, when
# they are absent: `make test` calls it, so a fresh machine needs only Go.
# One line per package: the command a test runs, then the package that has it.
# Without root or apt-get it says what is missing, in one line, and leaves the
# test that needs it to fail with its own message.
#
#   scripts/test-deps.sh            # every package below
#   scripts/test-deps.sh valgrind   # only those of the commands named (scripts/gate.sh)
set -euo pipefail

needs=(
	"wrk wrk"          # impls/servers/fasthttp: a real HTTP client loads the fasthttp design
	"ip iproute2"      # e2e: network namespaces stand in for hosts
	"socat socat"      # e2e: an independent UDP client checks the udp design
	"valgrind valgrind" # gate: instruction counts (TestCountInstructions, scripts/gate.sh)
)

missing=()
for need in "${needs[@]}"; do
	read -r cmd pkg <<<"$need"
	if (($# > 0)) && [[ " $* " != *" $cmd "* ]]; then
		continue
	fi
	command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "test-deps: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
	exit 0
fi
echo "test-deps: installing ${missing[*]}" >&2
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null 2>&1; then
	echo "test-deps: apt-get could not install ${missing[*]}" >&2
fi

#!/usr/bin/env bash
# gate.sh [BASE]: the regression gate exactly as CI runs it (.ci/run and
# `make gate` call this script; scripts/gate-power.sh measures it). BASE
# defaults to HEAD~1; the working tree is the new side.
#
# Exit status is the gate's: 0 no regression, 1 regression, 2 bad input, a
# failed build or run, or too few pairs to decide. Call this script, not
# `make gate`, from other scripts: make reports every failed recipe as 2, so
# a regression and a broken build would look the same.
#
# What it runs (the rule is in gate's package doc): the pool
# micro-benchmarks of BASE and the working tree at -cpu 1,2, 6 rounds of
# paired processes in random order, then at most one confirming rerun of the
# suspect rows only, 8 fresh pairs per look up to 16. Every row runs a fixed
# 20000 iterations (-benchtime 20000x), not a time: on a loaded machine the
# testing package's first timing of one iteration can be descheduled for
# milliseconds, and the few iterations it then predicts leave a window whose
# per-op time and CPU time are start-up costs and garbage collection, off by
# up to 1000x. About 1.5-3 minutes
# on a loaded 2-core machine; the 2m -timeout bounds each process, and the
# whole step stays under 8 minutes (see REPORT.md's methodology).
set -euo pipefail
base=${1:-HEAD~1}
cd "$(dirname "$0")/.."

if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
	if [[ $base == HEAD~1 ]]; then
		echo "gate.sh: gate passed without running: no HEAD~1 (first commit or shallow clone)"
		exit 0
	fi
	echo "gate.sh: unknown git revision $base" >&2
	exit 2
fi
if ! git cat-file -e "$base:bench" 2>/dev/null; then
	echo "gate.sh: gate passed without running: $base has no ./bench package to compare against"
	exit 0
fi
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/poolbench" ./cmd/poolbench
rc=0
"$bin/poolbench" gate -base "$base" -pkg ./bench -bench '^BenchmarkPool$' \
	-cpu 1,2 -benchtime 20000x -count 6 -confirm 16 -timeout 2m || rc=$?
exit "$rc"

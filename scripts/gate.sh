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
# It runs two gates over the pool micro-benchmarks (the rule is in gate's
# package doc) and fails when either does:
#
#   timed         every row at -cpu 1,2: 6 rounds of paired processes of BASE
#                 and the working tree in random order, then at most one
#                 confirming rerun of the suspect rows only, 8 fresh pairs per
#                 look up to 16, at alpha 0.025 (a gate of an unchanged tree
#                 fails at most 2.5% of the time by design; at 0.05, 2 of 20
#                 A/A gates alarmed). Every row runs a fixed 100000
#                 iterations (-benchtime 100000x), not a time: on a loaded
#                 machine the testing package's first timing of one
#                 iteration can be descheduled for milliseconds, and the few
#                 iterations it then predicts leave a window whose per-op
#                 time and CPU time are start-up costs and garbage
#                 collection, off by up to 1000x. 100000, not 20000: the
#                 exhausted rows' spread from process to process is the
#                 scheduler's, and it averages out over a longer run (8
#                 runs each on a quiet machine, 95% intervals of the median:
#                 mutexlist, ring and puddle exhausted at -cpu 1 from ±13-48%
#                 at 20000x to ±6-12%, exhausted-yield from ±27-37% to
#                 ±2-8%); a whole process of every row takes ~4.7 s instead
#                 of ~1.7 s.
#   instructions  the single-goroutine (uncontended) rows under Valgrind, the
#                 instructions executed inside bench's per-op function
#                 (cycle) counted: they repeat from run to run to about 1%,
#                 so a row whose count grows by more than 3% (the least of up
#                 to three counts per side) regressed, however
#                 noisy the machine's clock. Valgrind (Debian package
#                 valgrind) is installed first when absent.
#
# About 3-5 minutes on a 2-core machine; the timeouts bound each process,
# and the whole step stays under 8 minutes (see REPORT.md's methodology).
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
# The test binaries are built from Go source and the module files only: when
# none of those changed, both sides' binaries would be the same program, and
# a verdict could only be noise (a false alarm at the gate's alpha). The
# working tree counts, untracked files too: it is the new side.
if git diff --quiet "$base" -- '*.go' '*.s' go.mod go.sum &&
	[[ -z $(git ls-files --others --exclude-standard -- '*.go' '*.s') ]]; then
	echo "gate.sh: gate passed without running: no Go source, assembly or module file changed since $base, so both sides would run the same code"
	exit 0
fi
scripts/test-deps.sh valgrind
if ! command -v valgrind >/dev/null 2>&1; then
	echo "gate.sh: valgrind is missing (test-deps.sh said why above); install it (Debian: apt-get install valgrind)" >&2
	exit 2
fi
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/poolbench" ./cmd/poolbench

timed=0
"$bin/poolbench" gate -base "$base" -pkg ./bench -bench '^BenchmarkPool$' \
	-cpu 1,2 -benchtime 100000x -alpha 0.025 -count 6 -confirm 16 -timeout 2m || timed=$?
counted=0
"$bin/poolbench" gate -instructions -collect '*/bench.cycle' -base "$base" -pkg ./bench -timeout 5m || counted=$?

verdict() { case $1 in 0) echo "no regression" ;; 1) echo "REGRESSION" ;; *) echo "no verdict (exit $1)" ;; esac; }
echo "gate.sh: timed gate: $(verdict "$timed"); instruction gate: $(verdict "$counted")"
if ((timed == 2 || counted == 2)); then exit 2; fi
if ((timed == 1 || counted == 1)); then exit 1; fi
exit 0

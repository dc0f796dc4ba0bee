#!/usr/bin/env bash
# bench-pool.sh OUT: run the pool micro-benchmarks (BenchmarkPool in ./bench)
# into OUT, and a CPU profile summary of every row into OUT's directory as
# pool-profile.txt, atomically: a failed or interrupted run leaves the
# previous files untouched.
#
# The timed runs: COUNT passes, interleaved (pass 1 runs every row once,
# then pass 2, and so on), so a burst of load from elsewhere on the machine
# lands on all designs alike and ratios within one run stay fair. A pass is
# one process running every row, at every GOMAXPROCS in CPU (default 1,2;
# any list, such as 1,2,4,8: rows past the machine's core count, written as
# the "cores:" line, measure oversubscription of the CPU, not parallel
# speed) for BENCHTIME (default 60ms), then the exhausted rows, twice, in two
# more processes of EXHAUSTEDTIME (default 50ms) each: 2 x COUNT runs of
# them. Their runs at GOMAXPROCS=2 can be bimodal: on a loaded machine up
# to 4 in 10 of every design, the bare channel of the FIFO floor too, take
# 2-3x the others (the scheduler's mode, not a pool's; on a quiet one none
# do). The median's 95% interval over 10
# runs spans the slow mode once 2 runs fall in it, over 20 only once 6 do:
# in 10 interleaved passes on a 2-core AMD EPYC VM, 20 runs of 50ms gave
# exhausted-2 intervals of ±2-5% where 10 of 100ms, the same time, gave
# ±5-35% (the commit that set this has the table). benchstat takes medians
# over all runs.
#
# The profiles: one more pass in which every row runs in a process of its
# own with -cpuprofile for PROFTIME (default 100ms at each GOMAXPROCS: with
# the runs that size b.N, 24 to 91 samples a row at pprof's 100 Hz, so a
# share is good to 10-20 points; REPORT.md says so per row). Profiling is kept
# out of the timed runs, which it would slow.
#
# pool-profile.txt holds, per row, `go tool pprof -top` of its profiling
# profiles merged: "impl scenario flat% function" lines, the functions with
# at least 0.5% of the samples, and a "samples" line with the total.
# `poolbench report` turns them into one line per design per scenario.
set -euo pipefail
out=$(realpath -m "${1:?usage: bench-pool.sh OUT}")
cd "$(dirname "$0")/.."
dir=$(dirname "$out")
mkdir -p "$dir"
count=${COUNT:-10}
cpu=${CPU:-1,2}
benchtime=${BENCHTIME:-60ms}
exhaustedtime=${EXHAUSTEDTIME:-50ms}
proftime=${PROFTIME:-100ms}
case $count in '' | *[!0-9]* | 0) echo "bench-pool: COUNT must be a positive whole number, not '$count'" >&2; exit 2 ;; esac
case $cpu in '' | *[!0-9,]*) echo "bench-pool: CPU must be a comma-separated list of GOMAXPROCS values, not '$cpu'" >&2; exit 2 ;; esac

work=$(mktemp -d)
tmp=$(mktemp "${out}.XXXXXX")
ptmp=$(mktemp "$dir/pool-profile.txt.XXXXXX")
trap 'rm -rf "$work" "$tmp" "$ptmp"' EXIT
start=$SECONDS
go test -c -o "$work/bench.test" ./bench

# The rows: every BenchmarkPool sub-benchmark, listed by a run of one op.
rows=$("$work/bench.test" -test.run '^$' -test.bench '^BenchmarkPool$' -test.benchtime 1x -test.cpu 1 |
	sed -n 's|^BenchmarkPool/impl=\([^/]*\)/scenario=\([^ \t]*\).*|\1 \2|p' | sort -u)
[ -n "$rows" ] || { echo "bench-pool: no BenchmarkPool rows found" >&2; exit 1; }

printf 'cores: %s\n' "$(nproc)" >"$tmp"
for pass in $(seq "$count"); do
	"$work/bench.test" -test.run '^$' -test.bench '^BenchmarkPool$/./^scenario=(uncontended|parallel)$' -test.benchmem \
		-test.count 1 -test.cpu "$cpu" -test.benchtime "$benchtime" -test.timeout 10m >"$work/run.txt"
	for _ in 1 2; do
		"$work/bench.test" -test.run '^$' -test.bench '^BenchmarkPool$/./^scenario=exhausted' -test.benchmem \
			-test.count 1 -test.cpu "$cpu" -test.benchtime "$exhaustedtime" -test.timeout 10m | grep '^BenchmarkPool' >>"$work/run.txt" || true
	done
	if [ "$pass" = 1 ]; then
		grep -E '^(goos|goarch|pkg|cpu):' "$work/run.txt" >>"$tmp" # the config lines, once
		ran=$(sed -n 's|^BenchmarkPool/impl=\([^/]*\)/scenario=\([^ \t]*\).*|\1 \2|p' "$work/run.txt" | sed 's/-[0-9][0-9]*$//' | sort -u)
		if [ "$ran" != "$rows" ]; then
			echo "bench-pool: the two processes of a pass ran other rows than BenchmarkPool has (a scenario that is neither uncontended, parallel nor exhausted*?):" >&2
			diff <(echo "$rows") <(echo "$ran") >&2 || true
			exit 1
		fi
	fi
	grep '^BenchmarkPool' "$work/run.txt" >>"$tmp" || true
done

while read -r impl sc; do
	"$work/bench.test" -test.run '^$' -test.bench "^BenchmarkPool\$/^impl=$impl\$/^scenario=$sc\$" \
		-test.count 1 -test.cpu "$cpu" -test.benchtime "$proftime" -test.timeout 10m \
		-test.cpuprofile "$work/$impl.$sc.prof" >/dev/null
done <<<"$rows"

while read -r impl sc; do
	profs=("$work/$impl.$sc.prof")
	go tool pprof -top -nodecount=100000 "$work/bench.test" "${profs[@]}" 2>/dev/null |
		awk -v impl="$impl" -v sc="$sc" '
			/^Showing nodes accounting for/ { total = $NF }
			/^Duration:/ { for (i = 1; i <= NF; i++) if ($i == "samples") { s = $(i + 2); print impl, sc, "samples", s } }
			$2 ~ /%$/ && $1 !~ /flat/ { p = $2; sub(/%/, "", p); if (p + 0 >= 0.5) { f = $6; for (i = 7; i <= NF; i++) f = f " " $i; print impl, sc, p, f } }'
done <<<"$rows" >"$ptmp"

chmod 644 "$tmp" "$ptmp" # mktemp makes them 0600
mv "$tmp" "$out"
mv "$ptmp" "$dir/pool-profile.txt"
trap 'rm -rf "$work"' EXIT
echo "bench-pool: $(grep -c '^BenchmarkPool' "$out") results in $((SECONDS - start))s -> $out, $dir/pool-profile.txt" >&2

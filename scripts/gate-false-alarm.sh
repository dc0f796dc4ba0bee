#!/usr/bin/env bash
# gate-false-alarm.sh: run N A/A gates (a clean checkout of HEAD against HEAD)
# and print the false-alarm rate: the share of gates that report a regression
# although nothing changed. Exits 1 if the rate is above 5%.
#
#   scripts/gate-false-alarm.sh                 # pool micro-benchmarks (./bench)
#   STANDIN=1 scripts/gate-false-alarm.sh       # the gate's cheap stand-in benchmark
#   N=20 BENCHTIME=20ms GATEFLAGS='-threshold 10' scripts/gate-false-alarm.sh
#
# Each gate is exactly what CI runs: poolbench gate -base HEAD, built in a
# temporary worktree of HEAD, so uncommitted changes in your tree do not count.
# A gate that reaches no verdict (exit 2: a benchmark failed or hung) is
# reported and left out of the rate.
set -euo pipefail

N=${N:-20}
if [[ -n ${STANDIN:-} ]]; then
	PKG=${PKG:-./gate/testdata/spin} BENCH=${BENCH:-^BenchmarkSpin$} BENCHTIME=${BENCHTIME:-3000x}
else
	PKG=${PKG:-./bench} BENCH=${BENCH:-^BenchmarkPool$} BENCHTIME=${BENCHTIME:-20ms}
fi
COUNT=${COUNT:-10}
read -r -a extra <<<"${GATEFLAGS:-}"

repo=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
wt="$tmp/head"
cleanup() {
	git -C "$repo" worktree remove --force "$wt" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! git -C "$repo" cat-file -e "HEAD:${PKG#./}" 2>/dev/null; then
	echo "gate-false-alarm: HEAD has no $PKG; commit it or use STANDIN=1" >&2
	exit 2
fi
git -C "$repo" worktree add -q --detach "$wt" HEAD
(cd "$wt" && go build -o "$tmp/poolbench" ./cmd/poolbench)

echo "gate-false-alarm: $N A/A gates of $PKG -bench '$BENCH' -benchtime $BENCHTIME -count $COUNT ${extra[*]:-}"
alarms=0 decided=0
for i in $(seq 1 "$N"); do
	rc=0
	(cd "$wt" && "$tmp/poolbench" gate -base HEAD -pkg "$PKG" -bench "$BENCH" \
		-benchtime "$BENCHTIME" -count "$COUNT" "${extra[@]}") >"$tmp/out" 2>"$tmp/err" || rc=$?
	case $rc in
	0)
		decided=$((decided + 1))
		echo "gate-false-alarm: gate $i/$N: pass ($(grep -m1 -o '[0-9]* rows:.*' "$tmp/out"))"
		;;
	1)
		decided=$((decided + 1))
		alarms=$((alarms + 1))
		echo "gate-false-alarm: gate $i/$N: FALSE ALARM"
		grep '^gate: REGRESSION' "$tmp/out" | sed 's/^/    /'
		;;
	*) echo "gate-false-alarm: gate $i/$N: exit $rc, no verdict: $(tail -n 1 "$tmp/err")" ;;
	esac
done

if [[ $decided -eq 0 ]]; then
	echo "gate-false-alarm: no gate reached a verdict" >&2
	exit 2
fi
# Integer percent, rounded up: 1 in 20 is 5%, 2 in 20 is 10%.
rate=$(((100 * alarms + decided - 1) / decided))
echo "gate-false-alarm: $alarms false alarm(s) in $decided A/A gates with a verdict ($((N - decided)) without): ${rate}% (limit 5%)"
[[ $rate -le 5 ]]

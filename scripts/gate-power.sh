#!/usr/bin/env bash
# gate-power.sh: measure the regression gate against real slowed builds.
#
# It builds a temporary tree of HEAD with a calibrated spin injected into
# Get in one row each of three designs (bench/inject_test.go, compiled only
# with -tags gatepower, so it never ships; the neighbouring rows of the same
# design stay as they are) and runs N gates of it, and N A/A gates (a
# commit that changes only a comment), alternating, each one scripts/gate.sh HEAD~1: exactly CI's
# gate. It prints the detection rates and the false-alarm rate:
#
#   25% uncontended   the uncontended rows (-cpu 1, 2) of $UNCONTENDED, 25% slower
#   10% uncontended   the uncontended rows of $SMALL, 10% slower
#   25% exhausted     the exhausted rows of $EXHAUSTED, 25% slower
#   allocs/op +1      $ALLOC allocates 16 bytes more per Get (allocs/op and B/op rows)
#   A/A               any regression in a gate of an unchanged tree
#
# A figure counts a row flagged by either of the script's two gates (timed,
# instruction counts); the report also says how many the timed gate alone
# flagged.
#
# One slowed build carries all three slowdowns, in three different designs,
# so one gate gives one trial of each figure (a figure counts as detected
# when a row of its design and scenario is flagged, in sec/op, cpu-sec/op
# or instructions/op). That triples what N gates buy; the price is that each gate
# tests three real regressions at once, which Holm's step-down makes
# slightly easier to flag than one alone (see the report this prints).
#
#   scripts/gate-power.sh                      # N=20
#   N=5 scripts/gate-power.sh                  # a quick look
#   UNCONTENDED=ring EXHAUSTED=puddle scripts/gate-power.sh
#   ONLY=slowed scripts/gate-power.sh & ONLY=aa scripts/gate-power.sh   # two streams at once
#   ONLY=calibrate scripts/gate-power.sh       # print the calibrated SPIN and stop
#   SPIN=mutexlist/uncontended=9,puddle/uncontended=2,ring/exhausted=16 ONLY=slowed scripts/gate-power.sh   # skip calibration
#
# The spin is calibrated by construction (see the calibration below): a
# step's CPU cost from the floor row with CAL_STEPS steps, and each target
# row's median cpu-ns/op (CPU time per op, which the load of other jobs on a
# shared machine inflates far less than wall time), both from CAL_PAIRS
# interleaved pairs of runs at the gate's own -benchtime. A final check
# prints what the rows measured with the spin: on this machine one check's
# median of 24 pairs of a noisy row is itself tens of percent off.
# Everything it writes stays in a temporary directory; LOG keeps the
# per-gate outputs when set. Exit 0 when every figure meets the issue's
# bar (25%: >= 95%, exhausted >= 80%, 10% >= 50%, A/A <= 5%), 1 otherwise.
set -euo pipefail

N=${N:-20}
UNCONTENDED=${UNCONTENDED:-mutexlist}
SMALL=${SMALL:-puddle}
EXHAUSTED=${EXHAUSTED:-ring}
ALLOC=${ALLOC:-fatih}
CAL_PAIRS=${CAL_PAIRS:-24}
# the gate's -benchtime: the last one scripts/gate.sh names (its command line)
CAL_BENCHTIME=${CAL_BENCHTIME:-$(grep -o -- '-benchtime [^ ]*' "$(git rev-parse --show-toplevel)/scripts/gate.sh" | tail -n 1 | cut -d' ' -f2)}
CAL_STEPS=${CAL_STEPS:-2000}
ONLY=${ONLY:-}
kinds="slowed aa"
[[ -n $ONLY ]] && kinds=$ONLY

repo=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
wt="$tmp/tree"
log=${LOG:-$tmp/log}
mkdir -p "$log"
cleanup() {
	git -C "$repo" worktree remove --force "$wt" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

say() { echo "gate-power: $*" >&2; }

git -C "$repo" worktree add -q --detach "$wt" HEAD
head=$(git -C "$wt" rev-parse --short HEAD)
git -C "$wt" -c user.name=gate-power -c user.email=gate-power@localhost \
	commit -q --allow-empty -m "gate-power: A/A" >/dev/null
echo "// A/A: this comment is the whole change." >>"$wt/bench/doc.go"
git -C "$wt" -c user.name=gate-power -c user.email=gate-power@localhost \
	commit -q --amend -am "gate-power: A/A, a comment" >/dev/null
aa=$(git -C "$wt" rev-parse HEAD)
git -C "$wt" checkout -q --detach "$head"
cat >"$wt/bench/inject_armed_test.go" <<'GO'
//go:build gatepower

package bench

func init() { injectArmed = true }
GO
git -C "$wt" add bench/inject_armed_test.go
git -C "$wt" -c user.name=gate-power -c user.email=gate-power@localhost \
	commit -q -m "gate-power: arm the injected spin" >/dev/null
armed=$(git -C "$wt" rev-parse HEAD)

# --- calibration -----------------------------------------------------------
spec=${SPIN:-none}
if [[ -z ${SPIN:-} && ( $kinds == *slowed* || $kinds == calibrate ) ]]; then
(cd "$wt" && go test -tags gatepower -c -o "$tmp/armed.test" ./bench)
rows="^BenchmarkPool\$/^impl=(floor|$UNCONTENDED|$SMALL|$EXHAUSTED)\$/^scenario=(uncontended|exhausted)\$"

# cpuns FILE: "name value" per row for cpu-ns/op.
cpuns() { awk '/^BenchmarkPool/ { for (i = 3; i < NF; i++) if ($(i+1) == "cpu-ns/op") print $1, $i }' "$1"; }

# measure SPEC: median per-round ratio of cpu-ns/op, armed with SPEC over
# unarmed, per row, as "name ratio" lines.
measure() {
	local spec=$1 d="$tmp/cal" i
	rm -rf "$d" && mkdir -p "$d"
	for i in $(seq 1 "$CAL_PAIRS"); do
		for side in $( ((RANDOM % 2)) && echo "a b" || echo "b a"); do
			if [[ $side == a ]]; then
				(cd "$wt/bench" && "$tmp/armed.test" -test.run '^$' -test.bench "$rows" -test.cpu 1,2 -test.benchtime "$CAL_BENCHTIME") >"$d/a$i"
			else
				(cd "$wt/bench" && GATEPOWER_SPIN=$spec "$tmp/armed.test" -test.run '^$' -test.bench "$rows" -test.cpu 1,2 -test.benchtime "$CAL_BENCHTIME") >"$d/b$i"
			fi
		done
		join <(cpuns "$d/a$i" | sort) <(cpuns "$d/b$i" | sort) | awk '{ print $1, $3 / $2 }'
	done | sort -k1,1 -k2,2g | awk '
		{ v[$1] = v[$1] " " $2; n[$1]++ }
		END { for (k in v) { split(substr(v[k], 2), a, " "); m = (n[k] % 2) ? a[(n[k]+1)/2] : (a[n[k]/2] + a[n[k]/2+1]) / 2; print k, m } }' | sort
}

# slowdown TABLE DESIGN SCENARIO: mean of the -cpu 1 and 2 rows' ratio - 1.
slowdown() { awk -v pat="impl=$2/scenario=$3(-[0-9]+)?\$" '$1 ~ pat { s += $2 - 1; n++ } END { printf "%.4f\n", n ? s / n : 0 }' <<<"$1"; }
# unarmed DESIGN SCENARIO: the row's cpu-ns/op without a spin, the median
# over the last measure's unarmed runs, mean of its -cpu 1 and 2 rows.
unarmed() {
	for f in "$tmp"/cal/a*; do cpuns "$f"; done | awk -v pat="impl=$1/scenario=$2(-[0-9]+)?\$" '$1 ~ pat { print $1, $2 }' |
		sort -k1,1 -k2,2g | awk '
		{ v[$1] = v[$1] " " $2; n[$1]++ }
		END { for (k in v) { split(substr(v[k], 2), a, " "); m = (n[k] % 2) ? a[(n[k]+1)/2] : (a[n[k]/2] + a[n[k]/2+1]) / 2; s += m; c++ } printf "%.3f\n", c ? s / c : 0 }'
}

# A spin step's cost comes from the floor's uncontended row, one goroutine
# and almost no work of its own, with CAL_STEPS steps injected: that ratio is
# steady where a pool's rows are not (the exhausted rows spread by tens of
# percent from run to run here, so a slowdown fitted to their measured
# ratios lands anywhere). A row's count is then the steps whose cost is the
# target share of the row's own median time per op: "25% slower" means 25%
# more CPU work per Get, by construction, and the check after it reports
# what the rows measured with it.
say "calibrating: $CAL_PAIRS pairs of the floor with $CAL_STEPS spin steps against none, and the target rows' medians"
t1=$(measure "floor/uncontended=$CAL_STEPS")
step=$(awk -v r="$(slowdown "$t1" floor uncontended)" -v f="$(unarmed floor uncontended)" -v c="$CAL_STEPS" 'BEGIN { printf "%.4f\n", r * f / c }')
# steps DESIGN SCENARIO TARGET: steps costing TARGET of the row's median.
steps() { awk -v t="$3" -v m="$(unarmed "$1" "$2")" -v k="$step" 'BEGIN { printf "%d\n", (k > 0) ? t * m / k + 0.5 : 0 }'; }
nA=$(steps "$UNCONTENDED" uncontended 0.25)
nB=$(steps "$SMALL" uncontended 0.10)
nC=$(steps "$EXHAUSTED" exhausted 0.25)
say "a spin step costs $step cpu-ns; medians: $UNCONTENDED uncontended $(unarmed "$UNCONTENDED" uncontended), $SMALL uncontended $(unarmed "$SMALL" uncontended), $EXHAUSTED exhausted $(unarmed "$EXHAUSTED" exhausted) cpu-ns/op"
spec="$UNCONTENDED/uncontended=$nA,$SMALL/uncontended=$nB,$EXHAUSTED/exhausted=$nC"
check=$(measure "$spec")
got() { slowdown "$check" "$1" "$2" | awk '{ printf "%+.1f%%", 100 * $1 }'; }
say "spin steps: $spec; measured slowdown (cpu-ns/op, median of $CAL_PAIRS pairs):" \
	"$UNCONTENDED uncontended $(got "$UNCONTENDED" uncontended) (target +25%)," \
	"$SMALL uncontended $(got "$SMALL" uncontended) (target +10%)," \
	"$EXHAUSTED exhausted $(got "$EXHAUSTED" exhausted) (target +25%)"
fi
if [[ $kinds == calibrate ]]; then
	echo "SPIN=$spec"
	exit 0
fi

# --- the gates ---------------------------------------------------------------
flagged() { grep -Eq "^gate: REGRESSION Pool/impl=$2/scenario=$3(-[0-9]+)? ${4:-}" "$1"; }
# allocsFlagged OUT: every uncontended row of $ALLOC flagged in allocs/op.
allocsFlagged() { [[ $(grep -Ec "^gate: REGRESSION Pool/impl=$ALLOC/scenario=uncontended(-[0-9]+)? allocs/op " "$1") -eq 2 ]]; }
timedUnits='(sec/op|cpu-sec/op)'
dD=0 dA=0 dB=0 dC=0 tA=0 tB=0 nI=0 undecidedI=0 alarms=0 nAA=0 undecidedAA=0 longest=0 total=0 gates=0
for i in $(seq 1 "$N"); do
	for kind in $kinds; do
		out="$log/$kind-$i.txt"
		start=$SECONDS rc=0
		if [[ $kind == slowed ]]; then
			git -C "$wt" checkout -q --detach "$armed"
			(cd "$wt" && GOFLAGS=-tags=gatepower GATEPOWER_SPIN=$spec GATEPOWER_ALLOC=$ALLOC scripts/gate.sh HEAD~1) >"$out" 2>"$out.err" || rc=$?
		else
			git -C "$wt" checkout -q --detach "$aa"
			(cd "$wt" && scripts/gate.sh HEAD~1) >"$out" 2>"$out.err" || rc=$?
		fi
		took=$((SECONDS - start))
		total=$((total + took)) gates=$((gates + 1))
		((took > longest)) && longest=$took
		if [[ $kind == slowed ]]; then
			nI=$((nI + 1))
			[[ $rc -eq 2 ]] && undecidedI=$((undecidedI + 1))
			hit=""
			flagged "$out" "$UNCONTENDED" uncontended && dA=$((dA + 1)) && hit+=" 25%-uncontended"
			flagged "$out" "$SMALL" uncontended && dB=$((dB + 1)) && hit+=" 10%-uncontended"
			flagged "$out" "$UNCONTENDED" uncontended "$timedUnits" && tA=$((tA + 1)) && hit+=" (25% timed)"
			flagged "$out" "$SMALL" uncontended "$timedUnits" && tB=$((tB + 1)) && hit+=" (10% timed)"
			flagged "$out" "$EXHAUSTED" exhausted && dC=$((dC + 1)) && hit+=" 25%-exhausted"
			allocsFlagged "$out" && dD=$((dD + 1)) && hit+=" allocs"
			say "gate $i/$N slowed: exit $rc in ${took}s, flagged:${hit:- none} (so far $dA/$nI, $dB/$nI, $dC/$nI, allocs $dD/$nI)"
		else
			nAA=$((nAA + 1))
			[[ $rc -eq 1 ]] && alarms=$((alarms + 1))
			[[ $rc -eq 2 ]] && undecidedAA=$((undecidedAA + 1))
			say "gate $i/$N A/A: exit $rc in ${took}s (false alarms so far $alarms/$nAA)$([[ $rc -eq 1 ]] && grep '^gate: REGRESSION' "$out" | head -3 | sed 's/^gate: / | /' | tr -d '\n')"
		fi
		[[ $rc -eq 2 ]] && say "  exit 2: $(tail -n 1 "$out.err")"
	done
done

rate() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", b ? 100 * a / b : 0 }'; }
cat <<REPORT
gate-power: $N slowed and $N A/A gates of $head, each scripts/gate.sh HEAD~1, on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)
spin steps: $spec
figure                        N    flagged  rate   bar
25% uncontended ($UNCONTENDED)    $nI   $dA       $(rate "$dA" "$nI")   >= 95%
10% uncontended ($SMALL)     $nI   $dB       $(rate "$dB" "$nI")   >= 50%
  of which by the timed gate: 25% $tA/$nI ($(rate "$tA" "$nI")), 10% $tB/$nI ($(rate "$tB" "$nI")); the rest by instruction counts
25% exhausted ($EXHAUSTED)         $nI   $dC       $(rate "$dC" "$nI")   >= 80%
allocs/op +1 ($ALLOC, both -cpu)  $nI   $dD       $(rate "$dD" "$nI")   100%
A/A false alarms              $nAA   $alarms       $(rate "$alarms" "$nAA")   <= 5%
exit 2 (no verdict): $undecidedI slowed, $undecidedAA A/A; gate duration mean $((total / gates))s, longest ${longest}s
REPORT
awk -v a="$dA" -v b="$dB" -v c="$dC" -v d="$dD" -v n="$nI" -v f="$alarms" -v m="$nAA" \
	'BEGIN { exit !(n > 0 && m > 0 && a >= 0.95 * n && c >= 0.80 * n && b >= 0.50 * n && d == n && f <= 0.05 * m) }'

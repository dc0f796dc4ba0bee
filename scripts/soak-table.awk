# soak-table.awk: the table of scripts/soak.sh's summary, from its samples
# (t, process, rss_kib, goroutines, fds; one row a process a second):
#
#	awk -F'\t' -v skip=SECONDS -f scripts/soak-table.awk SAMPLES.tsv
#
# One row per process and measure, over the samples after the first skip
# seconds: the least-squares growth per hour of every sample; the same of
# each minute's minimum (the floor: the load cycles every few seconds, so
# growth with time lifts the floor, and growth with load widens the range
# without moving it); and the min-max of the first and last minute. The
# verdict is GROWS for a measure whose fitted floor rose over the span by
# more than 2 (MiB, goroutines, fds) and more than 10% of its first
# minute's minimum; else "flat". (Two single minutes' minima would do, but
# one minute of a client's RSS can sit 5 MiB above or below the next:
# the runtime returns memory to the system in steps.)
NR == 1 || $1 < skip { next }
{
	p = $2; if (!(p in n)) order[++np] = p
	n[p]++; t = $1
	if (!(p in t0)) t0[p] = t
	t1[p] = t
	for (k = 3; k <= 5; k++) {
		v = $k; if (v == "NA") continue
		if (k == 3) v = v / 1024 # MiB
		c[p, k]++; val[p, k, c[p, k]] = v; tm[p, k, c[p, k]] = t
		m = int((t - t0[p]) / 60)
		if (!((p, k, m) in fl) || v < fl[p, k, m]) fl[p, k, m] = v
		if (m > last[p, k]) last[p, k] = m
	}
}
# fit: the least-squares slope per hour of the points (x[i], y[i]), i = 1..m.
function fit(m, x, y,   i, sx, sy, sxx, sxy, d) {
	if (m < 2) return "NA"
	for (i = 1; i <= m; i++) { sx += x[i]; sy += y[i]; sxx += x[i] * x[i]; sxy += x[i] * y[i] }
	d = m * sxx - sx * sx
	if (d == 0) return "NA"
	return sprintf("%+.2f", (m * sxy - sx * sy) / d * 3600)
}
function slope(p, k,   i, x, y) {
	for (i = 1; i <= c[p, k]; i++) { x[i] = tm[p, k, i]; y[i] = val[p, k, i] }
	return fit(c[p, k], x, y)
}
# floor: the slope of each whole minute's minimum, at the minute's middle.
function floor_(p, k,   i, m, x, y) {
	for (i = 0; i < last[p, k]; i++) { # the last minute may be partial
		if (!((p, k, i) in fl)) continue
		m++; x[m] = t0[p] + 60 * i + 30; y[m] = fl[p, k, i]
	}
	return fit(m, x, y)
}
function window(p, k, lo, hi, want,   i, mn, mx, v, any) {
	for (i = 1; i <= c[p, k]; i++) {
		if (tm[p, k, i] < lo || tm[p, k, i] >= hi) continue
		v = val[p, k, i]
		if (!any || v < mn) mn = v
		if (!any || v > mx) mx = v
		any = 1
	}
	if (!any) return "NA"
	if (want == "min") return mn
	return (k == 3) ? sprintf("%.1f-%.1f", mn, mx) : sprintf("%d-%d", mn, mx)
}
END {
	name[3] = "RSS MiB"; name[4] = "goroutines"; name[5] = "fds"
	printf "%-16s %-10s %10s %10s %13s %13s   %s\n", "process", "measure", "per hour", "floor/h", "first minute", "last minute", "verdict"
	for (i = 1; i <= np; i++) {
		p = order[i]
		for (k = 3; k <= 5; k++) {
			a = window(p, k, t0[p], t0[p] + 60, "min"); f = floor_(p, k)
			rise = (f == "NA") ? 0 : f * (t1[p] - t0[p]) / 3600
			verdict = (a != "NA" && rise > 2 && rise > 0.1 * a) ? "GROWS" : "flat"
			printf "%-16s %-10s %10s %10s %13s %13s   %s\n", p, name[k], slope(p, k), f,
				window(p, k, t0[p], t0[p] + 60, "range"), window(p, k, t1[p] - 59, t1[p] + 1, "range"), verdict
		}
	}
}

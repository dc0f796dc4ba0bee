# netns-serve.sh: sourced by the netns-*.sh scripts, never run.
#
# netns_serve NS BIN DESIGN IP LOOPS WORKDIR NAME starts `BIN serve -design
# DESIGN -addr IP:0 -loops LOOPS` in network namespace NS, sets server_pid,
# and waits (at most 10s) for the address the server prints as its first
# line once it accepts, into addr. It exits 1, naming NAME, when the server
# dies or prints nothing. The caller's EXIT trap stops server_pid.
netns_serve() {
	local ns=$1 bin=$2 design=$3 ip=$4 loops=$5 workdir=$6 name=$7
	: >"$workdir/serve.out" # exists before the server starts, for the reads below
	ip netns exec "$ns" "$bin" serve -design "$design" -addr "$ip:0" -loops "$loops" \
		>"$workdir/serve.out" 2>"$workdir/serve.err" &
	server_pid=$!
	addr=
	for _ in $(seq 100); do
		addr=$(head -n 1 "$workdir/serve.out")
		[[ -n $addr ]] && return 0
		if ! kill -0 "$server_pid" 2>/dev/null; then
			echo "$name: server exited: $(cat "$workdir/serve.err")" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "$name: server printed no address within 10s" >&2
	exit 1
}

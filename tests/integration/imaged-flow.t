#!/usr/bin/env bash
# imaged multicast flow control: a receiver that takes datagrams slowly,
# with a small socket buffer, next to a fast one.
#  1. mcast_flow_floor = 0: the server holds the group to what the slow
#     receiver has room for: its socket never overflows, nothing is
#     repaired, and the group gets each block about once.
#  2. mcast_flow_floor above the slow receiver's pace: the server does not
#     wait for it below the floor, so the fast receiver finishes first and
#     the slow one overflows, repairs, and still ends byte-identical.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
. "$SPRINGOS_TOP/tests/lib/netlab.sh"
need_root_netns
B=$SPRINGOS_BUILD/bin
SHIM=$SPRINGOS_BUILD/shim/recvshim.so
P=sof$$
dir=$(mktemp -d /tmp/imaged-flow.XXXXXX)
pids=()
cleanup() {
	trap '' INT TERM # finish cleaning up even if signalled again
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	netlab_down "$P" 2
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
S="ip netns exec ${P}s"

netlab_up "$P" 10.79.0 2 || bail_out "cannot build the namespaces"

# 12 MiB of random data: stored as is, about 9000 datagrams.
head -c 12582912 /dev/urandom > "$dir/src.raw"
mkdir "$dir/store"
"$B/imgtool" convert "$dir/src.raw" "$dir/store/disk.sos" >/dev/null

rcvbuf_errors() { # receiver namespace N: UDP datagrams dropped on a full socket
	ip netns exec "${P}r$1" awk '/^Udp: [0-9]/ { print $6 }' /proc/net/snmp
}

start_imaged() { # FLOOR_KBPS
	cat > "$dir/springos.ini" <<EOF2
[testbed]
db = $dir/erm.db
[imaged]
store = $dir/store
listen = 10.79.0.1:8070
mcast_address = 10.79.0.1
mcast_port = 7400
mcast_group = 239.192.79.1
mcast_rate_max = 400000
mcast_rate_start = 400000
# Loss-based backoff out of the way: flow control alone is under test.
mcast_loss_backoff = 90
mcast_flow_floor = $1
EOF2
	$S timeout 120 "$B/imaged" -f -c "$dir/springos.ini" 2>"$dir/imaged-$1.log" &
	imaged_pid=$!
	pids+=($imaged_pid)
	for _ in $(seq 50); do
		$S curl -s -o /dev/null http://10.79.0.1:8070/images && return 0
		sleep 0.1
	done
	return 1
}

run_pair() { # TAG: a fast receiver in r1, a slow one (small buffer) in r2
	local tag=$1
	ip netns exec "${P}r1" timeout 100 "$B/imgrecv" -t 90 -s 10.79.0.1:7400 -i 10.79.0.11 \
		disk.sos "$dir/fast-$tag" >"$dir/fast-$tag.out" 2>&1 &
	fast=$!; pids+=($fast)
	# 250 us per datagram: about 5.6 MB/s; a 256 KiB buffer holds some
	# 100 datagrams.  (Under make SAN=1 the shim precedes the ASan runtime.)
	ip netns exec "${P}r2" env LD_PRELOAD="$SHIM" RECVSHIM_SLOW_US=250 \
		RECVSHIM_RCVBUF=262144 ASAN_OPTIONS=verify_asan_link_order=0 \
		timeout 100 "$B/imgrecv" -t 90 -s 10.79.0.1:7400 -i 10.79.0.12 \
		disk.sos "$dir/slow-$tag" >"$dir/slow-$tag.out" 2>&1 &
	slow=$!; pids+=($slow)
	wait "$fast"; fast_rc=$?
	kill -0 "$slow" 2>/dev/null && slow_running=1 || slow_running=0
	wait "$slow"; slow_rc=$?
}

# 1. The group waits for the slow receiver.
start_imaged 0 || bail_out "imaged did not start"
e0=$(rcvbuf_errors 2)
run_pair wait
e1=$(rcvbuf_errors 2)
check "flow: the fast receiver is byte-identical" \
	bash -c "[[ $fast_rc == 0 ]] && cmp -s '$dir/fast-wait' '$dir/src.raw'"
check "flow: the slow receiver is byte-identical" \
	bash -c "[[ $slow_rc == 0 ]] && cmp -s '$dir/slow-wait' '$dir/src.raw'"
is "$((e1 - e0))" 0 "flow: the slow receiver's small socket buffer never overflowed"
prog=$($S curl -s http://10.79.0.1:8070/progress)
mc=$(sed -n 's/.*"bytes_multicast": \([0-9]*\).*/\1/p' <<<"$prog")
stored=$(sed -n 's/.*"chunk_bytes": \([0-9]*\).*/\1/p' <<<"$prog")
diag "multicast bytes $mc for $stored stored"
check "flow: the group got each block about once (multicast < 1.1 x stored)" \
	test "$((mc * 10))" -lt "$((stored * 11))"
for _ in $(seq 30); do grep -q 'all 2 receivers done' "$dir/imaged-0.log" && break; sleep 0.1; done
like "$(cat "$dir/imaged-0.log")" "all 2 receivers done; .*[(]0 asked as repairs" \
	"flow: the server logs the transfer with no repairs"
kill "$imaged_pid"; wait "$imaged_pid" 2>/dev/null

# 2. Above the floor the group does not wait for it.
start_imaged 100000 || bail_out "imaged did not start"
e0=$(rcvbuf_errors 2)
run_pair floor
e1=$(rcvbuf_errors 2)
check "floor: the fast receiver is byte-identical" \
	bash -c "[[ $fast_rc == 0 ]] && cmp -s '$dir/fast-floor' '$dir/src.raw'"
check "floor: the slow receiver still ends byte-identical" \
	bash -c "[[ $slow_rc == 0 ]] && cmp -s '$dir/slow-floor' '$dir/src.raw'"
is "$slow_running" 1 "floor: the fast receiver finished while the slow one was still working"
check "floor: the slow receiver's socket overflowed ($((e1 - e0)) datagrams), and it repaired them" \
	test "$((e1 - e0))" -gt 0
kill "$imaged_pid"; wait "$imaged_pid" 2>/dev/null
done_testing

#!/usr/bin/env bash
# imaged multicast: 8 receivers in their own network namespaces behind a
# bridge with IGMP snooping, 5% of datagrams dropped by a receive-side shim.
# One joins late, one is killed mid-way and resumes with only its missing
# chunks, one gets a corrupted block (detected by SHA-256 and fetched
# again), one never sees multicast and falls back to unicast.  All 8 end
# byte-identical to the source.  Also: HTTP catalogue, Range, upload, and
# the image registered in the testbed database.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
. "$SPRINGOS_TOP/tests/lib/netlab.sh"
need_root_netns
B=$SPRINGOS_BUILD/bin
SHIM=$SPRINGOS_BUILD/shim/recvshim.so
P=sos$$
dir=$(mktemp -d /tmp/imaged-mcast.XXXXXX)
pids=()
loopdev=
cleanup() {
	trap '' INT TERM # finish cleaning up even if signalled again
	[[ -n $loopdev ]] && losetup -d "$loopdev" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	netlab_down "$P" 8
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
S="ip netns exec ${P}s"

# The lab: a server namespace holding a bridge that snoops IGMP, one
# namespace per receiver (10.77.0.11-18).
netlab_up "$P" 10.77.0 8 snoop || bail_out "cannot build the namespaces"

# A 12 MiB disk: random, text, zeros; 256 KiB chunks (48 of them).
{ head -c 4194304 /dev/urandom; yes "springos multicast test" | head -c 4194304
  head -c 4194304 /dev/zero; } > "$dir/src.raw"
mkdir "$dir/store"
"$B/imgtool" convert -s 262144 "$dir/src.raw" "$dir/store/disk.sos" >/dev/null
src_sha=$(sha256sum < "$dir/src.raw" | cut -d' ' -f1)
cat > "$dir/springos.ini" <<EOF2
[testbed]
db = $dir/erm.db
[imaged]
store = $dir/store
listen = 10.77.0.1:8070
mcast_address = 10.77.0.1
mcast_port = 7400
mcast_group = 239.192.77.1
mcast_rate_max = 24000
# The shim drops 5% at every receiver on purpose (40% summed over 8):
# back off only above 90%.
mcast_loss_backoff = 90
EOF2
$S timeout 300 "$B/imaged" -f -c "$dir/springos.ini" 2>"$dir/imaged.log" &
pids+=($!)
for _ in $(seq 50); do
	$S curl -s -o /dev/null http://10.77.0.1:8070/images && break
	sleep 0.1
done

cat=$($S curl -s http://10.77.0.1:8070/images)
like "$cat" '"name": "disk.sos"' "catalogue lists the image"
like "$cat" '"group": "239.192.77.1"' "catalogue gives its multicast group"
code=$($S curl -s -o "$dir/range" -w '%{http_code}' -r 0-127 http://10.77.0.1:8070/images/disk.sos)
is "$code/$(head -c 8 "$dir/range" | tr -d '\r\n')/$(stat -c %s "$dir/range")" "206/SOSIMG/128" \
	"HTTP Range returns the header bytes with 206"
code=$($S curl -s -o /dev/null -w '%{http_code}' -r 999999999- http://10.77.0.1:8070/images/disk.sos)
is "$code" "416" "HTTP Range past the end is 416"
reg=$(sqlite3 "$dir/erm.db" "SELECT format, size, sha256 FROM images WHERE name='disk.sos'")
is "$reg" "sosimg|12582912|$src_sha" "image is registered in the testbed database"

recv() { # recv N COMMAND...: run in receiver N's namespace behind the shim
	local i=$1; shift
	# exec: the background job's pid is the command's own, so that it can
	# be killed (ip netns exec and env exec in place).
	# (Under make SAN=1 the shim precedes the ASan runtime: allow it.)
	exec ip netns exec "${P}r$i" env LD_PRELOAD="$SHIM" RECVSHIM_DROP_PPM=50000 \
		ASAN_OPTIONS=verify_asan_link_order=0 "$@"
}
R="timeout 120 $B/imgrecv -t 100 -s 10.77.0.1:7400 -i"
# Receivers 1-4: plain, with 5% loss.
for i in 1 2 3 4; do
	recv $i $R "10.77.0.$((10 + i))" disk.sos "$dir/out$i" >"$dir/r$i.out" 2>"$dir/r$i.err" &
	pids+=($!); eval "rp$i=$!"
done
# Receiver 5: multicast never arrives: falls back to unicast.
recv 5 env RECVSHIM_DROP_MCAST=1 $R 10.77.0.15 disk.sos "$dir/out5" >"$dir/r5.out" 2>"$dir/r5.err" &
pids+=($!); rp5=$!
# Receiver 8: one corrupted DATA block on the wire.
recv 8 env RECVSHIM_CORRUPT_NTH=3 $R 10.77.0.18 disk.sos "$dir/out8" >"$dir/r8.out" 2>"$dir/r8.err" &
pids+=($!); rp8=$!
# Receiver 7: killed once it has written some chunks, then restarted.
recv 7 "$B/imgrecv" -t 100 -s 10.77.0.1:7400 -i 10.77.0.17 -p disk.sos "$dir/out7" \
	>"$dir/r7a.out" 2>"$dir/r7a.err" &
r7=$!; pids+=($r7)
for _ in $(seq 200); do
	n=$(grep -c '^progress' "$dir/r7a.err" 2>/dev/null)
	((n >= 8)) && break
	sleep 0.05
done
kill -9 $r7 2>/dev/null; wait $r7 2>/dev/null
is "$(cat "$dir/r7a.out")" "" "receiver 7 was killed before it finished"
sleep 0.3
mdb=$($S bridge mdb show dev "${P}br" 2>/dev/null)
like "$mdb" "239.192.77.1" "IGMP: the bridge learned the group from the receivers' reports"
# Receiver 6 joins late, receiver 7 resumes.
recv 6 $R 10.77.0.16 disk.sos "$dir/out6" >"$dir/r6.out" 2>"$dir/r6.err" &
pids+=($!); rp6=$!
recv 7 $R 10.77.0.17 -r disk.sos "$dir/out7" >"$dir/r7.out" 2>"$dir/r7.err" &
pids+=($!); rp7=$!

for i in 1 2 3 4 5 6 7 8; do
	eval "p=\$rp$i"
	wait "$p"; rc=$?
	if ((rc == 0)) && cmp -s "$dir/out$i" "$dir/src.raw"; then
		ok "receiver $i: byte-identical to the source"
	else
		not_ok "receiver $i: byte-identical to the source (rc $rc)"
		diag "$(cat "$dir/r$i.out" "$dir/r$i.err" 2>/dev/null | tail -5)"
	fi
done
like "$(cat "$dir/r5.out")" "unicast=1" "receiver 5: fell back to unicast"
like "$(cat "$dir/r5.err")" "falling back to unicast" "receiver 5: said so"
like "$(cat "$dir/r8.out")" "corrupt=[1-9]" "receiver 8: the corrupted chunk was detected"
like "$(cat "$dir/r8.err")" "failed its check.*fetching it again" "receiver 8: and fetched again"
r7=$(cat "$dir/r7.out")
present=$(sed -n 's/.* present=\([0-9]*\).*/\1/p' <<<"$r7")
received=$(sed -n 's/.* received=\([0-9]*\).*/\1/p' <<<"$r7")
chunks=$(sed -n 's/.* chunks=\([0-9]*\).*/\1/p' <<<"$r7")
diag "receiver 7 after restart: $r7"
# 16 zero chunks are always "present"; resumed data chunks come on top.
check "receiver 7: resumed with data chunks already on disk (present $present > 16)" \
	test "${present:-0}" -gt 16
is "$((present + received))" "$chunks" "receiver 7: fetched only its missing chunks"
like "$(cat "$dir/r1.out")" "sha256=$src_sha" "receivers report the image digest"

prog=$($S curl -s http://10.77.0.1:8070/progress)
ndone=$(grep -c '"done": true' <<<"$prog")
check "server progress shows at least 8 receivers done ($ndone)" test "$ndone" -ge 8
mc=$(sed -n 's/.*"bytes_multicast": \([0-9]*\).*/\1/p' <<<"$prog")
stored=$(sed -n 's/.*"chunk_bytes": \([0-9]*\).*/\1/p' <<<"$prog")
diag "multicast bytes $mc for $stored stored chunk bytes ($(awk "BEGIN{printf \"%.2f\", $mc/$stored}")x)"
check "multicast sent less than 4x the stored bytes to 7 multicast receivers" \
	test "$mc" -lt $((4 * stored))

# Upload: a captured image is stored, registered and served.
"$B/imgtool" capture -s 65536 "$dir/src.raw" "$dir/cap.sos" >/dev/null
code=$($S curl -s -o "$dir/up.json" -w '%{http_code}' -T "$dir/cap.sos" http://10.77.0.1:8070/images/captured.sos)
is "$code" "201" "upload of a captured image: 201"
code=$($S curl -s -o /dev/null -w '%{http_code}' -T "$dir/cap.sos" http://10.77.0.1:8070/images/captured.sos)
is "$code" "409" "uploading the same name again: 409"
head -c 1000 "$dir/cap.sos" > "$dir/bad.sos"
code=$($S curl -s -o "$dir/bad.txt" -w '%{http_code}' -T "$dir/bad.sos" http://10.77.0.1:8070/images/bad.sos)
is "$code/$(ls "$dir/store" | grep -c bad)" "422/0" "a truncated upload is refused and nothing is left"
like "$(cat "$dir/bad.txt")" "offset [0-9]+" "the refusal names the offset"
is "$(sqlite3 "$dir/erm.db" "SELECT sha256 FROM images WHERE name='captured.sos'")" "$src_sha" \
	"the upload is registered in the database"
timeout 60 ip netns exec "${P}r1" "$B/imgrecv" -t 50 -s 10.77.0.1:7400 -i 10.77.0.11 captured.sos "$dir/cap.raw" >/dev/null 2>&1
check "the uploaded image is served by multicast" cmp -s "$dir/cap.raw" "$dir/src.raw"
# Onto a block device full of 0xff: zero chunks must be zeroed there.
head -c 12582912 /dev/zero | tr '\0' '\377' > "$dir/blk.img"
if loopdev=$(losetup -f --show "$dir/blk.img"); then
	timeout 60 ip netns exec "${P}r2" "$B/imgrecv" -t 50 -s 10.77.0.1:7400 -i 10.77.0.12 \
		captured.sos "$loopdev" >"$dir/blk.out" 2>&1
	cmp -s "$loopdev" "$dir/src.raw"
	check "received onto a block device: byte-identical, zero chunks zeroed" test $? = 0
	losetup -d "$loopdev"
	loopdev=
else
	not_ok "no loop device for the block-device receive"
fi
kill "${pids[0]}" 2>/dev/null
done_testing

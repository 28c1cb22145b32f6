#!/usr/bin/env bash
# ni receiving an image by multicast from a real imaged: two nodes in
# their own network namespaces behind a bridge with IGMP snooping, one
# installing a whole disk file, the other partition 4 of an MBR disk,
# both verified by reading the target back against the image's SHA-256.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
. "$SPRINGOS_TOP/tests/lib/netlab.sh"
need_root_netns
B=$SPRINGOS_BUILD/bin
P=nm$$
dir=$(mktemp -d /tmp/ni-mcast.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	netlab_down "$P" 2
	rm -rf "$dir"
}
trap cleanup EXIT
S="ip netns exec ${P}s"

netlab_up "$P" 10.78.0 2 snoop || bail_out "cannot build the namespaces"

plan 8
# An 8 MiB disk image with a zero run, as 256 KiB chunks.
{ head -c 3145728 /dev/urandom; head -c 3145728 /dev/zero; head -c 2097152 /dev/urandom; } \
	>"$dir/src.raw"
mkdir "$dir/store"
"$B/imgtool" convert -s 262144 "$dir/src.raw" "$dir/store/disk.sos" >/dev/null
cat >"$dir/springos.ini" <<INI
[testbed]
db = $dir/erm.db
[imaged]
store = $dir/store
listen = 10.78.0.1:8070
mcast_address = 10.78.0.1
mcast_port = 7401
mcast_group = 239.192.78.1
mcast_rate_max = 50000
INI
$S timeout 200 "$B/imaged" -f -c "$dir/springos.ini" 2>"$dir/imaged.log" &
pids+=($!)
for _ in $(seq 50); do
	$S curl -s -o /dev/null http://10.78.0.1:8070/images && break
	sleep 0.1
done

truncate -s 32M "$dir/mbr.disk"
printf 'label: dos\n2048,2048,83\n4096,2048,83\n6144,2048,83\n16384,,83\n' | sfdisk -q "$dir/mbr.disk"
cp "$dir/mbr.disk" "$dir/mbr.before"
ip netns exec "${P}r1" timeout 150 "$B/ni" -q --json --create --disk "$dir/r1.disk" \
	--image "mcast://10.78.0.1:7401/disk.sos?iface=10.78.0.11" >"$dir/r1.json" 2>"$dir/r1.err" &
n1=$!
ip netns exec "${P}r2" timeout 150 "$B/ni" -q --json --disk "$dir/mbr.disk" --partition 4 \
	--image "mcast://10.78.0.1:7401/disk.sos?iface=10.78.0.12" >"$dir/r2.json" 2>"$dir/r2.err" &
n2=$!
wait $n1; rc1=$?
wait $n2; rc2=$?
is "$rc1:$(jq -r .ok "$dir/r1.json"):$(jq -r .format "$dir/r1.json")" "0:true:sosimg" \
	"node 1 installed by multicast"
check "node 1: disk equals the image" cmp -s "$dir/r1.disk" "$dir/src.raw"
is "$(jq -r .sha256 "$dir/r1.json")" "$(sha256sum <"$dir/src.raw" | cut -d' ' -f1)" \
	"node 1: verified against the image's SHA-256"
is "$rc2:$(jq -r .ok "$dir/r2.json"):$(jq -r .offset "$dir/r2.json")" "0:true:$((16384 * 512))" \
	"node 2 installed partition 4 by multicast"
check "node 2: partition 4 holds the image" \
	cmp -s <(tail -c +$((16384 * 512 + 1)) "$dir/mbr.disk" | head -c 8388608) "$dir/src.raw"
check "node 2: the rest of the disk is untouched" \
	cmp -s <(head -c $((16384 * 512)) "$dir/mbr.disk") <(head -c $((16384 * 512)) "$dir/mbr.before")
ip netns exec "${P}r1" timeout 60 "$B/ni" -q --json --create --disk "$dir/r3.disk" \
	--image "mcast://10.78.0.1:7401/nosuch.sos?iface=10.78.0.11" >"$dir/r3.json" 2>/dev/null
is "$?:$(jq -r .ok "$dir/r3.json")" "1:false" "an image imaged does not have fails"
like "$(jq -r .reason "$dir/r3.json")" "multicast .*nosuch" "  with the reason"
[[ $rc1$rc2 == 00 ]] || diag "$(cat "$dir/r1.err" "$dir/r2.err" "$dir/imaged.log" | head -40)"

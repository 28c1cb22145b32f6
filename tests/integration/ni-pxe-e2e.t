#!/usr/bin/env bash
# End to end, as a real node: a QEMU machine (TCG) with Debian's iPXE ROM
# and an empty IDE disk, powered through its QMP socket.  bootsrv (DHCP,
# TFTP, HTTP), imaged and master run in a lab namespace with the VM's tap.
# `springos node reimage` records the plan and power-cycles the VM; it
# PXE-boots into the ni initrd, ni gets its plan with the token bootsrv put
# on its kernel command line, installs the sample image from imaged over
# HTTP, verifies, reports, reboots; bootsrv now answers "local", the VM
# boots its disk and the sample system prints its marker.  The test reads
# the marker and compares the disk with the image.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
need_root_netns
BIN=$SPRINGOS_BUILD/bin
IMG=$SPRINGOS_BUILD/images
KDIR=$SPRINGOS_BUILD/ni-initrd

P=ni$$e
NS=${P}n
BR=${P}br
TAP=${P}tap
SRV=192.168.214.1
MAC=52:54:00:5a:14:01
NODEIP=192.168.214.11
TMP=$(mktemp -d /tmp/$P.XXXXXX)
[[ -d $TMP ]] || { echo "Bail out! no temporary directory"; exit 1; }
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

plan 11
for f in "$KDIR/vmlinuz" "$KDIR/initrd.img" "$IMG/sample.img.gz"; do
	[[ -s $f ]] || { not_ok "built: $f"; exit 1; }
done

ip netns add "$NS" && ip -n "$NS" link set lo up &&
ip -n "$NS" link add "$BR" type bridge && ip -n "$NS" addr add $SRV/24 dev "$BR" &&
ip -n "$NS" link set "$BR" up &&
ip -n "$NS" tuntap add dev "$TAP" mode tap && ip -n "$NS" link set "$TAP" master "$BR" &&
ip -n "$NS" link set "$TAP" up ||
	{ echo "Bail out! cannot build the namespace"; exit 1; }

mkdir -p "$TMP/http/ni" "$TMP/tftp" "$TMP/store"
cp "$KDIR/vmlinuz" "$KDIR/initrd.img" "$TMP/http/ni/"
cp "$IMG/sample.img.gz" "$TMP/store/"
"$SPRINGOS_TOP/bootsrv/ipxe-install" "$TMP/tftp" "$TMP/http" >/dev/null

cat >"$TMP/springos.ini" <<INI
[testbed]
db = $TMP/erm.db
mgmt_network = 192.168.214.0/24
mgmt_address = $SRV
state_dir = $TMP
[bootsrv]
interface = $BR
dhcp_mode = server
boot_url = http://$SRV:8080
tftp_listen = $SRV:69
tftp_root = $TMP/tftp
http_listen = $SRV:8080
http_root = $TMP/http
boot_cmdline = console=ttyS0 quiet panic=-1
master_url = http://$SRV:8000
token_secret_file = $TMP/master.secret
[imaged]
store = $TMP/store
listen = $SRV:8070
mcast_address = $SRV
[master]
listen = $SRV:8000
INI
export SPRINGOS_CONF=$TMP/springos.ini
cat >"$TMP/inventory.ini" <<INI
[node:e2e01]
mac = $MAC
ip = $NODEIP
boot = none
power = qemu
power_params = $TMP/e2e01.qmp
INI
"$BIN/springos" db init >/dev/null && "$BIN/springos" node import "$TMP/inventory.ini" >/dev/null ||
	{ echo "Bail out! cannot set up the testbed database"; exit 1; }

# The master first: it creates the token secret bootsrv reads.
ip netns exec "$NS" "$BIN/master" -f -c "$TMP/springos.ini" 2>"$TMP/master.log" &
pids+=($!)
ip netns exec "$NS" "$BIN/imaged" -f -c "$TMP/springos.ini" 2>"$TMP/imaged.log" &
pids+=($!)
for _ in $(seq 100); do
	[[ -s $TMP/master.secret ]] &&
		ip netns exec "$NS" curl -s -o /dev/null "http://$SRV:8070/images" && break
	sleep 0.1
done
ip netns exec "$NS" "$BIN/bootsrv" -f -v -c "$TMP/springos.ini" >"$TMP/bootsrv.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q ": ready$" "$TMP/bootsrv.log" && break; sleep 0.1; done
check "bootsrv, imaged and master are up in the lab namespace" grep -q ": ready$" "$TMP/bootsrv.log"

# The node: powered but stopped until its power driver starts it.
truncate -s 64M "$TMP/disk.img"
ip netns exec "$NS" qemu-system-x86_64 -accel tcg -m 512 -display none -monitor none \
	-serial "file:$TMP/serial.log" -boot n -S \
	-qmp "unix:$TMP/e2e01.qmp,server=on,wait=off" \
	-drive "file=$TMP/disk.img,format=raw,if=ide" \
	-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" \
	-device "e1000,netdev=n0,mac=$MAC" >"$TMP/qemu.log" 2>&1 &
qpid=$!
pids+=($qpid)
for _ in $(seq 50); do [[ -S $TMP/e2e01.qmp ]] && break; sleep 0.1; done

timeout 400 "$BIN/springos" node reimage e2e01 --image sample.img.gz --disktype ide --timeout 380 \
	>"$TMP/reimage.out" 2>&1
rc=$?
is "$rc" 0 "springos node reimage: the node installed"
out=$(cat "$TMP/reimage.out")
like "$out" "e2e01 +power-cycled \(qemu\)" "  it power-cycled the VM through QMP"
# It redraws a node's line when the master's record changes (polled each
# second): at least the plan pending, then done with its size.
like "$out" "e2e01 +pending .*e2e01 +done +100% +[0-9.]+ MB" "  it showed the node's progress"
like "$out" "1 of 1 node\(s\) installed" "  and the final tally"
is "$("$BIN/springos" --json node show e2e01 | jq -r '.boot + " " + .state')" "local installed" \
	"the node's boot mode is local"

for _ in $(seq 200); do
	grep -aq "SPRINGOS-SAMPLE-BOOTED" "$TMP/serial.log" && break
	kill -0 $qpid 2>/dev/null || break
	sleep 1
done
serial=$(tr -d '\r' <"$TMP/serial.log")
like "$serial" "ni: done 100% [0-9.]+ MB written.*ni: installed [0-9]+ bytes \(gzip, .*verified" \
	"ni reported progress, installed and verified in the VM"
like "$serial" "SPRINGOS-SAMPLE-BOOTED from disk" "after the reboot the VM booted its disk: marker seen"
like "$(cat "$TMP/bootsrv.log")" "boot script for $MAC node e2e01 .*: local" \
	"bootsrv answered local after the install"
check "the disk equals the sample image" \
	cmp -s <(head -c "$(stat -c %s "$IMG/sample.img")" "$TMP/disk.img") <(zcat "$IMG/sample.img.gz")
for _ in $(seq 30); do kill -0 $qpid 2>/dev/null || break; sleep 1; done
check "the sample system powered the VM off" bash -c "! kill -0 $qpid 2>/dev/null"
if [[ $rc != 0 ]] || ! grep -aq SPRINGOS-SAMPLE-BOOTED "$TMP/serial.log"; then
	diag "reimage: $(tail -5 "$TMP/reimage.out")"
	diag "serial: $(tr -d '\r' <"$TMP/serial.log" | tail -25)"
	diag "bootsrv: $(tail -15 "$TMP/bootsrv.log")"
	diag "master: $(tail -10 "$TMP/master.log")"
fi

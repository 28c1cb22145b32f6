#!/usr/bin/env bash
# End to end: a QEMU machine (TCG) whose NIC ROM is iPXE (Debian's
# ipxe-qemu) boots through bootsrv alone: DHCP gives it its reserved
# address and the URL of its per-node script, HTTP serves the script, the
# Debian kernel and a tiny busybox initrd, whose /init prints a marker
# with the node parameters from the kernel command line on the serial
# console.  Then the node's boot mode is flipped to local and the script
# must say so.  Everything lives in one network namespace: a bridge with
# bootsrv's address and the VM's tap.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
need_root_netns
command -v qemu-system-x86_64 >/dev/null || plan_skip_all "qemu-system-x86 not installed (make deps)"
KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)
[[ -n $KERNEL ]] || plan_skip_all "no kernel in /boot (linux-image-amd64, make deps)"
[[ -x /bin/busybox ]] || plan_skip_all "no /bin/busybox (busybox-static, make deps)"

P=sos$$e
NS=${P}n
BR=${P}br
TAP=${P}tap
SRV=192.168.213.1
MAC=52:54:00:5a:13:01
NODEIP=192.168.213.11
TMP=$(mktemp -d /tmp/$P.XXXXXX)
BOOTSRV=$SPRINGOS_BUILD/bin/bootsrv
SPRINGOS=$SPRINGOS_BUILD/bin/springos
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS" && ip -n "$NS" link set lo up &&
ip -n "$NS" link add "$BR" type bridge && ip -n "$NS" addr add $SRV/24 dev "$BR" &&
ip -n "$NS" link set "$BR" up &&
ip -n "$NS" tuntap add dev "$TAP" mode tap && ip -n "$NS" link set "$TAP" master "$BR" &&
ip -n "$NS" link set "$TAP" up ||
	{ echo "Bail out! cannot build the namespace"; exit 1; }

# The ni stand-in: Debian's kernel and a busybox initrd whose init prints
# the springos.* parameters it was booted with, then powers off.
mkdir -p "$TMP/http/ni" "$TMP/tftp" "$TMP/initrd/bin" "$TMP/initrd/dev" "$TMP/initrd/proc"
cp "$KERNEL" "$TMP/http/ni/vmlinuz"
cp /bin/busybox "$TMP/initrd/bin/busybox"
mknod "$TMP/initrd/dev/console" c 5 1
cat >"$TMP/initrd/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
set -- $(/bin/busybox cat /proc/cmdline)
for w; do case $w in springos.*) args="$args $w" ;; esac; done
echo "SPRINGOS-E2E-MARKER$args"
/bin/busybox poweroff -f
EOF
chmod 755 "$TMP/initrd/init"
(cd "$TMP/initrd" && find . | cpio -o -H newc --quiet | gzip -1) >"$TMP/http/ni/initrd.img" ||
	{ echo "Bail out! cannot build the initrd"; exit 1; }
"$SPRINGOS_TOP/bootsrv/ipxe-install" "$TMP/tftp" "$TMP/http" >/dev/null

cat >"$TMP/springos.ini" <<EOF
[testbed]
db = $TMP/erm.db
mgmt_network = 192.168.213.0/24
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
token_secret_file = $TMP/secret
EOF
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/secret"
cat >"$TMP/inventory.ini" <<EOF
[node:e2e01]
mac = $MAC
ip = $NODEIP
boot = install
power = qemu
EOF
"$SPRINGOS" -c "$TMP/springos.ini" db init >/dev/null &&
"$SPRINGOS" -c "$TMP/springos.ini" node import "$TMP/inventory.ini" >/dev/null ||
	{ echo "Bail out! cannot set up the testbed database"; exit 1; }

plan 8
: >"$TMP/bootsrv.log"
ip netns exec "$NS" "$BOOTSRV" -f -v -c "$TMP/springos.ini" >>"$TMP/bootsrv.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q ": ready$" "$TMP/bootsrv.log" && break; sleep 0.1; done
check "bootsrv (DHCP, TFTP, HTTP) started in the lab namespace" grep -q ": ready$" "$TMP/bootsrv.log"

# The iPXE stage for BIOS PXE ROMs comes from Debian's ipxe package, over TFTP.
ip netns exec "$NS" timeout 30 curl -sS -o "$TMP/undionly" "tftp://$SRV/undionly.kpxe"
check "undionly.kpxe (Debian ipxe) over TFTP is byte-identical" \
	cmp -s "$TMP/undionly" /usr/lib/ipxe/undionly.kpxe

: >"$TMP/serial.log"
ip netns exec "$NS" timeout 200 qemu-system-x86_64 -accel tcg -m 256 -display none \
	-monitor none -serial "file:$TMP/serial.log" -no-reboot -boot n \
	-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" \
	-device "e1000,netdev=n0,mac=$MAC" >"$TMP/qemu.log" 2>&1 &
qpid=$!
pids+=($qpid)
for _ in $(seq 190); do
	grep -q "SPRINGOS-E2E-MARKER" "$TMP/serial.log" && break
	kill -0 $qpid 2>/dev/null || break
	sleep 1
done
marker=$(grep -a "SPRINGOS-E2E-MARKER" "$TMP/serial.log" | tr -d '\r')
like "$marker" "SPRINGOS-E2E-MARKER springos.node=e2e01 springos.mac=$MAC springos.ip=$NODEIP springos.master=http://$SRV:8000 springos.token=[0-9a-f]{64}" \
	"the VM booted the initrd served by bootsrv; its init saw the node's parameters"
if [[ -z $marker ]]; then
	diag "serial: $(tail -20 "$TMP/serial.log")"
	diag "bootsrv: $(tail -30 "$TMP/bootsrv.log")"
	diag "qemu: $(cat "$TMP/qemu.log")"
fi
like "$(cat "$TMP/bootsrv.log")" "boot script for $MAC node e2e01 \\(asked by $NODEIP\\): install" \
	"the VM fetched its per-node script (mode install) from its reserved address (DHCP)"
like "$(cat "$TMP/bootsrv.log")" "ni/vmlinuz" "the VM fetched the kernel over HTTP"
for _ in $(seq 30); do kill -0 $qpid 2>/dev/null || break; sleep 1; done
check "the VM powered off by itself after the marker" bash -c "! kill -0 $qpid 2>/dev/null"

# Flip the node to local: the same URL now says boot from disk.
"$SPRINGOS" -c "$TMP/springos.ini" node boot e2e01 local >/dev/null
script=$(ip netns exec "$NS" timeout 30 curl -sS "http://$SRV:8080/boot/$MAC.ipxe")
like "$script" "node e2e01 boots from its local disk.*sanboot --no-describe --drive 0x80" \
	"after 'springos node boot e2e01 local' the script boots the local disk"
check "bootsrv still running" kill -0 "${pids[0]}"

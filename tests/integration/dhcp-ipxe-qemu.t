#!/usr/bin/env bash
# The iPXE ROM of a QEMU VM (TCG, -boot n) on a tap in a lab namespace
# gets its reserved address and a boot file name from bootsrv.  QEMU's
# ROM is iPXE itself (option 175), so the boot file is the HTTP URL of
# its per-node script: tshark sees bootsrv's ACK to the VM's MAC, then
# the VM opening a TCP connection to that URL's host and port from its
# new address, which only happens if the ROM accepted both.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
need_root_netns
. "$SPRINGOS_TOP/tests/integration/dhcp-lib.sh"
trap dhcp_cleanup EXIT
plan 5
TAP=${P}t
MAC=02:00:00:00:05:00

ip netns add "$NS_SRV"
ip -n "$NS_SRV" link set lo up
ip -n "$NS_SRV" tuntap add dev "$TAP" mode tap
ip -n "$NS_SRV" addr add 10.99.0.1/16 dev "$TAP"
ip -n "$NS_SRV" link set "$TAP" up
IF_SRV=$TAP dhcp_config ""
cat >"$TMP/inv.ini" <<EOT
[node:n05]
mac = $MAC
ip = 10.99.0.15
boot = install
EOT
"$SPRINGOS" -c "$TMP/springos.ini" node import "$TMP/inv.ini" >/dev/null
check "bootsrv starts" dhcp_start
ip netns exec "$NS_SRV" timeout 150 tshark -q -i "$TAP" -w "$TMP/cap.pcapng" \
	-f "udp port 67 or udp port 68 or tcp port 8080" >/dev/null 2>&1 &
_dhcp_pids+=($!)
TSHARK_PID=$!
for _ in $(seq 1 50); do [[ -s $TMP/cap.pcapng ]] && break; sleep 0.1; done
ip netns exec "$NS_SRV" timeout 120 qemu-system-x86_64 -accel tcg -m 128 -nodefaults \
	-display none -serial "file:$TMP/serial.log" -boot n \
	-netdev tap,id=n0,ifname="$TAP",script=no,downscript=no \
	-device e1000,netdev=n0,mac=$MAC >"$TMP/qemu.log" 2>&1 &
_dhcp_pids+=($!)
QEMU_PID=$!
rrq=""
for _ in $(seq 1 180); do
	rrq=$(tshark -r "$TMP/cap.pcapng" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" -T fields \
		-e ip.src -e ip.dst -e tcp.dstport 2>/dev/null | head -1)
	[[ -n $rrq ]] && break
	kill -0 "$QEMU_PID" 2>/dev/null || break
	sleep 0.5
done
kill "$QEMU_PID" 2>/dev/null
sleep 0.3
kill -INT "$TSHARK_PID" 2>/dev/null; wait "$TSHARK_PID" 2>/dev/null
ack=$(tshark -r "$TMP/cap.pcapng" -Y "dhcp.option.dhcp == 5 && dhcp.hw.mac_addr == $MAC" -T fields \
	-e dhcp.ip.your -e dhcp.file 2>/dev/null | head -1)
is "$ack" $'10.99.0.15\thttp://10.99.0.1:8080/boot/02:00:00:00:05:00.ipxe' \
	"bootsrv ACKs the VM's iPXE ROM with its reserved address and its script URL"
pxe=$(tshark -r "$TMP/cap.pcapng" -Y "dhcp.option.dhcp == 1 && dhcp.hw.mac_addr == $MAC" -T fields \
	-e dhcp.option.vendor_class_id 2>/dev/null | head -1)
like "$pxe" '^PXEClient' "the VM's ROM identifies as a PXE client"
is "$rrq" $'10.99.0.15\t10.99.0.1\t8080' "the ROM then connects to the script's HTTP server from its new address"
check "bootsrv alive" dhcp_alive
[[ -n $rrq ]] || diag "qemu: $(tail -3 "$TMP/qemu.log")"

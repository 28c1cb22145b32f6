#!/usr/bin/env bash
# The iPXE ROM of a QEMU VM (TCG, -boot n) on a tap in a lab namespace
# gets its address and a boot file name from bootsrv.  QEMU's ROM is iPXE
# itself (option 175), so the boot file is the HTTP URL of its per-node
# script.  tshark on the tap sees the DHCP exchange, then the VM opening a
# TCP connection to that URL's host and port from its new address, which
# only happens if the ROM accepted both.
#  1. bootsrv as the DHCP server: the node's reserved address.
#  2. proxyDHCP: dnsmasq is "the site's" DHCP server (addresses only);
#     bootsrv in proxy mode adds the boot file.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
need_root_netns
. "$SPRINGOS_TOP/tests/integration/dhcp-lib.sh"
NS_DNS=${P}dns
cleanup() { ip netns pids "$NS_DNS" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$NS_DNS" 2>/dev/null; dhcp_cleanup; }
trap cleanup EXIT
plan 9
TAP=${P}t
BR=${P}br
MAC=02:00:00:00:05:00
URL=http://10.99.0.1:8080/boot/$MAC.ipxe

# The VM's tap and a veth to a namespace for dnsmasq share a bridge that
# carries bootsrv's address.
ip netns add "$NS_SRV"; ip netns add "$NS_DNS"
ip -n "$NS_SRV" link set lo up
ip -n "$NS_SRV" link add "$BR" type bridge
ip -n "$NS_SRV" tuntap add dev "$TAP" mode tap
ip link add "$IF_SRV" type veth peer name "$IF_CLI"
ip link set "$IF_SRV" netns "$NS_SRV"; ip link set "$IF_CLI" netns "$NS_DNS"
ip -n "$NS_SRV" link set "$TAP" master "$BR"; ip -n "$NS_SRV" link set "$IF_SRV" master "$BR"
ip -n "$NS_SRV" addr add 10.99.0.1/16 dev "$BR"
for l in "$BR" "$TAP" "$IF_SRV"; do ip -n "$NS_SRV" link set "$l" up; done
ip -n "$NS_DNS" addr add 10.99.0.2/16 dev "$IF_CLI"
ip -n "$NS_DNS" link set "$IF_CLI" up
IF_SRV=$BR dhcp_config "http_listen = 10.99.0.1:8080"
cat >"$TMP/inv.ini" <<EOT
[node:n05]
mac = $MAC
ip = 10.99.0.15
boot = install
EOT
"$SPRINGOS" -c "$TMP/springos.ini" node import "$TMP/inv.ini" >/dev/null

# boot_vm NAME: boot the VM until it opens a TCP connection (or 90 s);
# leaves the capture in $TMP/NAME.pcapng and "SRC DST PORT" in $syn.
boot_vm() {
	local cap=$TMP/$1.pcapng tshark_pid qemu_pid
	ip netns exec "$NS_SRV" timeout 150 tshark -q -i "$TAP" -w "$cap" \
		-f "udp port 67 or udp port 68 or udp port 4011 or tcp port 8080" >/dev/null 2>&1 &
	tshark_pid=$!
	_dhcp_pids+=($tshark_pid)
	for _ in $(seq 1 50); do [[ -s $cap ]] && break; sleep 0.1; done
	ip netns exec "$NS_SRV" timeout 120 qemu-system-x86_64 -accel tcg -m 128 -nodefaults \
		-display none -serial "file:$TMP/$1.serial" -boot n \
		-netdev tap,id=n0,ifname="$TAP",script=no,downscript=no \
		-device e1000,netdev=n0,mac=$MAC >"$TMP/$1.qemu" 2>&1 &
	qemu_pid=$!
	_dhcp_pids+=($qemu_pid)
	syn=""
	for _ in $(seq 1 180); do
		syn=$(tshark -r "$cap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" -T fields \
			-e ip.src -e ip.dst -e tcp.dstport 2>/dev/null | head -1)
		[[ -n $syn ]] && break
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.5
	done
	kill "$qemu_pid" 2>/dev/null; wait "$qemu_pid" 2>/dev/null
	sleep 0.3
	kill -INT "$tshark_pid" 2>/dev/null; wait "$tshark_pid" 2>/dev/null
	[[ -n $syn ]] || diag "qemu $1: $(tail -3 "$TMP/$1.qemu")"
}

# 1. bootsrv is the DHCP server.
check "bootsrv starts" dhcp_start
boot_vm server
ack=$(tshark -r "$TMP/server.pcapng" -Y "dhcp.option.dhcp == 5 && dhcp.hw.mac_addr == $MAC" -T fields \
	-e dhcp.ip.your -e dhcp.file 2>/dev/null | head -1)
is "$ack" $'10.99.0.15\t'"$URL" "bootsrv ACKs the VM's iPXE ROM with its reserved address and its script URL"
pxe=$(tshark -r "$TMP/server.pcapng" -Y "dhcp.option.dhcp == 1 && dhcp.hw.mac_addr == $MAC" -T fields \
	-e dhcp.option.vendor_class_id 2>/dev/null | head -1)
like "$pxe" '^PXEClient' "the VM's ROM identifies as a PXE client"
is "$syn" $'10.99.0.15\t10.99.0.1\t8080' "the ROM then connects to the script's HTTP server from its new address"
check "bootsrv alive" dhcp_alive
dhcp_stop

# 2. proxyDHCP next to dnsmasq, which leases from 10.99.50.x and knows
#    nothing about booting.
echo "dhcp_mode = proxy" >>"$TMP/springos.ini"
check "bootsrv starts in proxy mode" dhcp_start
ip netns exec "$NS_DNS" timeout 150 dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
	--interface="$IF_CLI" --bind-interfaces --user=root --group=root --no-ping \
	--dhcp-range=10.99.50.10,10.99.50.20,255.255.0.0,1h --dhcp-leasefile="$TMP/dnsmasq.leases" \
	--pid-file="$TMP/dnsmasq.pid" >"$TMP/dnsmasq.log" 2>&1 &
DNSMASQ_PID=$!
_dhcp_pids+=($DNSMASQ_PID)
sleep 0.5
boot_vm proxy
offer=$(tshark -r "$TMP/proxy.pcapng" -Y "dhcp.option.dhcp == 2 && ip.src == 10.99.0.1 && dhcp.ip.your == 0.0.0.0" \
	-T fields -e dhcp.option.vendor_class_id -e dhcp.file 2>/dev/null | head -1)
is "$offer" $'PXEClient\t'"$URL" "proxy: bootsrv's OFFER has no address, the PXEClient class and the script URL"
like "$syn" $'^10\\.99\\.50\\.[0-9]+\t10\\.99\\.0\\.1\t8080$' \
	"proxy: the ROM takes dnsmasq's address and bootsrv's boot file, and connects"
check "bootsrv alive after the proxy boot" dhcp_alive
kill "$DNSMASQ_PID" 2>/dev/null; wait "$DNSMASQ_PID" 2>/dev/null

#!/usr/bin/env bash
# bootsrv DHCP through a relay agent (ISC dhcrelay) to a client on
# another subnet; malformed messages (truncated, bad option lengths,
# option-overload loops, zero-length client id, giant) dropped, logged
# and survived; proxyDHCP mode answering PXE clients only, on 67 and 4011.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
need_root_netns
. "$SPRINGOS_TOP/tests/integration/dhcp-lib.sh"
NS_FAR=${P}far
IF_RD=${P}rd   # relay, downstream side
IF_FAR=${P}f   # the far client
cleanup() { ip netns pids "$NS_FAR" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$NS_FAR" 2>/dev/null; dhcp_cleanup; }
trap cleanup EXIT
plan 15
PKT=$SPRINGOS_TOP/tests/integration/dhcp_packets.py

# server --(10.99.0.0/16)-- relay (in NS_CLI) --(10.98.1.0/24)-- far client
dhcp_netns || { not_ok "namespaces"; exit 1; }
ip netns add "$NS_FAR"
ip link add "$IF_RD" type veth peer name "$IF_FAR"
ip link set "$IF_RD" netns "$NS_CLI"; ip link set "$IF_FAR" netns "$NS_FAR"
ip -n "$NS_CLI" addr add 10.99.0.2/16 dev "$IF_CLI"
ip -n "$NS_CLI" addr add 10.98.1.1/24 dev "$IF_RD"
ip -n "$NS_CLI" link set "$IF_RD" up
ip -n "$NS_FAR" link set lo up; ip -n "$NS_FAR" link set "$IF_FAR" up
ip netns exec "$NS_CLI" sysctl -qw net.ipv4.ip_forward=1
ip -n "$NS_SRV" route add 10.98.1.0/24 via 10.99.0.2
dhcp_config "dhcp_subnets = 10.98.1.0/24
dhcp_pool = 10.98.1.100-10.98.1.120"
check "bootsrv starts" dhcp_start
ip netns exec "$NS_CLI" timeout 60 dhcrelay -d -4 -q -iu "$IF_CLI" -id "$IF_RD" \
	-pf "$TMP/dhcrelay.pid" 10.99.0.1 >"$TMP/dhcrelay.log" 2>&1 &
_dhcp_pids+=($!)
sleep 0.5
dhcp_dhclient_script
timeout 30 ip netns exec "$NS_FAR" dhclient -1 -sf "$TMP/dhclient-script" -lf "$TMP/far.leases" \
	-pf "$TMP/far.pid" "$IF_FAR" >/dev/null 2>&1
[[ -f $TMP/far.pid ]] && kill "$(cat "$TMP/far.pid")" 2>/dev/null
val() { sed -n "s/^$1=//p" "$TMP/dhclient.out" 2>/dev/null; }
like "$(val ip)" '^10\.98\.1\.(1[0-1][0-9]|120)$' "relayed client gets an address of its own subnet's pool"
is "$(val mask)" 255.255.255.0 "relayed client: netmask of the relayed subnet"
is "$(val routers)" 10.98.1.1 "relayed client: router defaults to the relay's address"
is "$(val server)" 10.99.0.1 "relayed client: server identifier is bootsrv's address"

# Malformed messages, three rounds of ten kinds, sent from the relay namespace.
n=$(ip netns exec "$NS_CLI" /usr/bin/python3 "$PKT" send 10.99.0.1 67)
sleep 0.5
check "bootsrv alive after $n malformed messages" dhcp_alive
drops=$(grep -c "dropped a message" "$TMP/bootsrv.log")
if ((drops >= 5 && drops <= 25)); then ok "malformed messages logged with rate limiting ($drops lines for $n)"
else not_ok "malformed messages logged with rate limiting ($drops lines for $n)"; fi
like "$(cat "$TMP/bootsrv.log")" "option runs past the end" "a truncated option is named in the log"
like "$(cat "$TMP/bootsrv.log")" "option 61" "a zero-length client identifier is named in the log"
rm -f "$TMP/dhclient.out" "$TMP/far.leases"
timeout 30 ip netns exec "$NS_FAR" dhclient -1 -sf "$TMP/dhclient-script" -lf "$TMP/far.leases" \
	-pf "$TMP/far.pid" "$IF_FAR" >/dev/null 2>&1
[[ -f $TMP/far.pid ]] && kill "$(cat "$TMP/far.pid")" 2>/dev/null
like "$(val ip)" '^10\.98\.1\.' "a relayed client is still served after the malformed ones"
dhcp_stop

# proxyDHCP: no addresses; PXE clients get the boot file on 67 and 4011.
sed -i 's/^dhcp_pool.*/dhcp_mode = proxy/' "$TMP/springos.ini"
check "bootsrv starts in proxy mode" dhcp_start
out=$(ip netns exec "$NS_CLI" /usr/bin/python3 "$PKT" pxe-probe "$IF_CLI" 10.99.0.1 4011)
is "$out" "offer type=2 yiaddr=0.0.0.0 siaddr=10.99.0.1 file=undionly.kpxe class=PXEClient uuid=17 | ack type=5 yiaddr=0.0.0.0 file=undionly.kpxe" \
	"proxy: PXE DISCOVER gets an address-less OFFER with the boot file; 4011 REQUEST gets the ACK"
rm -f "$TMP/udhcpc.out"
printf '#!/bin/sh\n[ "$1" = bound ] && echo "$ip" >"%s"\nexit 0\n' "$TMP/udhcpc.out" >"$TMP/udhcpc-script"
chmod +x "$TMP/udhcpc-script"
ip -n "$NS_CLI" addr flush dev "$IF_CLI"
timeout 20 ip netns exec "$NS_CLI" udhcpc -i "$IF_CLI" -n -q -f -t 2 -T 1 -s "$TMP/udhcpc-script" >/dev/null 2>&1
if [[ ! -s $TMP/udhcpc.out ]]; then ok "proxy: a non-PXE client gets no address"; else not_ok "proxy: a non-PXE client got $(cat "$TMP/udhcpc.out")"; fi
like "$(cat "$TMP/bootsrv.log")" "DISCOVER .* is not from a PXE client: ignored" "proxy: its DISCOVER was heard and ignored"
check "bootsrv alive at the end" dhcp_alive

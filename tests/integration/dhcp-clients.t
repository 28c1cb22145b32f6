#!/usr/bin/env bash
# bootsrv DHCP against real clients nobody here wrote: ISC dhclient,
# busybox udhcpc and dhcpcd each get the node's reserved address and the
# configured options; an unknown MAC gets a pool lease that is in the
# testbed database and survives a kill -9 of bootsrv; with the pool off
# an unknown MAC gets nothing and is logged once; tshark dissects every
# packet bootsrv sent without a malformed or error flag.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
need_root_netns
. "$SPRINGOS_TOP/tests/integration/dhcp-lib.sh"
trap dhcp_cleanup EXIT
plan 27

dhcp_netns || { not_ok "namespaces"; exit 1; }
dhcp_config "dhcp_pool = 10.99.100.1-10.99.100.50
dhcp_lease_time = 600"
cat >"$TMP/inv.ini" <<EOT
[node:n01]
mac = 02:00:00:00:01:00
ip = 10.99.0.11
[node:n02]
mac = 02:00:00:00:02:00
ip = 10.99.0.12
[node:n03]
mac = 02:00:00:00:03:00
ip = 10.99.0.13
EOT
"$SPRINGOS" -c "$TMP/springos.ini" node import "$TMP/inv.ini" >/dev/null
ip netns exec "$NS_SRV" timeout 120 tshark -q -i "$IF_SRV" -w "$TMP/cap.pcapng" -f "udp port 67 or udp port 68" \
	>/dev/null 2>&1 &
_dhcp_pids+=($!)
TSHARK_PID=$!
check "bootsrv starts" dhcp_start
for _ in $(seq 1 50); do [[ -s $TMP/cap.pcapng ]] && break; sleep 0.1; done
dhcp_dhclient_script

run_dhclient() { # MAC
	rm -f "$TMP/dhclient.out"
	ip -n "$NS_CLI" addr flush dev "$IF_CLI"
	ip -n "$NS_CLI" link set "$IF_CLI" address "$1"
	timeout 30 ip netns exec "$NS_CLI" dhclient -1 -sf "$TMP/dhclient-script" \
		-lf "$TMP/dhclient.leases" -pf "$TMP/dhclient.pid" "$IF_CLI" >/dev/null 2>&1
	local rc=$?
	[[ -f $TMP/dhclient.pid ]] && kill "$(cat "$TMP/dhclient.pid")" 2>/dev/null
	rm -f "$TMP/dhclient.pid"
	return $rc
}
val() { sed -n "s/^$1=//p" "$2"; }

# 1. dhclient, registered node: reserved address and every option.
check "dhclient: n01 bound" run_dhclient 02:00:00:00:01:00
is "$(val ip "$TMP/dhclient.out")" 10.99.0.11 "dhclient: n01 gets its reserved address"
is "$(val mask "$TMP/dhclient.out")" 255.255.0.0 "dhclient: netmask of mgmt_network"
is "$(val routers "$TMP/dhclient.out")" 10.99.0.254 "dhclient: router"
is "$(val dns "$TMP/dhclient.out")" 10.99.0.53 "dhclient: DNS server"
is "$(val domain "$TMP/dhclient.out")" lab.example "dhclient: domain"
is "$(val host "$TMP/dhclient.out")" n01 "dhclient: host name is the node name"
is "$(val lease "$TMP/dhclient.out")" 600 "dhclient: lease time"
is "$(val server "$TMP/dhclient.out")" 10.99.0.1 "dhclient: server identifier"

# 2. dhclient, unknown MAC: a pool lease, written to the database.
rm -f "$TMP/dhclient.leases"
check "dhclient: unknown MAC bound" run_dhclient 02:00:00:00:aa:01
pool_ip=$(val ip "$TMP/dhclient.out")
like "$pool_ip" '^10\.99\.100\.([1-9]|[1-4][0-9]|50)$' "dhclient: unknown MAC gets a pool address"
is "$(sqlite3 "$TMP/erm.db" "SELECT mac || ' ' || state FROM leases WHERE ip = '$pool_ip'")" \
	"02:00:00:00:aa:01 bound" "the pool lease is in the testbed database"

# 3. busybox udhcpc.
cat >"$TMP/udhcpc-script" <<EOT
#!/bin/sh
[ "\$1" = bound ] && echo "ip=\$ip host=\$hostname mask=\$subnet router=\$router" >"$TMP/udhcpc.out"
exit 0
EOT
chmod +x "$TMP/udhcpc-script"
ip -n "$NS_CLI" link set "$IF_CLI" address 02:00:00:00:02:00
timeout 30 ip netns exec "$NS_CLI" udhcpc -i "$IF_CLI" -n -q -f -t 5 -T 2 -s "$TMP/udhcpc-script" >/dev/null 2>&1
is "$(cat "$TMP/udhcpc.out" 2>/dev/null)" "ip=10.99.0.12 host=n02 mask=255.255.0.0 router=10.99.0.254" \
	"udhcpc: n02 gets its address, name, mask and router"

# 4. dhcpcd.
cat >"$TMP/dhcpcd-script" <<EOT
#!/bin/sh
case "\$reason" in BOUND|REBOOT|RENEW) echo "ip=\$new_ip_address host=\$new_host_name" >"$TMP/dhcpcd.out";; esac
exit 0
EOT
chmod +x "$TMP/dhcpcd-script"
ip -n "$NS_CLI" addr flush dev "$IF_CLI"
ip -n "$NS_CLI" link set "$IF_CLI" address 02:00:00:00:03:00
timeout 40 ip netns exec "$NS_CLI" dhcpcd -f /dev/null -4 -1 -B -t 30 -c "$TMP/dhcpcd-script" \
	--noipv4ll -L --nohook resolv.conf "$IF_CLI" >"$TMP/dhcpcd.log" 2>&1
is "$(cat "$TMP/dhcpcd.out" 2>/dev/null)" "ip=10.99.0.13 host=n03" "dhcpcd: n03 gets its address and name"
[[ -f $TMP/dhcpcd.out ]] || diag "$(tail -5 "$TMP/dhcpcd.log")"
ip netns exec "$NS_CLI" dhcpcd -f /dev/null -4 -x "$IF_CLI" >/dev/null 2>&1

check "bootsrv alive after the clients" dhcp_alive

# 5. kill -9 and restart: the lease is still that client's, and nobody else's.
kill -9 "$BOOTSRV_PID"; wait "$BOOTSRV_PID" 2>/dev/null
check "bootsrv restarts" dhcp_start
like "$(cat "$TMP/bootsrv.log")" "1 leases restored" "the lease is restored from the database"
rm -f "$TMP/dhclient.leases"
run_dhclient 02:00:00:00:aa:02
other_ip=$(val ip "$TMP/dhclient.out")
if [[ -n $other_ip && $other_ip != "$pool_ip" ]]; then ok "another MAC gets a different pool address ($other_ip)"
else not_ok "another MAC gets a different pool address (got '$other_ip', held '$pool_ip')"; fi
rm -f "$TMP/dhclient.leases"
run_dhclient 02:00:00:00:aa:01
is "$(val ip "$TMP/dhclient.out")" "$pool_ip" "the first client gets its address back after the restart"
dups=$(sqlite3 "$TMP/erm.db" "SELECT count(*) FROM (SELECT ip FROM leases GROUP BY ip HAVING count(DISTINCT mac) > 1)")
is "$dups" 0 "no address held by two MACs"

# 6. Pool off: unknown MACs get nothing, logged once per MAC per minute.
dhcp_stop
sed -i '/^dhcp_pool/d' "$TMP/springos.ini"
check "bootsrv starts with the pool off" dhcp_start
rm -f "$TMP/udhcpc.out"
ip -n "$NS_CLI" link set "$IF_CLI" address 02:00:00:00:bb:01
timeout 30 ip netns exec "$NS_CLI" udhcpc -i "$IF_CLI" -n -q -f -t 3 -T 1 -s "$TMP/udhcpc-script" >/dev/null 2>&1
if [[ ! -s $TMP/udhcpc.out ]]; then ok "pool off: unknown MAC gets no lease"; else not_ok "pool off: unknown MAC got $(cat "$TMP/udhcpc.out")"; fi
is "$(grep -c '02:00:00:00:bb:01 is not a registered node' "$TMP/bootsrv.log")" 1 \
	"pool off: logged once for three DISCOVERs"
run_dhclient 02:00:00:00:01:00
is "$(val ip "$TMP/dhclient.out")" 10.99.0.11 "pool off: registered nodes still get their address"
check "bootsrv alive at the end" dhcp_alive
dhcp_stop

# 7. tshark: every packet bootsrv sent dissects cleanly.
sleep 0.5
kill -INT "$TSHARK_PID" 2>/dev/null; wait "$TSHARK_PID" 2>/dev/null
sent=$(tshark -r "$TMP/cap.pcapng" -Y "udp.srcport == 67 && dhcp" 2>/dev/null | wc -l)
bad=$(tshark -r "$TMP/cap.pcapng" -Y "udp.srcport == 67 && (_ws.malformed || _ws.expert.severity >= 6291456)" 2>/dev/null | wc -l)
if ((sent > 10 && bad == 0)); then ok "tshark: $sent packets from bootsrv, none malformed"
else not_ok "tshark: $sent packets from bootsrv, $bad malformed or with errors"
	tshark -r "$TMP/cap.pcapng" -Y "udp.srcport == 67 && (_ws.malformed || _ws.expert.severity >= 6291456)" -V 2>/dev/null | grep -i -E "malformed|expert" | head -5 | while read -r l; do diag "$l"; done
fi

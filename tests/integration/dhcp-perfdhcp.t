#!/usr/bin/env bash
# bootsrv under perfdhcp load (DORA, relayed like perfdhcp does), killed
# with SIGKILL in the middle of it, restarted, loaded again with other
# clients.  Checked from a capture on the client side: no address was
# ever ACKed to two MACs, and every ACK that reached a client is in the
# testbed database (leases are durable before the ACK leaves).
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
need_root_netns
. "$SPRINGOS_TOP/tests/integration/dhcp-lib.sh"
trap dhcp_cleanup EXIT
plan 8

dhcp_netns || { not_ok "namespaces"; exit 1; }
ip -n "$NS_CLI" addr add 10.99.0.2/16 dev "$IF_CLI"
dhcp_config "dhcp_pool = 10.99.100.1-10.99.139.254"
check "bootsrv starts" dhcp_start
ip netns exec "$NS_CLI" timeout 60 tshark -q -i "$IF_CLI" -w "$TMP/cap.pcapng" -f "udp src port 67" \
	>/dev/null 2>&1 &
_dhcp_pids+=($!)
TSHARK_PID=$!
for _ in $(seq 1 50); do [[ -s $TMP/cap.pcapng ]] && break; sleep 0.1; done

perf() { # BASE-MAC SECONDS
	ip netns exec "$NS_CLI" timeout 30 perfdhcp -4 -l "$IF_CLI" -r 400 -R 3000 -p "$2" -W 500000 \
		-g single -b "mac=$1" 10.99.0.1 >"$TMP/perf-$1.log" 2>&1
}
perf 02:11:00:00:00:00 4 &
PERF=$!
sleep 2
kill -9 "$BOOTSRV_PID"; wait "$BOOTSRV_PID" 2>/dev/null
wait "$PERF"
check "bootsrv restarts after kill -9 under load" dhcp_start
perf 02:22:00:00:00:00 3
sleep 0.5
check "bootsrv alive after the second load" dhcp_alive
dhcp_stop
kill -INT "$TSHARK_PID" 2>/dev/null; wait "$TSHARK_PID" 2>/dev/null

tshark -r "$TMP/cap.pcapng" -Y "dhcp.option.dhcp == 5" -T fields -e dhcp.ip.your -e dhcp.hw.mac_addr \
	2>/dev/null | sort -u >"$TMP/acks"
n1=$(grep -c $'\t02:11:' "$TMP/acks")
n2=$(grep -c $'\t02:22:' "$TMP/acks")
if ((n1 > 100)); then ok "first load: $n1 clients ACKed before the kill"; else not_ok "first load: only $n1 ACKs"; fi
if ((n2 > 100)); then ok "second load: $n2 clients ACKed after the restart"; else not_ok "second load: only $n2 ACKs"; fi
dup=$(cut -f1 "$TMP/acks" | sort | uniq -d | wc -l)
is "$dup" 0 "no address ACKed to two MACs, across the kill -9"
sqlite3 -separator $'\t' "$TMP/erm.db" "SELECT ip, mac FROM leases WHERE state = 'bound'" | sort >"$TMP/db"
missing=$(comm -23 "$TMP/acks" "$TMP/db" | wc -l)
is "$missing" 0 "every ACK a client saw is in the testbed database ($(wc -l <"$TMP/acks") ACKs)"
diag "$(grep -h -A3 'REQUEST-ACK' "$TMP"/perf-*.log | grep -E 'sent|received' | tr '\n' ' ')"
bad=$(tshark -r "$TMP/cap.pcapng" -Y "_ws.malformed || _ws.expert.severity >= 6291456" 2>/dev/null | wc -l)
is "$bad" 0 "tshark finds no malformed reply in the load"

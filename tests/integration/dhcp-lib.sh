# Shared set-up for the DHCP integration tests (sourced, not a test).
# Two namespaces joined by a veth: $NS_SRV runs bootsrv on $IF_SRV
# (10.99.0.1/16), $NS_CLI holds the client side $IF_CLI.  Every name
# carries a per-run prefix; dhcp_cleanup (trapped on EXIT) removes the
# namespaces and kills only the processes this script started.
P=sd$$
NS_SRV=${P}srv
NS_CLI=${P}cli
IF_SRV=${P}s
IF_CLI=${P}c
TMP=$(mktemp -d /tmp/springos-dhcp.XXXXXX)
BOOTSRV=$SPRINGOS_BUILD/bin/bootsrv
SPRINGOS=$SPRINGOS_BUILD/bin/springos
_dhcp_pids=()

dhcp_cleanup() {
	local p
	for p in "${_dhcp_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${_dhcp_pids[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	ip netns pids "$NS_CLI" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns pids "$NS_SRV" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$NS_CLI" 2>/dev/null
	ip netns del "$NS_SRV" 2>/dev/null
	rm -rf "$TMP"
}

dhcp_netns() {
	ip netns add "$NS_SRV" && ip netns add "$NS_CLI" &&
	ip link add "$IF_SRV" type veth peer name "$IF_CLI" &&
	ip link set "$IF_SRV" netns "$NS_SRV" && ip link set "$IF_CLI" netns "$NS_CLI" &&
	ip -n "$NS_SRV" link set lo up && ip -n "$NS_CLI" link set lo up &&
	ip -n "$NS_SRV" addr add 10.99.0.1/16 dev "$IF_SRV" &&
	ip -n "$NS_SRV" link set "$IF_SRV" up && ip -n "$NS_CLI" link set "$IF_CLI" up
}

# dhcp_config EXTRA-BOOTSRV-LINES: write $TMP/springos.ini and init the db.
dhcp_config() {
	cat >"$TMP/springos.ini" <<EOT
[testbed]
db = $TMP/erm.db
mgmt_network = 10.99.0.0/16
mgmt_address = 10.99.0.1
state_dir = $TMP
[bootsrv]
interface = $IF_SRV
dhcp_router = 10.99.0.254
dhcp_dns = 10.99.0.53
dhcp_domain = lab.example
$1
EOT
	"$SPRINGOS" -c "$TMP/springos.ini" db init >/dev/null
}

# dhcp_start: run bootsrv in the server namespace, wait until it is ready.
dhcp_start() {
	: >"$TMP/bootsrv.log"
	ip netns exec "$NS_SRV" "$BOOTSRV" -f -v -c "$TMP/springos.ini" "$@" \
		>>"$TMP/bootsrv.log" 2>&1 &
	_dhcp_pids+=($!)
	BOOTSRV_PID=$!
	for _ in $(seq 1 100); do
		grep -q "ready" "$TMP/bootsrv.log" && return 0
		kill -0 "$BOOTSRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	diag "bootsrv did not start: $(cat "$TMP/bootsrv.log")"
	return 1
}

dhcp_stop() {
	kill "$BOOTSRV_PID" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$BOOTSRV_PID" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$BOOTSRV_PID" 2>/dev/null
}

dhcp_alive() { kill -0 "$BOOTSRV_PID" 2>/dev/null; }

# A dhclient script that records the variables instead of touching the
# system (the stock one rewrites /etc/resolv.conf).
dhcp_dhclient_script() {
	cat >"$TMP/dhclient-script" <<'EOT'
#!/bin/sh
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
	{ echo "reason=$reason"; echo "ip=$new_ip_address"; echo "mask=$new_subnet_mask"
	  echo "routers=$new_routers"; echo "dns=$new_domain_name_servers"
	  echo "domain=$new_domain_name"; echo "host=$new_host_name"
	  echo "lease=$new_dhcp_lease_time"; echo "server=$new_dhcp_server_identifier"
	  echo "file=$new_filename"; echo "next=$new_next_server"; } >"@OUT@"
	ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface" 2>/dev/null
	;;
esac
exit 0
EOT
	sed -i "s|@OUT@|$TMP/dhclient.out|" "$TMP/dhclient-script"
	chmod +x "$TMP/dhclient-script"
}

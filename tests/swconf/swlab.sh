# swlab.sh: switches for swconf's tests and benchmark.
#
# With nodes, the real lab: lab/lab builds P-mgmt, P-sw and the nodes
# (node K's eth1 is switch port 2K-1; it gets 10.200.0.K/24 here), and
# swconf/lab-switch starts snmpd in P-mgmt and vswitch-agent in P-sw;
# swconf and the net-snmp tools then run in P-mgmt ($SW_IN).
# Without nodes (the cisco test, the benchmark): a namespace P-sw with
# unconnected ports, snmpd by hand on a root-namespace loopback port.
#
#   swlab_init            prefix, temp dir, cleanup trap
#   swlab_lab N           lab of N nodes + its switch (snmpd, vswitch-agent)
#   swlab_ports N         switch namespace with N unconnected ports
#   swlab_snmpd [EXTRA]   snmpd on 127.0.0.1:$SW_PORT (extra config lines)
#   swlab_agent N [ARGS]  vswitch-agent for N ports, waits until it answers
#   swlab_ini NAME [k=v]  write $SW_DIR/springos.ini for switch NAME
# Everything started is killed by pid and every namespace deleted on exit.

export SNMP_PERSISTENT_DIR SNMPCONFPATH MIBS= MIBDIRS=/nonexistent
SW_PIDS=()
SW_IN=()
SW_LAB=""

swlab_cleanup() {
	local pid ns
	if [[ -n $SW_LAB ]]; then
		timeout 30 "$SPRINGOS_TOP/swconf/lab-switch" down "$P" --dir "$SW_LAB" >/dev/null 2>&1
		timeout 60 "$SPRINGOS_TOP/lab/lab" down --prefix "$P" >/dev/null 2>&1
	fi
	for pid in "${SW_PIDS[@]}"; do
		kill -CONT "$pid" 2>/dev/null
		kill "$pid" 2>/dev/null
	done
	for pid in "${SW_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${P}-"); do
		ip netns del "$ns" 2>/dev/null
	done
	[[ -n ${SW_DIR:-} && -d $SW_DIR ]] && rm -rf "$SW_DIR"
	true
}

swlab_init() {
	P=swc$$
	SW_DIR=$(mktemp -d /tmp/swconf-test.XXXXXX)
	SNMP_PERSISTENT_DIR=$SW_DIR/persist
	SNMPCONFPATH=$SW_DIR/no-snmp-conf
	mkdir -p "$SNMP_PERSISTENT_DIR"
	trap swlab_cleanup EXIT
	trap 'exit 1' INT TERM
}

swlab_ports() {
	local n=$1 i
	ip netns add "$P-sw"
	ip -n "$P-sw" link set lo up
	for ((i = 1; i <= n; i++)); do
		ip -n "$P-sw" link add "swp$i" type veth peer name "x$i"
		ip -n "$P-sw" link set "swp$i" up
		ip -n "$P-sw" link set "x$i" up
	done
}

swlab_lab() {
	local n=$1 k pid
	SW_LAB=$SW_DIR/lab
	timeout 120 "$SPRINGOS_TOP/lab/lab" up "$n" --prefix "$P" --dir "$SW_LAB" \
		>"$SW_DIR/lab.log" 2>&1 ||
		return 1
	for ((k = 1; k <= n; k++)); do
		ip -n "$P-n$k" addr add "10.200.0.$k/24" dev eth1 || return 1
	done
	SPRINGOS_BUILD=$SPRINGOS_BUILD timeout 60 "$SPRINGOS_TOP/swconf/lab-switch" up "$P" \
		--dir "$SW_LAB" --fault "$SW_DIR/fault" --v3 swuser:swauthpass1:swprivpass1 \
		>/dev/null || return 1
	read -r SW_SNMPD <"$SW_LAB/switch/snmpd.pid"
	read -r SW_AGENT <"$SW_LAB/switch/agent.pid"
	SW_PORT=16100
	SW_IN=(ip netns exec "$P-mgmt")
	SW_AGENT_LOG=$SW_LAB/switch/agent.log
}

# snmpd by hand, never the packaged service: generated config, our
# persistent dir, loopback only.  A busy port makes snmpd exit at once:
# try another.
swlab_snmpd() {
	local extra=${1:-} try
	for try in 1 2 3 4 5 6; do
		SW_PORT=$((20000 + (RANDOM % 30000)))
		cat >"$SW_DIR/snmpd.conf" <<-EOF
			agentaddress udp:127.0.0.1:$SW_PORT
			master agentx
			agentXSocket $SW_DIR/agentx.sock
			agentXTimeout 2
			rwcommunity private 127.0.0.1
			createUser swuser SHA "swauthpass1" AES "swprivpass1"
			rwuser swuser priv
			$extra
		EOF
		/usr/sbin/snmpd -f -C -c "$SW_DIR/snmpd.conf" -Lf "$SW_DIR/snmpd.log" \
			-p "$SW_DIR/snmpd.pid" >/dev/null 2>&1 &
		SW_SNMPD=$!
		SW_PIDS+=("$SW_SNMPD")
		for _ in $(seq 1 30); do
			if ! kill -0 "$SW_SNMPD" 2>/dev/null; then
				break
			fi
			if [[ -S $SW_DIR/agentx.sock ]] && ss -Hlun "sport = :$SW_PORT" | grep -q .; then
				return 0
			fi
			sleep 0.1
		done
		kill "$SW_SNMPD" 2>/dev/null
		wait "$SW_SNMPD" 2>/dev/null
	done
	echo "# snmpd did not start: $(tail -3 "$SW_DIR/snmpd.log")" >&2
	return 1
}

swlab_agent() {
	local n=$1
	shift
	ip netns exec "$P-sw" "$SPRINGOS_BUILD/bin/vswitch-agent" -f -x "$SW_DIR/agentx.sock" \
		-n "$n" -F "$SW_DIR/fault" "$@" >"$SW_DIR/agent.log" 2>&1 &
	SW_AGENT=$!
	SW_AGENT_LOG=$SW_DIR/agent.log
	SW_PIDS+=("$SW_AGENT")
	for _ in $(seq 1 50); do
		if timeout 5 snmpget -v2c -c private -On -r0 -t1 "127.0.0.1:$SW_PORT" \
			1.3.6.1.2.1.17.1.2.0 2>/dev/null | grep -q "INTEGER: $n"; then
			return 0
		fi
		sleep 0.1
	done
	echo "# vswitch-agent did not answer: $(tail -3 "$SW_DIR/agent.log")" >&2
	return 1
}

# swlab_ini NAME key=value...: [testbed] db in SW_DIR, [switch:NAME] with
# the given keys over these defaults.
swlab_ini() {
	local name=$1
	shift
	declare -A kv=([driver]=qbridge [address]="udp:127.0.0.1:$SW_PORT" [version]=2c
		[community]=private [ports]=4 [vlan_min]=100 [vlan_max]=199 [timeout_ms]=1000
		[retries]=3)
	local a
	for a in "$@"; do kv[${a%%=*}]=${a#*=}; done
	{
		printf '[testbed]\ndb = %s/erm.db\n\n[switch:%s]\n' "$SW_DIR" "$name"
		for a in "${!kv[@]}"; do
			[[ -n ${kv[$a]} ]] && printf '%s = %s\n' "$a" "${kv[$a]}"
		done
	} >"$SW_DIR/springos.ini"
}

swlab_walk() { # the Q-BRIDGE subtree as snmpwalk sees it
	timeout 10 "${SW_IN[@]}" snmpwalk -v2c -c private -On -r1 -t1 "127.0.0.1:$SW_PORT" \
		1.3.6.1.2.1.17.7 2>&1
}

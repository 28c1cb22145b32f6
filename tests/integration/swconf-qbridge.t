#!/usr/bin/env bash
# swconf over the Q-BRIDGE-MIB against the lab switch: a lab of 4 nodes
# (lab/lab), the real snmpd in the lab's management namespace and
# vswitch-agent in its switch namespace (swconf/lab-switch), Linux bridges
# as VLANs, nodes pinging across them.  Node K's eth1 is switch port 2K-1,
# so nodes 1-4 are ports 1, 3, 5, 7 of 8.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
. "$SPRINGOS_TOP/tests/swconf/swlab.sh"
need_root_netns

SWCONF=$SPRINGOS_BUILD/bin/swconf
swlab_init
swlab_lab 4 || { echo "Bail out! the lab or its switch did not start"; exit 1; }
swlab_ini lab ports=8
INI=$SW_DIR/springos.ini

sw() { timeout 60 "${SW_IN[@]}" "$SWCONF" -c "$INI" "$@"; }
pings() { ip netns exec "$P-n$1" ping -c1 -W1 "10.200.0.$2" >/dev/null 2>&1; }
snmp() { local t=$1; shift; timeout 10 "${SW_IN[@]}" "$t" -v2c -c private -r1 -t1 "$@"; }
pvids() { # the PVIDs of the nodes' ports 1, 3, 5, 7
	snmp snmpwalk -Oqv "127.0.0.1:$SW_PORT" 1.3.6.1.2.1.17.7.1.4.5.1.1 2>&1 |
		awk 'NR % 2 == 1' | tr '\n' ' '
}
allpvids() { snmp snmpwalk -Oqv "127.0.0.1:$SW_PORT" 1.3.6.1.2.1.17.7.1.4.5.1.1 2>&1 | tr '\n' ' '; }
getx() { # a PortList as hex digits
	snmp snmpget -Oqvx "127.0.0.1:$SW_PORT" "$1" 2>&1 | tr -d ' "'
}
getv() { snmp snmpget -Oqv "127.0.0.1:$SW_PORT" "$1" 2>&1; }
snmpset_() { timeout 10 "${SW_IN[@]}" snmpset -v2c -c private -r0 -t2 "127.0.0.1:$SW_PORT" "$@" 2>&1; }
agent_alive() { kill -0 "$SW_AGENT" 2>/dev/null && kill -0 "$SW_SNMPD" 2>/dev/null; }

cat >"$SW_DIR/plan.json" <<EOF
{"experiment": "exp1", "switch": "lab",
 "networks": [{"name": "ethnet-0", "ports": [1, 3]},
              {"name": "ethnet-1", "vlan": 150, "ports": [5, 7]}]}
EOF

# --- the lab's own springos.ini and lab-switch agree on where the switch is
out=$(timeout 60 "${SW_IN[@]}" "$SWCONF" -c "$SW_LAB/springos.ini" show lab 2>&1)
like "$out" "switch lab \(qbridge, udp:127.0.0.1:16100\), 8 ports" "swconf reads the lab switch with the lab's springos.ini"
like "$("$SWCONF" --help)" "usage: swconf" "swconf --help"
like "$("$SPRINGOS_BUILD/bin/vswitch-agent" --help)" "usage: vswitch-agent" "vswitch-agent --help"

# --- out of the box: one default VLAN, everything connected
out=$(sw show lab)
like "$out" $'\n1 +default +1-8 ' "show: VLAN 1 holds ports 1-8 out of the box"
check "before any VLAN, node 1 reaches node 3 (default VLAN)" pings 1 3

# --- apply an experiment: two VLANs
out=$(sw --stats apply "$SW_DIR/plan.json" 2>"$SW_DIR/err")
rc=$?
is "$rc" 0 "apply of a two-network plan succeeds"
like "$out" "ethnet-0 vlan=100 ports=1,3" "ethnet-0 got the first free VLAN of the range (100)"
like "$out" "ethnet-1 vlan=150 ports=5,7" "ethnet-1 got the VLAN the plan asked for"
like "$(cat "$SW_DIR/err")" "sets=2 " "the whole plan went out in 2 SET requests (create, then membership)"
check "same VLAN: node 1 pings node 2" pings 1 2
check "same VLAN: node 3 pings node 4" pings 3 4
check "different VLANs: node 1 cannot reach node 3" bash -c "! ip netns exec $P-n1 ping -c1 -W1 10.200.0.3 >/dev/null 2>&1"
check "different VLANs: node 2 cannot reach node 4" bash -c "! ip netns exec $P-n2 ping -c1 -W1 10.200.0.4 >/dev/null 2>&1"
is "$(pvids)" "100 100 150 150 " "snmpwalk dot1qPvid reads back 100 100 150 150"
is "$(getx 1.3.6.1.2.1.17.7.1.4.3.1.4.100)" A0 "snmpget untagged ports of VLAN 100 = ports 1,3 (A0)"
is "$(getx 1.3.6.1.2.1.17.7.1.4.3.1.2.150)" 0A "snmpget egress ports of VLAN 150 = ports 5,7 (0A)"
is "$(getv 1.3.6.1.2.1.17.7.1.4.3.1.1.100)" '"ethnet-0"' "snmpget VLAN 100's name is the network name"
is "$(getx 1.3.6.1.2.1.17.7.1.4.3.1.4.1)" 55 "VLAN 1 keeps only the eth2 ports 2, 4, 6, 8 untagged"
like "$(ip -n "$P-sw" -o link show swp1)" "master vl100 " "port 1 is enslaved to the bridge of VLAN 100"
out=$(sw show lab)
like "$out" $'\n100 +ethnet-0 +1,3 +- +exp1/ethnet-0' "show: VLAN 100, its ports and its owner"
like "$(sw list lab)" "lab 150 exp1 ethnet-1 ports=5,7" "the database records VLAN 150 and its ports as exp1's"

# --- idempotent: the same plan again changes nothing
sw --stats apply "$SW_DIR/plan.json" >/dev/null 2>"$SW_DIR/err"
like "$(cat "$SW_DIR/err")" "sets=0 " "applying the same plan again sends no SET"

# --- two experiments never share a port or a VLAN
before=$(swlab_walk)
cat >"$SW_DIR/plan2.json" <<EOF
{"experiment": "exp2", "switch": "lab", "networks": [{"name": "n", "ports": [5]}]}
EOF
err=$(sw apply "$SW_DIR/plan2.json" 2>&1)
rc=$?
isnt0=$([[ $rc != 0 ]] && echo y)
is "$isnt0" y "exp2 cannot take port 5"
like "$err" "port 5 is held by experiment exp1" "the error names the port and its owner"
cat >"$SW_DIR/plan3.json" <<EOF
{"experiment": "exp2", "switch": "lab", "networks": [{"name": "n", "vlan": 150, "ports": []}]}
EOF
err=$(sw apply "$SW_DIR/plan3.json" 2>&1)
like "$err" "VLAN 150 is held by experiment exp1" "exp2 cannot take VLAN 150"
is "$(swlab_walk)" "$before" "refused plans left the switch exactly as it was"

# --- VLAN id outside the configured range
cat >"$SW_DIR/plan4.json" <<EOF
{"experiment": "exp3", "switch": "lab", "networks": [{"name": "x", "vlan": 5, "ports": []}]}
EOF
err=$(sw apply "$SW_DIR/plan4.json" 2>&1)
rc=$?
like "$err" "VLAN 5 is outside switch lab's range 100-199" "a VLAN outside vlan_min-vlan_max is refused, naming the range"
is "$(swlab_walk)" "$before" "the out-of-range plan touched nothing"
err=$(sw vlan create lab 4000 2>&1)
like "$err" "VLAN 4000 is outside the configured range" "vlan create outside the range is refused"

# --- release gives everything back
out=$(sw release lab exp1)
like "$out" "released 2 VLANs" "release frees the experiment's VLANs"
is "$(pvids)" "1 1 1 1 " "after release every port is back on VLAN 1"
is "$(sw list lab)" "" "after release the database holds nothing for the switch"
check "after release node 1 reaches node 3 again" pings 1 3
check "after release the bridge of VLAN 100 is gone" bash -c "! ip -n $P-sw link show vl100 >/dev/null 2>&1"

# --- two experiments configured at the same moment: the database lock
# serialises them, so neither loses the other's PortList changes
cat >"$SW_DIR/pa.json" <<EOF
{"experiment": "expA", "switch": "lab", "networks": [{"name": "a", "ports": [1, 3]}]}
EOF
cat >"$SW_DIR/pb.json" <<EOF
{"experiment": "expB", "switch": "lab", "networks": [{"name": "b", "ports": [5, 7]}]}
EOF
sw apply "$SW_DIR/pa.json" >"$SW_DIR/oa" 2>&1 &
pa=$!
sw apply "$SW_DIR/pb.json" >"$SW_DIR/ob" 2>&1 &
pb=$!
wait "$pa"; ra=$?
wait "$pb"; rb=$?
is "$ra/$rb" "0/0" "two concurrent applies both succeed"
va=$(sed -n 's/.*vlan=\([0-9]*\).*/\1/p' "$SW_DIR/oa")
vb=$(sed -n 's/.*vlan=\([0-9]*\).*/\1/p' "$SW_DIR/ob")
is "$(pvids)" "$va $va $vb $vb " "both took effect on the switch (no lost update)"
is "$(getx 1.3.6.1.2.1.17.7.1.4.3.1.4.1)" 55 "and VLAN 1 lost all four ports"
sw release lab expA >/dev/null
sw release lab expB >/dev/null

# --- an injected failure mid-apply: the switch refuses port 3's PVID in
# the second SET, after the VLANs were created by the first
before=$(swlab_walk)
echo "refuse-pvid 5" >"$SW_DIR/fault"
err=$(sw --stats apply "$SW_DIR/plan.json" 2>&1)
rc=$?
rm -f "$SW_DIR/fault"
is "$([[ $rc != 0 ]] && echo failed)" failed "apply fails when the switch refuses one SET"
like "$err" "refused SET dot1qPvid.5 \(set PVID of port 5 to 150\): resourceUnavailable" "the error names switch, object, port and the agent's error-status"
like "$err" "rolled back to its previous state" "the error says the switch was rolled back"
like "$err" "sets=[3-9]" "the VLANs had been created before the failure (more SETs were needed to roll back)"
is "$(swlab_walk)" "$before" "after the failed apply snmpwalk reads exactly the state before it"
is "$(sw list lab)" "" "the failed apply reserved nothing in the database"
check "no bridge is left behind for VLAN 100" bash -c "! ip -n $P-sw link show vl100 >/dev/null 2>&1"
check "connectivity is as before (node 1 reaches node 4)" pings 1 4

# --- a switch that takes at most 3 varbinds per SET answers tooBig: the
# request is split until it fits
echo "max-varbinds 3" >"$SW_DIR/fault"
err=$(sw -v --stats apply "$SW_DIR/plan.json" 2>&1)
rc=$?
rm -f "$SW_DIR/fault"
is "$rc" 0 "apply succeeds on a switch that answers tooBig above 3 varbinds"
like "$err" "too big for one request, splitting" "the tooBig answer made swconf split its request"
like "$err" "creating VLAN 100 column by column" "a row too big for one request is created column by column"
is "$(pvids)" "100 100 150 150 " "the split apply took effect"
sw release lab exp1 >/dev/null

# --- timeouts: the agent stops answering for a moment, swconf retries
swlab_ini lab ports=8 timeout_ms=300 retries=2
kill -STOP "$SW_SNMPD"
(sleep 0.7; kill -CONT "$SW_SNMPD") &
cont=$!
err=$(sw -v --stats apply "$SW_DIR/plan.json" 2>&1)
rc=$?
wait "$cont"
is "$rc" 0 "apply succeeds across a 0.7 s outage of the agent"
like "$err" "no answer from udp:127.0.0.1:$SW_PORT in 300 ms, retry 1 of 2" "the retry is logged with its timeout"
like "$err" "retries=[1-9]" "stats count the retries"
is "$(pvids)" "100 100 150 150 " "the retried apply took effect"
sw release lab exp1 >/dev/null

kill -STOP "$SW_SNMPD"
before_fail=$(date +%s)
err=$(sw apply "$SW_DIR/plan.json" 2>&1)
rc=$?
kill -CONT "$SW_SNMPD"
is "$([[ $rc != 0 ]] && echo failed)" failed "apply fails when the agent never answers"
like "$err" "no answer from udp:127.0.0.1:$SW_PORT after 3 tries" "the error names the peer and the tries"
is "$(sw list lab)" "" "nothing was reserved by the apply that timed out"

swlab_ini lab ports=8

# --- a wrong community gets no answer at all from snmpd
swlab_ini lab ports=8 community=wrongcommunity retries=1 timeout_ms=200
err=$(sw show lab 2>&1)
rc=$?
is "$([[ $rc != 0 ]] && echo failed)" failed "a wrong community fails"
like "$err" "no answer .* wrong community or credentials" "the error suggests the community"

# --- SNMPv3 authPriv
swlab_ini lab ports=8 version=3 community= user=swuser auth_proto=SHA auth_pass=swauthpass1 \
	priv_proto=AES priv_pass=swprivpass1
out=$(sw show lab 2>&1)
like "$out" $'\n1 +default +1-8 ' "SNMPv3 authPriv (SHA/AES): show reads the switch"
out=$(sw apply "$SW_DIR/plan.json" 2>&1)
like "$out" "ethnet-1 vlan=150" "SNMPv3 authPriv: apply works"
is "$(pvids)" "100 100 150 150 " "SNMPv3 apply read back with snmpwalk"
sw release lab exp1 >/dev/null
swlab_ini lab ports=8 version=3 community= user=swuser auth_proto=SHA auth_pass=wrongpass99 \
	priv_proto=AES priv_pass=swprivpass1 retries=0
err=$(sw show lab 2>&1)
like "$err" "switch lab: SNMP request to .* failed: Authentication failure" "a wrong v3 auth pass phrase is reported as such"
swlab_ini lab ports=8

# --- operator commands
sw vlan create lab 120 lab-mgmt >/dev/null
sw port set lab 3 120 >/dev/null
is "$(pvids)" "1 120 1 1 " "vlan create + port set move port 3 to VLAN 120"
is "$(getv 1.3.6.1.2.1.17.7.1.4.3.1.1.120)" '"lab-mgmt"' "vlan create sets the name"
err=$(sw port set lab 3 130 2>&1)
like "$err" "VLAN 130 does not exist" "port set to a VLAN that does not exist is refused"
sw vlan delete lab 120 >/dev/null
is "$(pvids)" "1 1 1 1 " "vlan delete puts its ports back on VLAN 1"

# --- the agent itself treats SETs as hostile
e=$(snmpset_ 1.3.6.1.2.1.17.7.1.4.3.1.2.1 i 5)
like "$e" "wrongType" "agent: an INTEGER where a PortList belongs is wrongType"
e=$(snmpset_ 1.3.6.1.2.1.17.7.1.4.3.1.2.1 x FFFF)
like "$e" "wrongValue" "agent: a PortList naming ports 9-16 of an 8-port switch is wrongValue"
e=$(snmpset_ 1.3.6.1.2.1.17.7.1.4.3.1.5.1 i 6)
like "$e" "inconsistentValue" "agent: destroying the default VLAN is inconsistentValue"
e=$(snmpset_ 1.3.6.1.2.1.17.7.1.4.5.1.1.2 u 77)
like "$e" "inconsistentValue" "agent: a PVID naming no VLAN is inconsistentValue"
e=$(snmpset_ 1.3.6.1.2.1.17.7.1.4.3.1.1.300 s x)
like "$e" "noCreation" "agent: a column of a row that does not exist is noCreation"
is "$(allpvids)" "1 1 1 1 1 1 1 1 " "refused SETs changed nothing"
check "snmpd and vswitch-agent are still running" agent_alive

kill -TERM "$SW_AGENT"
for _ in $(seq 1 50); do kill -0 "$SW_AGENT" 2>/dev/null || break; sleep 0.1; done
check "vswitch-agent leaves on SIGTERM" bash -c "! kill -0 $SW_AGENT 2>/dev/null"
like "$(tail -1 "$SW_AGENT_LOG")" "signal 15: leaving" "through its event loop"
check "and removes its bridges" bash -c "! ip -n $P-sw link show vl1 >/dev/null 2>&1"
is "$(grep -c 'Sanitizer\|runtime error' "$SW_AGENT_LOG")" 0 "vswitch-agent's log has no sanitizer report"

done_testing

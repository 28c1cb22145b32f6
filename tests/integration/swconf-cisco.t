#!/usr/bin/env bash
# swconf's cisco driver against a scripted Cisco switch: the real snmpd
# runs tests/swconf/cisco-agent.py as a pass_persist handler that follows
# the CISCO-VTP-MIB edit-buffer protocol and CISCO-VLAN-MEMBERSHIP-MIB.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
. "$SPRINGOS_TOP/tests/swconf/swlab.sh"

SWCONF=$SPRINGOS_BUILD/bin/swconf
swlab_init
LOG=$SW_DIR/state.log
A="/usr/bin/python3 $SPRINGOS_TOP/tests/swconf/cisco-agent.py 8 $LOG $SW_DIR/fault"
swlab_snmpd "pass_persist .1.3.6.1.4.1.9.9 $A
pass_persist .1.3.6.1.2.1.17 $A" || { echo "Bail out! snmpd did not start"; exit 1; }
swlab_ini c1 driver=cisco ports=8 poll_ms=20 owner=springos
INI=$SW_DIR/springos.ini

sw() { timeout 60 "$SWCONF" -c "$INI" "$@"; }
T=(-v2c -c private -r1 -t2 "127.0.0.1:$SW_PORT")
vmvlans() { timeout 10 snmpwalk "${T[@]}" -Oqv .1.3.6.1.4.1.9.9.68.1.2.2.1.2 2>&1 | tr '\n' ' '; }
ciscowalk() { # the running VLAN table and memberships
	timeout 10 snmpwalk "${T[@]}" -On .1.3.6.1.4.1.9.9.46.1.3 2>&1
	timeout 10 snmpwalk "${T[@]}" -On .1.3.6.1.4.1.9.9.68 2>&1
}
plan() { # plan FILE EXPERIMENT NETWORK:PORTS...
	local f=$1 e=$2 first=1 n
	shift 2
	{
		printf '{"experiment": "%s", "switch": "c1", "networks": [' "$e"
		for n in "$@"; do
			((first)) || printf ', '
			first=0
			printf '{"name": "%s", "ports": [%s]}' "${n%%:*}" "${n#*:}"
		done
		printf ']}\n'
	} >"$f"
}

out=$(sw show c1 2>&1)
like "$out" $'\n1 +default +1-8 ' "show: VLAN 1 holds ports 1-8"
like "$out" $'\n1002 +fddi-default ' "show: the switch's built-in VLANs are listed"

plan "$SW_DIR/p1.json" e1 "a:1,2" "b:3,4"
: >"$LOG"
out=$(sw apply "$SW_DIR/p1.json" 2>&1)
is "$?" 0 "apply through the VTP edit buffer succeeds"
like "$out" "e1 c1 b vlan=101 ports=3-4" "VLANs 100 and 101 allocated"
is "$(vmvlans)" "100 100 101 101 1 1 1 1 " "snmpwalk vmVlan reads back the access VLANs"
is "$(timeout 10 snmpget "${T[@]}" -Oqv .1.3.6.1.4.1.9.9.46.1.3.1.1.4.1.100)" '"a"' \
	"snmpget vtpVlanName.1.100 is the network's name"
ops=$(grep -o 'set .1.3.6.1.4.1.9.9.46.1.4.1.1.1.1 integer [0-9]' "$LOG" | awk '{print $4}' | tr '\n' ' ')
is "$ops" "2 3 4 " "edit buffer protocol: copy, apply, release, in that order"
like "$(grep 'vtpVlanEditBufferOwner\|46.1.4.1.1.3.1' "$LOG")" 'string "springos" -> DONE' \
	"the buffer was taken in the configured owner's name"
like "$(grep '^vlans=' "$LOG" | tail -1)" "owner=$" "the buffer was released afterwards"
like "$(grep -c '46.1.4.2.1.11.1.10[01] integer 4 -> DONE' "$LOG")" "^2$" \
	"both VLAN rows were created with createAndGo in the buffer"

# --- someone else holds the edit buffer
before=$(ciscowalk)
timeout 10 snmpset "${T[@]}" .1.3.6.1.4.1.9.9.46.1.4.1.1.1.1 i 2 \
	.1.3.6.1.4.1.9.9.46.1.4.1.1.3.1 s alice >/dev/null 2>&1
plan "$SW_DIR/p2.json" e2 "c:5,6"
err=$(sw apply "$SW_DIR/p2.json" 2>&1)
rc=$?
is "$([[ $rc != 0 ]] && echo failed)" failed "apply fails while another manager holds the edit buffer"
like "$err" "the VTP edit buffer is busy, owned by 'alice'" "the error names the buffer's owner"
is "$(vmvlans)" "100 100 101 101 1 1 1 1 " "the busy buffer left port membership alone"
like "$(sw list c1)" "^c1 100 e1 a ports=1-2"$'\n'"c1 101 e1 b ports=3-4$" "e2 reserved nothing"
like "$(timeout 10 snmpget "${T[@]}" -Oqv .1.3.6.1.4.1.9.9.46.1.4.1.1.3.1)" "alice" \
	"swconf did not take or release alice's buffer"
timeout 10 snmpset "${T[@]}" .1.3.6.1.4.1.9.9.46.1.4.1.1.1.1 i 4 >/dev/null 2>&1
out=$(sw apply "$SW_DIR/p2.json" 2>&1)
like "$out" "e2 c1 c vlan=102 ports=5-6" "once alice released it, e2 gets VLAN 102"

# --- the switch fails to apply the buffer
before=$(ciscowalk)
echo "apply-fail" >"$SW_DIR/fault"
plan "$SW_DIR/p3.json" e3 "d:7"
err=$(sw apply "$SW_DIR/p3.json" 2>&1)
rm -f "$SW_DIR/fault"
like "$err" "applying the VTP edit buffer failed: vtpVlanApplyStatus someOtherError\(9\)" \
	"a failed apply is reported with the switch's apply status"
like "$err" "rolled back" "and the switch is rolled back"
is "$(ciscowalk)" "$before" "after the failed apply the switch reads exactly as before"

# --- a refused vmVlan after the VLAN was created: the rollback deletes it
echo "refuse-vmvlan 7" >"$SW_DIR/fault"
err=$(sw apply "$SW_DIR/p3.json" 2>&1)
rm -f "$SW_DIR/fault"
like "$err" "refused SET vmVlan.10007 \(port 7 to VLAN 103\): resourceUnavailable" \
	"a refused vmVlan names switch, ifIndex, port and VLAN"
is "$(ciscowalk)" "$before" "the VLAN created before the refusal was destroyed again"
is "$(sw list c1 | grep -c e3)" "0" "e3 holds nothing"

# --- hostile answers
echo "hostile-type" >"$SW_DIR/fault"
err=$(sw show c1 2>&1)
like "$err" "switch c1: bad answer: vmVlan.10001: expected INTEGER" "a vmVlan that is not an INTEGER is refused, naming the object"
echo "hostile-loop" >"$SW_DIR/fault"
err=$(sw show c1 2>&1)
like "$err" "agent returned .1.3.6.1.4.1.9.9.68.1.2.2.1.2.10001 out of order" "an agent whose GETNEXT does not advance is caught, not followed forever"
rm -f "$SW_DIR/fault"

# --- release
sw release c1 e1 >/dev/null
sw release c1 e2 >/dev/null
is "$(vmvlans)" "1 1 1 1 1 1 1 1 " "release puts every port back on VLAN 1"
out=$(sw show c1)
unlike=$([[ $out =~ $'\n'10[0-3]\  ]] && echo present || echo gone)
is "$unlike" gone "release deleted the experiments' VLANs through the edit buffer"
check "snmpd is still running" kill -0 "$SW_SNMPD"

done_testing

#!/usr/bin/env bash
# The lab network (lab/lab): `lab up 8` builds the management segment, 8
# nodes and the switch ports with the right cabling, MACs and addresses;
# the nodes reach the management node and each other; the inventory it
# writes describes exactly what was built; `lab down` leaves no namespace,
# link, process or state behind, also after `lab up` was killed at any
# step.  Prefixes carry our pid so parallel runs never collide.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
need_root_netns

LAB=$SPRINGOS_TOP/lab/lab
RUN=/run/springos-lab
P=lt$$
mine=()     # prefixes this test may have created
started=()  # pids this test started

cleanup() {
	local p pid
	for pid in "${started[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	for p in "${mine[@]}"; do
		timeout 30 "$LAB" down --prefix "$p" >/dev/null 2>&1
	done
	rm -rf "${tmp:-/nonexistent}"
}
trap cleanup EXIT
tmp=$(mktemp -d)

# Inode of a namespace, to find processes inside it after it is gone.
ns_inode() { stat -L -c %i "/run/netns/$1" 2>/dev/null; }

# Pids of processes whose network namespace has one of the inodes given.
procs_in() {
	(($#)) || return 0
	{ stat -L -c '%n %i' /proc/[0-9]*/ns/net 2>/dev/null || true; } |
		awk -v want=" $* " 'index(want, " " $2 " ") { split($1, f, "/"); print f[3] }'
}

# Everything lab P left behind, one line each; empty when clean.
leftovers() {
	local p=$1 macpfx=${2:-}
	ip netns list 2>/dev/null | awk -v p="$p-" 'index($1, p) == 1 { print "netns " $1 }'
	ip -o link show 2>/dev/null | awk -F': ' -v p="$p" '{ sub("@.*", "", $2) } index($2, p) == 1 { print "root link " $2 }'
	if [[ -n $macpfx ]]; then
		ip -o link show 2>/dev/null | grep -i "link/ether $macpfx" | sed 's/^/root link with lab MAC: /'
	fi
	[[ -e $RUN/$p || -L $RUN/$p ]] && echo "state $RUN/$p"
	[[ -e $RUN/.lock/$p ]] && echo "lock $RUN/.lock/$p"
	return 0
}

# ---------------------------------------------------------------- bad input
out=$("$LAB" up 0 2>&1) && not_ok "up 0 is refused" || like "$out" "out of range" "up 0 is refused"
out=$("$LAB" up abc 2>&1) && not_ok "up abc is refused" || like "$out" "node count" "up abc is refused"
out=$("$LAB" up 2 --prefix Bad-x 2>&1) && not_ok "bad prefix is refused" || like "$out" "bad prefix" "bad prefix is refused"
is "$(leftovers Bad-x)" "" "a refused up creates nothing"

# ---------------------------------------------------------------- up 8
mine+=("$P")
out=$(timeout 60 "$LAB" up 8 --prefix "$P" 2>"$tmp/up.err")
rc=$?
is "$rc" 0 "lab up 8 succeeds" || diag "$(cat "$tmp/up.err")"
is "$out" "prefix=$P dir=$RUN/$P" "lab up prints its prefix and state dir"
want=$(printf '%s\n' "$P-mgmt" "$P-sw" "$P-n"{1..8} | sort)
got=$(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$P-" | sort)
is "$got" "$want" "10 namespaces: mgmt, sw, n1..n8"

is "$(ip -n "$P-mgmt" -o -4 addr show dev mgmt0 | awk '{ print $4 }')" "10.99.0.1/16" \
	"mgmt0 holds the management address"
is "$(ip -n "$P-mgmt" -o link show master mgmt0 2>/dev/null | wc -l)" 8 "8 ports on mgmt0"
is "$(ip -n "$P-mgmt" -d link show mgmt0 2>/dev/null | grep -o 'mcast_snooping [0-9]')" "mcast_snooping 0" \
	"mgmt0 floods multicast (no IGMP querier in the lab)"
swup=$(ip -n "$P-sw" -o link show up 2>/dev/null | awk -F': ' '{ sub("@.*", "", $2) } $2 ~ /^swp/' | wc -l)
is "$swup" 16 "16 switch ports swp1..swp16, all up"
is "$(ip -n "$P-sw" -o addr show | grep -v ' lo ' | wc -l)$(ip -n "$P-mgmt" -o addr show | grep -c ': n[0-9]')" "00" \
	"switch ports and mgmt0's ports carry no address of their own"

# Cabling: the peer of node K's eth1 is swp(2K-1), of eth2 swp(2K), of
# eth0 port nK of mgmt0.  ip shows a veth as NAME@ifPEERINDEX.
ifindex() { ip -n "$1" -o link show dev "$2" 2>/dev/null | awk -F': ' '{ print $1 }'; }
peerindex() { ip -n "$1" -o link show dev "$2" 2>/dev/null | awk -F': ' '{ sub(".*@if", "", $2); print $2 }'; }
bad=""
hash=$(md5sum <<<"$P" | cut -c1-4)
macpfx="02:${hash:0:2}:${hash:2:2}:"
for k in {1..8}; do
	ns=$P-n$k
	[[ $(peerindex "$ns" eth0) == $(ifindex "$P-mgmt" "n$k") ]] || bad+=" n$k/eth0"
	[[ $(peerindex "$ns" eth1) == $(ifindex "$P-sw" "swp$((2 * k - 1))") ]] || bad+=" n$k/eth1"
	[[ $(peerindex "$ns" eth2) == $(ifindex "$P-sw" "swp$((2 * k))") ]] || bad+=" n$k/eth2"
	[[ $(peerindex "$P-sw" "swp$((2 * k))") == $(ifindex "$ns" eth2) ]] || bad+=" swp$((2 * k))"
	for i in 0 1 2; do
		mac=$(ip -n "$ns" -o link show dev "eth$i" 2>/dev/null | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
		[[ $mac == "$(printf '%s00:%02x:%02x' "$macpfx" "$k" "$i")" ]] || bad+=" n$k/eth$i-mac=$mac"
	done
	[[ $(ip -n "$ns" -o -4 addr show dev eth0 | awk '{ print $4 }') == "10.99.0.$((10 + k))/16" ]] ||
		bad+=" n$k/ip"
done
is "$bad" "" "every node cabled to mgmt0 and its two switch ports, with its MACs and address"

# Reachability, each ping bounded to one probe and one second.
bad=""
for k in {1..8}; do
	ip netns exec "$P-n$k" ping -c1 -W1 -q 10.99.0.1 >/dev/null 2>&1 || bad+=" n$k"
done
is "$bad" "" "every node pings the management node"
quiet() { "$@" >/dev/null 2>&1; }
check "n1 pings n8 over the management segment" \
	quiet ip netns exec "$P-n1" ping -c1 -W1 -q 10.99.0.18
check "n8 pings n1 over the management segment" \
	quiet ip netns exec "$P-n8" ping -c1 -W1 -q 10.99.0.11
# The switch has no VLAN yet: experiment ports are not connected.
ip -n "$P-n1" addr add 192.168.77.1/24 dev eth1
ip -n "$P-n2" addr add 192.168.77.2/24 dev eth1
if ip netns exec "$P-n1" ping -c1 -W1 -q 192.168.77.2 >/dev/null 2>&1; then
	not_ok "experiment ports are not bridged until a VLAN is set"
else
	ok "experiment ports are not bridged until a VLAN is set"
fi
if ip netns exec "$P-n1" ping -c1 -W1 -q 127.0.0.1 >/dev/null 2>&1 &&
	! ip netns exec "$P-n1" ip route get 8.8.8.8 >/dev/null 2>&1; then
	ok "a node has loopback and no route out of the lab"
else
	not_ok "a node has loopback and no route out of the lab"
fi

# ---------------------------------------------------------------- state files
inv=$RUN/$P/inventory.ini
ini=$RUN/$P/springos.ini
check "springos.ini and inventory.ini written" test -s "$inv" -a -s "$ini"
# Parse the inventory and rebuild what it describes, in the same form as
# what the kernel reports.
described=$(awk '
	function flush() { if (node != "") print node, v["kind"], v["mac"], v["ip"], v["power"], v["boot"], v["netif0"], v["netif1"] }
	/^[;#]/ || /^[ \t]*$/ { next }
	/^\[node:[a-z0-9]+\]$/ { flush(); node = substr($0, 7, length($0) - 7); delete v; next }
	/^\[/ { print "BAD-SECTION", $0; next }
	{ key = $1; if ($2 != "=") { print "BAD-LINE", $0; next }
	  val = $0; sub(/^[^=]*= */, "", val); gsub(/ /, ",", val)
	  if (key in v) print "DUP-KEY", node, key; v[key] = val }
	END { flush() }' "$inv")
expected=""
for k in {1..8}; do
	m=$(printf '%s00:%02x' "$macpfx" "$k")
	expected+="n$k physical $m:00 10.99.0.$((10 + k)) manual none"
	expected+=" $m:01,media=ethernet,switch=lab,port=$((2 * k - 1))"
	expected+=" $m:02,media=ethernet,switch=lab,port=$((2 * k))"$'\n'
done
is "$described" "${expected%$'\n'}" "inventory: 8 nodes with the live MACs, addresses and switch ports"
is "$(grep -c '^\[node:' "$inv")" 8 "inventory: exactly 8 node sections"
flat=$(awk '/^\[/ { sec = substr($0, 2, length($0) - 2); next }
	$2 == "=" { print sec "." $1 "=" $3 }' "$ini" | tr '\n' ' ')
is "$flat" "testbed.name=lab-$P testbed.db=$RUN/$P/erm.db testbed.state_dir=$RUN/$P testbed.mgmt_network=10.99.0.0/16 testbed.mgmt_address=10.99.0.1 bootsrv.interface=mgmt0 imaged.store=$RUN/$P/images imaged.listen=10.99.0.1:8070 imaged.mcast_address=10.99.0.1 master.listen=10.99.0.1:8080 switch:lab.driver=qbridge switch:lab.address=udp:127.0.0.1:16100 switch:lab.version=2c switch:lab.community=private switch:lab.ports=16 switch:lab.vlan_min=100 switch:lab.vlan_max=999 " \
	"springos.ini: testbed, daemons in the lab dir, the lab switch with 16 ports"

# ---------------------------------------------------------------- springos CLI
# The files lab up wrote drive the real CLI: the database ends up holding
# exactly the nodes the kernel has.
springos=$SPRINGOS_BUILD/bin/springos
sos() { timeout 30 "$springos" -c "$ini" "$@"; }
out=$(sos db init 2>&1)
is "$?" 0 "springos db init on the lab's springos.ini" || diag "$out"
out=$(sos node import "$inv" 2>&1)
is "$?" 0 "springos node import of the lab inventory" || diag "$out"
list=$(sos node list 2>&1)
bad=""
for k in {1..8}; do
	m=$(printf '%s00:%02x:00' "$macpfx" "$k")
	grep -qE "^n${k}[[:space:]].*[[:space:]]${m}[[:space:]]+10\.99\.0\.$((10 + k))[[:space:]]" \
		<<<"$list" || bad+=" n$k"
done
is "$bad" "" "springos node list shows n1..n8 with their MACs and addresses" || diag "$list"
is "$(grep -cE '^n[0-9]+[[:space:]]' <<<"$list")" 8 "springos node list has 8 nodes"
# The live state, read from the kernel, in the form the JSON is flattened to.
live=""
for k in {1..8}; do
	ns=$P-n$k
	mac() { ip -n "$ns" -o link show dev "$1" 2>/dev/null | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
	port() { # the swpN the interface is cabled to
		local idx
		idx=$(peerindex "$ns" "$1")
		ip -n "$P-sw" -o link show 2>/dev/null | awk -F': ' -v i="$idx" '$1 == i { sub("@.*", "", $2); sub("swp", "", $2); print $2 }'
	}
	live+="n$k $(mac eth0) $(ip -n "$ns" -o -4 addr show dev eth0 | awk '{ sub("/.*", "", $4); print $4 }')"
	live+=" $(mac eth1)/lab/$(port eth1) $(mac eth2)/lab/$(port eth2)"$'\n'
done
json=$(sos --json node list 2>&1 | /usr/bin/python3 -c '
import json, sys
for n in json.load(sys.stdin):
    ifs = " ".join("%s/%s/%d" % (i["mac"], i["switch"], i["port"])
                   for i in sorted(n["interfaces"], key=lambda i: i["index"]))
    print(n["name"], n["mac"], n["ip"], ifs)' 2>&1 | sort -V)
is "$json" "${live%$'\n'}" "the database holds exactly the live nodes: MACs, addresses, switch ports"

# ---------------------------------------------------------------- status, exec
# Started in a subshell so that they are not our children: their deaths
# by SIGKILL then make no shell noise.
bg() { "$@" </dev/null >/dev/null 2>&1 & echo $!; }
started+=("$(bg ip netns exec "$P-n3" sleep 600)")
started+=("$(bg ip netns exec "$P-mgmt" sh -c 'trap "" TERM; exec sleep 600')")
# Wait (bounded) until both run inside their namespaces.
for ((i = 0; i < 50; i++)); do
	[[ $(ip netns pids "$P-n3") && $(ip netns pids "$P-mgmt") ]] && break
	sleep 0.1
done
st=$("$LAB" status --prefix "$P" 2>&1)
like "$st" "lab $P: up, 8 nodes" "status names the lab and its node count"
like "$st" "$P-n8:.*eth0.*10\.99\.0\.18/16" "status lists namespaces with their links and addresses"
like "$st" "processes \(2\):.*$P-n3 +sleep 600.*$P-mgmt" "status lists the processes inside the lab"
is "$("$LAB" exec "$P" n5 ip -o -4 addr show dev eth0 | awk '{ print $4 }')" "10.99.0.15/16" \
	"lab exec runs a command in a node"
check "lab list names the lab" grep -qx "$P" <<<"$("$LAB" list)"

# ---------------------------------------------------------------- down
inodes=""
for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$P-"); do
	inodes+=" $(ns_inode "$ns")"
done
out=$(timeout 60 "$LAB" down --prefix "$P" 2>&1)
is "$?" 0 "lab down succeeds" || diag "$out"
is "$(leftovers "$P" "$macpfx")" "" "lab down leaves no namespace, root link or state"
is "$(procs_in $inodes)" "" "lab down leaves no process in the lab's namespaces (one ignored SIGTERM)"
alive=""
for pid in "${started[@]}"; do
	# A zombie has exited; its reaper is not ours to hurry.
	st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
	[[ -n $st && $st != [ZX] ]] && alive+=" $pid($st)"
done
is "$alive" "" "the processes started in the lab are gone"
started=()
out=$("$LAB" down --prefix "$P" 2>&1)
is "$?" 0 "lab down again is a no-op"

# Same prefix, same MACs.
out=$(timeout 60 "$LAB" up 2 --prefix "$P" 2>&1)
is "$(ip -n "$P-n2" -o link show dev eth0 2>/dev/null | grep -o 'link/ether [0-9a-f:]*')" \
	"link/ether ${macpfx}00:02:00" "MACs derive from prefix and node index alone"

# ---------------------------------------------------------------- options
Q=${P}d
mine+=("$Q")
out=$(timeout 60 "$LAB" up 2 --prefix "$Q" --dhcp --dir "$tmp/state" 2>&1)
# Two labs (at least: others may run theirs): down without a prefix must
# refuse rather than guess.
out=$(env -u SPRINGOS_LAB "$LAB" down 2>&1) && not_ok "down without --prefix refuses when several labs exist" ||
	like "$out" "several labs found" "down without --prefix refuses when several labs exist"
check "and removes nothing" test -e "/run/netns/$P-n2" -a -e "/run/netns/$Q-n2"
like "$(SPRINGOS_LAB=$P "$LAB" status)" "^lab $P: up, 2 nodes" "SPRINGOS_LAB selects the lab"
"$LAB" down --prefix "$P" >/dev/null 2>&1
is "$(ip -n "$Q-n1" -o -4 addr show dev eth0 | wc -l)" 0 "--dhcp leaves eth0 without an address"
check "--dir keeps the state there" test -s "$tmp/state/inventory.ini" -a -L "$RUN/$Q"
"$LAB" down --prefix "$Q" >/dev/null 2>&1
is "$(leftovers "$Q"; [[ -e $tmp/state ]] && echo "dir $tmp/state")" "" "down removes the --dir state too"
mkdir -p "$tmp/full" && touch "$tmp/full/precious"
out=$("$LAB" up 1 --prefix "$Q" --dir "$tmp/full" 2>&1) && not_ok "up refuses a non-empty --dir" ||
	like "$out" "not empty" "up refuses a non-empty --dir"
check "and leaves its content alone" test -e "$tmp/full/precious"

# ---------------------------------------------------------------- concurrency
# Two labs started at once get different prefixes; two started at once
# with the same prefix: exactly one wins, the other changes nothing.
"$LAB" up 2 >"$tmp/a.out" 2>&1 &
a=$!
"$LAB" up 2 >"$tmp/b.out" 2>&1 &
b=$!
wait "$a"; ra=$?
wait "$b"; rb=$?
pa=$(sed -n 's/^prefix=\([a-z0-9]*\) .*/\1/p' "$tmp/a.out")
pb=$(sed -n 's/^prefix=\([a-z0-9]*\) .*/\1/p' "$tmp/b.out")
mine+=(${pa:+"$pa"} ${pb:+"$pb"})
if ((ra == 0 && rb == 0)) && [[ $pa == sos* && $pb == sos* && $pa != "$pb" ]] &&
	[[ -e /run/netns/$pa-n2 && -e /run/netns/$pb-n2 ]]; then
	ok "two labs started at once get their own prefixes ($pa, $pb)"
else
	not_ok "two labs started at once get their own prefixes"
	diag "$(cat "$tmp/a.out" "$tmp/b.out")"
fi
"$LAB" down --prefix "$pa" >/dev/null 2>&1
"$LAB" down --prefix "$pb" >/dev/null 2>&1
C=${P}s
mine+=("$C")
"$LAB" up 3 --prefix "$C" >"$tmp/a.out" 2>&1 &
a=$!
"$LAB" up 3 --prefix "$C" >"$tmp/b.out" 2>&1 &
b=$!
wait "$a"; ra=$?
wait "$b"; rb=$?
nns=$(ip netns list 2>/dev/null | grep -c "^$C-")
if (((ra == 0) + (rb == 0) == 1)) && ((nns == 5)) &&
	ip netns exec "$C-n3" ping -c1 -W1 -q 10.99.0.1 >/dev/null 2>&1; then
	ok "two labs started at once with one prefix: one wins, the other changes nothing"
else
	not_ok "two labs started at once with one prefix: one wins, the other changes nothing"
	diag "rc $ra $rb, $nns namespaces; $(cat "$tmp/a.out" "$tmp/b.out")"
fi
"$LAB" down --prefix "$C" >/dev/null 2>&1

# ---------------------------------------------------------------- crashes
# lab up killed with SIGKILL after each step (LAB_CRASH_AFTER), then down.
i=0
for step in reserve netns links node1 config files; do
	i=$((i + 1))
	C=${P}c$i
	mine+=("$C")
	{ LAB_CRASH_AFTER=$step timeout 60 "$LAB" up 8 --prefix "$C" >/dev/null 2>&1; } 2>/dev/null
	rc=$?
	h=$(md5sum <<<"$C" | cut -c1-4)
	if ((rc != 137)); then
		not_ok "crash after $step: up was killed (rc $rc)"
		continue
	fi
	# After the links step, also lose the state directory.
	[[ $step == links ]] && rm -rf "${RUN:?}/$C"
	out=$(timeout 60 "$LAB" down --prefix "$C" 2>&1)
	rc=$?
	left=$(leftovers "$C" "02:${h:0:2}:${h:2:2}:")
	if ((rc == 0)) && [[ -z $left ]]; then
		ok "crash after $step: down removes everything"
	else
		not_ok "crash after $step: down removes everything"
		diag "rc=$rc $out $left"
	fi
done

# Killed inside `ip netns add`, between creating the file and mounting the
# namespace on it: entries that are not namespaces at all.
C=${P}h
mine+=("$C")
touch "/run/netns/$C-mgmt" "/run/netns/$C-n1"
st=$("$LAB" status --prefix "$C" 2>&1)
like "$st" "$C-n1:.*cannot enter" "status survives half-created namespaces"
out=$(timeout 60 "$LAB" down --prefix "$C" 2>&1)
is "$?:$(leftovers "$C")" "0:" "down removes half-created namespaces" || diag "$out"

# A real kill -9 from outside while a 200-node lab is being built: wait
# (bounded) for its first namespace, then kill it where it stands.
C=${P}k
mine+=("$C")
pid=$(bg "$LAB" up 200 --prefix "$C")
started+=("$pid")
for ((i = 0; i < 100; i++)); do
	[[ -e /run/netns/$C-mgmt ]] && break
	sleep 0.05
done
kill -KILL "$pid" 2>/dev/null
started=()
when="killed while $(ip netns list 2>/dev/null | grep -c "^$C-") of 202 namespaces existed"
out=$(timeout 60 "$LAB" down --prefix "$C" 2>&1)
rc=$?
left=$(leftovers "$C")
if ((rc == 0)) && [[ -z $left ]]; then
	ok "up killed from outside: down removes everything"
else
	not_ok "up killed from outside: down removes everything"
	diag "$when; rc=$rc $out $left"
fi

# ---------------------------------------------------------------- --qemu
# QEMU machines: a tap on mgmt0 each, a stopped QEMU (powered off) in
# P-mgmt with its QMP socket, inventory entries with power qemu, bootsrv
# configured; down kills them and leaves nothing.
out=$("$LAB" up 1 --qemu 99 2>&1) && not_ok "--qemu 99 is refused" ||
	like "$out" "a count 0..16 expected" "--qemu 99 is refused"
Q=${P}q
mine+=("$Q")
out=$(timeout 60 "$LAB" up 1 --qemu 2 --prefix "$Q" 2>&1)
is "$?" 0 "up 1 --qemu 2" || diag "$out"
qs=$RUN/$Q
is "$(ip -n "$Q-mgmt" -o link show master mgmt0 2>/dev/null | awk -F': ' '{ sub("@.*", "", $2); print $2 }' | sort | tr '\n' ' ')" \
	"n1 q1 q2 " "the machines' taps q1, q2 are ports of mgmt0"
qpids=$(procs_in "$(ns_inode "$Q-mgmt")")
is "$(for p in $qpids; do tr '\0' ' ' <"/proc/$p/cmdline" | grep -o -- "-name $Q-q[0-9]"; done | sort | tr '\n' ' ')" \
	"-name $Q-q1 -name $Q-q2 " "a QEMU process per machine in $Q-mgmt"
check "their QMP sockets exist" test -S "$qs/qemu/q1.qmp" -a -S "$qs/qemu/q2.qmp"
inv=$(awk '/^\[node:q/,0' "$qs/inventory.ini" | grep -E '^(\[|power|ip)' | tr '\n' ' ')
is "$inv" "[node:q1] ip = 10.99.0.12 power = qemu power_params = $qs/qemu/q1.qmp [node:q2] ip = 10.99.0.13 power = qemu power_params = $qs/qemu/q2.qmp " \
	"inventory: q1, q2 after the namespace nodes, power qemu with their QMP socket"
like "$(cat "$qs/springos.ini")" "tftp_root = $qs/tftp.*http_listen = 10.99.0.1:8081.*token_secret_file = $qs/master.secret" \
	"springos.ini configures bootsrv for network boot"
out=$(timeout 60 "$LAB" down --prefix "$Q" 2>&1)
is "$?:$(leftovers "$Q")" "0:" "down removes the QEMU lab" || diag "$out"
# (Gone or a zombie: they were daemons, init reaps them when it gets to it.)
alive() { local p; for p in $qpids; do [[ $(ps -o stat= -p "$p") == [^Z]* ]] && echo -n " $p"; done; }
is "$(alive)" "" "and its QEMU processes are gone"

done_testing

# A server and N hosts on one Ethernet, for the multicast tests: namespace
# ${P}s holds bridge ${P}br with NET.1/24; host i lives in namespace ${P}r$i
# with NET.(10+i)/24 on ${P}v$i (its veth peer ${P}p$i is a bridge port) and
# a route for 224.0.0.0/4, so that it can join groups.
#   netlab_up P NET N [snoop]   snoop: the bridge snoops IGMP, with a querier
#   netlab_down P N             removes what netlab_up made (idempotent)
# Callers run netlab_down from their EXIT trap.

netlab_up() {
	local p=$1 net=$2 n=$3 snoop=${4:-} i ns
	ip netns add "${p}s" || return 1
	ip -n "${p}s" link set lo up
	ip -n "${p}s" link add "${p}br" type bridge
	if [[ $snoop == snoop ]]; then
		# The bridge forwards a group only to ports whose hosts sent
		# IGMP membership reports.
		ip -n "${p}s" link set "${p}br" type bridge mcast_snooping 1 mcast_querier 1
	else
		ip -n "${p}s" link set "${p}br" type bridge mcast_snooping 0
	fi
	ip -n "${p}s" addr add "$net.1/24" dev "${p}br"
	ip -n "${p}s" link set "${p}br" up
	for i in $(seq "$n"); do
		ns=${p}r$i
		ip netns add "$ns" || return 1
		ip link add "${p}p$i" type veth peer name "${p}v$i"
		ip link set "${p}p$i" netns "${p}s"
		ip link set "${p}v$i" netns "$ns"
		ip -n "${p}s" link set "${p}p$i" master "${p}br" up
		ip -n "$ns" link set lo up
		ip -n "$ns" addr add "$net.$((10 + i))/24" dev "${p}v$i"
		ip -n "$ns" link set "${p}v$i" up
		ip -n "$ns" route add 224.0.0.0/4 dev "${p}v$i"
	done
}

netlab_down() {
	local p=$1 n=$2 i
	for i in $(seq "$n"); do ip netns del "${p}r$i" 2>/dev/null; done
	ip netns del "${p}s" 2>/dev/null
	return 0
}

#!/usr/bin/env bash
# make run: the most complete job springos can do today, on the lab.
#
#   mk/run.sh BUILD
#
# Brings up a 4-node lab (lab/lab), creates the testbed database from the
# springos.ini the lab wrote, imports the lab's inventory, shows `springos
# node list`, checks that every node reaches the management node, and
# brings the lab down again -- also when a step fails or on ^C.  Progress
# goes to the terminal; a short report goes to out/run-report.txt.  Exits
# non-zero when any step fails.
#
# Later stages (reimaging QEMU nodes, the seed experiment) add steps here.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
[[ $build == /* ]] || build=$top/$build
springos=$build/bin/springos
lab=$top/lab/lab
nodes=${SPRINGOS_RUN_NODES:-4}
outdir=${SPRINGOS_RUN_OUT:-$top/out}
report=$outdir/run-report.txt
prefix=run$$
t_start=$EPOCHREALTIME
steps=()     # "status  seconds  what", for the report
failed=""
lab_is_up=0

ms_since() { echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000)); }
elapsed() { # seconds since start, one decimal
	local ms
	ms=$(ms_since "$t_start")
	printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}
progress() { printf '[run %6ss] %s\n' "$(elapsed)" "$*"; }

# step WHAT CMD...: run one step, show and record how it went.  Output of
# the command goes to the terminal indented, and to the step log.
step() {
	local what=$1 t0=$EPOCHREALTIME rc
	shift
	progress "$what ..."
	{ "$@"; } > >(sed -u 's/^/    /') 2>&1
	rc=$?
	wait $! # the indenting sed, so its lines come before ours
	local ms
	ms=$(ms_since "$t0")
	if ((rc == 0)); then
		steps+=("$(printf 'ok     %5d ms  %s' "$ms" "$what")")
		progress "$what: ok ($ms ms)"
	else
		steps+=("$(printf 'FAILED %5d ms  %s (exit %d)' "$ms" "$what" "$rc")")
		progress "$what: FAILED (exit $rc)"
		failed=${failed:-$what}
	fi
	return $rc
}

write_report() {
	local result=$1
	mkdir -p "$outdir"
	{
		echo "springos make run report"
		echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
		echo "host:    $(uname -n) ($(uname -sr))"
		echo "lab:     prefix $prefix, $nodes nodes (network namespaces)"
		echo "result:  $result"
		echo "total:   $(elapsed) s"
		echo
		echo "steps:"
		printf '  %s\n' "${steps[@]}"
		if [[ -s ${node_list_file:-} ]]; then
			echo
			echo "springos node list:"
			sed 's/^/  /' "$node_list_file"
		fi
		if [[ -n ${reach:-} ]]; then
			echo
			echo "management reachability: $reach"
		fi
	} >"$report.tmp" && mv -f "$report.tmp" "$report"
}

finish() {
	local rc=$?
	trap - EXIT INT TERM
	exec 1>&3 2>&4 # a signal may land us here inside a step's redirection
	if ((lab_is_up)); then
		step "lab down" timeout 120 "$lab" down --prefix "$prefix" || rc=1
		lab_is_up=0
	fi
	if [[ -z $failed ]] && ((rc == 0)); then
		write_report "PASS"
		progress "done: PASS; report in ${report#"$top"/}"
	else
		((rc != 0)) || rc=1
		write_report "FAIL (${failed:-interrupted})"
		progress "done: FAIL at '${failed:-interrupted}'; report in ${report#"$top"/}"
	fi
	rm -f "${node_list_file:-}"
	exit $rc
}
exec 3>&1 4>&2
trap finish EXIT
trap 'failed=${failed:-interrupted}; exit 130' INT TERM

if ((EUID != 0)); then
	progress "make run needs root: the lab is made of network namespaces"
	failed="needs root"
	exit 1
fi
[[ -x $springos ]] || { progress "no $springos: run make first"; failed="build"; exit 1; }

# The lab writes springos.ini and inventory.ini into its state directory.
lab_is_up=1 # from here on, finish() takes it down whatever happens
step "lab up $nodes (prefix $prefix)" timeout 300 "$lab" up "$nodes" --prefix "$prefix" || exit 1
state=/run/springos-lab/$prefix
ini=$state/springos.ini
sos() { timeout 60 "$springos" -c "$ini" "$@"; }

step "springos db init" sos db init || exit 1
step "springos node import (lab inventory)" sos node import "$state/inventory.ini" || exit 1
node_list_file=$(mktemp)
list_nodes() { sos node list >"$node_list_file" && cat "$node_list_file"; }
step "springos node list" list_nodes || exit 1
listed=$(grep -cE '^n[0-9]+[[:space:]]' "$node_list_file")
step "the database lists $nodes nodes" test "$listed" -eq "$nodes" || exit 1

# Every node reaches the management node over the lab's management
# segment (one probe each, one second at most).
reach_all() {
	local k ok=0 mgmt
	mgmt=$(sed -n 's/^mgmt_address = //p' "$ini")
	for ((k = 1; k <= nodes; k++)); do
		if "$lab" exec "$prefix" "n$k" ping -c1 -W1 -q "$mgmt" >/dev/null 2>&1; then
			ok=$((ok + 1))
		else
			echo "n$k does not answer"
		fi
	done
	reach="$ok/$nodes nodes reach the management node"
	echo "$reach"
	((ok == nodes))
}
step "every node pings the management node" reach_all || exit 1

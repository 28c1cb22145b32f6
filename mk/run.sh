#!/usr/bin/env bash
# make run: the most complete job springos can do today, on the lab.
#
#   mk/run.sh BUILD
#
# Brings up a lab of 4 namespace nodes and 2 QEMU machines (lab/lab up 4
# --qemu 2: TCG, iPXE ROM, empty IDE disk, QMP socket; stopped, i.e.
# powered off), creates the testbed database from the springos.ini the lab
# wrote, imports the lab's inventory, shows `springos node list`, checks
# that every namespace node reaches the management node.  Then it installs
# for real: master, imaged and bootsrv start in the lab's management
# namespace, `springos node reimage q1 q2 --image sample.img.gz` powers the
# machines on through QMP and shows their live progress; they PXE-boot
# into ni, which streams the sample image onto their disk, verifies it and
# reboots them; bootsrv now answers "local" and each machine boots its own
# disk, whose system prints SPRINGOS-SAMPLE-BOOTED on its serial line.
# run checks the marker, the disks against the image and that `springos
# node list` says boot local; then the lab goes down -- also when a step
# fails or on ^C.  Progress goes to the terminal; a report goes to
# out/run-report.txt, the daemons' and machines' logs to out/run-logs/, a
# timeline of the steps to out/run-timeline.png (with gnuplot).  Exits
# non-zero when any step fails.
#
# Environment: SPRINGOS_RUN_NODES (namespace nodes, 4), SPRINGOS_RUN_QEMU
# (QEMU machines, 2; 0 skips the install part), SPRINGOS_RUN_OUT (out/).
#
# The last stage (the seed experiment) adds steps here.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
[[ $build == /* ]] || build=$top/$build
springos=$build/bin/springos
lab=$top/lab/lab
nodes=${SPRINGOS_RUN_NODES:-4}
qemu=${SPRINGOS_RUN_QEMU:-2}
outdir=${SPRINGOS_RUN_OUT:-$top/out}
report=$outdir/run-report.txt
logs=$outdir/run-logs
timeline=$outdir/run-timeline.png
image=sample.img.gz
prefix=run$$
t_start=$EPOCHREALTIME
steps=()     # "status  seconds  what", for the report
spans=()     # "start-ms end-ms ok|FAILED what", for the timeline
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
	local what=$1 t0=$EPOCHREALTIME rc st fd sed_pid
	shift
	progress "$what ..."
	# The indenting sed's pid is taken at once: a step may start
	# background jobs of its own (and so change $!).
	exec {fd}> >(sed -u 's/^/    /')
	sed_pid=$!
	{ "$@"; } >&$fd 2>&1
	rc=$?
	exec {fd}>&-
	wait "$sed_pid" # so its lines come before ours
	local ms
	ms=$(ms_since "$t0")
	st=$(ms_since "$t_start")
	spans+=("$((st - ms)) $st $( ((rc == 0)) && echo ok || echo FAILED) $what")
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
		echo "lab:     prefix $prefix, $nodes nodes (network namespaces), $qemu QEMU machines"
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
		if [[ -s ${reimage_out:-} ]]; then
			echo
			echo "springos node reimage (last lines):"
			grep -v '^$' "$reimage_out" | tail -n $((qemu + 3)) | sed 's/^/  /'
		fi
		if [[ -n ${booted:-} ]]; then
			echo
			echo "after the install: $booted"
		fi
		if [[ -s ${node_list_after:-} ]]; then
			echo
			echo "springos node list after the install:"
			sed 's/^/  /' "$node_list_after"
		fi
		echo
		echo "logs:    ${logs#"$top"/}/ (daemons, QEMU serial consoles)"
		[[ ! -s $timeline ]] || echo "timeline: ${timeline#"$top"/}"
	} >"$report.tmp" && mv -f "$report.tmp" "$report"
}

# The steps as bars on a time axis (gnuplot, if installed: lab/lab.mk's
# DEPS_PKGS has it).  Never fails the run.
draw_timeline() {
	command -v gnuplot >/dev/null || return 0
	((${#spans[@]})) || return 0
	local dat i=0 s
	dat=$(mktemp) || return 0
	for s in "${spans[@]}"; do
		read -r a b st what <<<"$s"
		# gnuplot strings: no double quotes inside
		printf '%d %s %s %d "%s"\n' "$i" "$a" "$b" "$([[ $st == ok ]] && echo 0 || echo 1)" \
			"${what//\"/}" >>"$dat"
		i=$((i + 1))
	done
	gnuplot 2>/dev/null <<GP || rm -f "$timeline"
set terminal pngcairo size 1100,$((120 + 28 * i)) font "sans,10"
set output "$timeline"
set title "make run: $(date -u '+%Y-%m-%d %H:%M UTC'), lab $prefix, total $(elapsed) s"
set xlabel "seconds since start"
set yrange [$i:-1]
set ytics nomirror
set grid xtics
set key off
set style fill solid 0.8 border -1
set palette defined (0 "#4a90d9", 1 "#d9534f")
unset colorbox
set cbrange [0:1]
plot "$dat" using ((\$2+\$3)/2000.0):1:(\$2/1000.0):(\$3/1000.0):(\$1-0.35):(\$1+0.35):4:ytic(5) \\
	with boxxyerror lc palette
GP
	rm -f "$dat"
}

# Daemons run by this script (pids), stopped before the lab goes (lab
# down would kill them anyway: they live in the lab's namespaces).
daemons=()
reimage_pid=""
stop_daemons() {
	local p
	if [[ -n $reimage_pid ]]; then
		kill "$reimage_pid" 2>/dev/null
		wait "$reimage_pid" 2>/dev/null
		reimage_pid=""
	fi
	for p in "${daemons[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${daemons[@]}"; do wait "$p" 2>/dev/null; done
	daemons=()
}

finish() {
	local rc=$?
	trap - EXIT INT TERM
	exec 1>&3 2>&4 # a signal may land us here inside a step's redirection
	stop_daemons
	if ((lab_is_up)); then
		# The machines' consoles live in the lab's state, which goes.
		cp -f "${state:-/nonexistent}"/qemu/*.serial "${state:-/nonexistent}"/qemu/*.log \
			"$logs/" 2>/dev/null
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
	draw_timeline
	rm -f "${node_list_file:-}" "${node_list_after:-}" "${reimage_out:-}"
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

mkdir -p "$logs" && rm -f "$logs"/* "$timeline"
if ((qemu)); then
	for f in "$build/ni-initrd/vmlinuz" "$build/ni-initrd/initrd.img" "$build/images/$image"; do
		[[ -s $f ]] || { progress "no $f: run make first"; failed="build"; exit 1; }
	done
fi

# The lab writes springos.ini and inventory.ini into its state directory.
lab_is_up=1 # from here on, finish() takes it down whatever happens
step "lab up $nodes --qemu $qemu (prefix $prefix)" \
	timeout 300 "$lab" up "$nodes" --qemu "$qemu" --prefix "$prefix" || exit 1
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
listed=$(grep -cE '^q[0-9]+[[:space:]]+physical .* qemu ' "$node_list_file")
step "and $qemu QEMU machines with power qemu" test "$listed" -eq "$qemu" || exit 1

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
((qemu)) || exit 0

# ---- reimage the QEMU machines

# What bootsrv serves (iPXE, ni's kernel and initrd) and imaged's store.
stage() {
	"$top/bootsrv/ipxe-install" "$state/tftp" "$state/boot" &&
		install -D -m 644 "$build/ni-initrd/vmlinuz" "$state/boot/ni/vmlinuz" &&
		install -D -m 644 "$build/ni-initrd/initrd.img" "$state/boot/ni/initrd.img" &&
		install -D -m 644 "$build/images/$image" "$state/images/$image" &&
		ls -l "$state/boot/ni" "$state/images" | grep -v '^total'
}
step "stage iPXE, the ni initrd and $image" stage || exit 1

# The daemons start outside step(): a background job inside it would be
# the $! that step waits for.  All their output goes to out/run-logs.
mgmt_run() { # LOG PROGRAM ARGS...
	local log=$1
	shift
	ip netns exec "$prefix-mgmt" "$@" >"$logs/$log" 2>&1 </dev/null 3>&- 4>&- &
	daemons+=($!)
}
# The master first: it creates the token secret bootsrv reads.
progress "starting master and imaged in $prefix-mgmt"
mgmt_run master.log "$build/bin/master" -f -c "$ini"
mgmt_run imaged.log "$build/bin/imaged" -f -c "$ini"
wait_up() { # master's secret, imaged's catalogue (10 s at most)
	local i
	for ((i = 0; i < 100; i++)); do
		if [[ -s $state/master.secret ]] &&
			ip netns exec "$prefix-mgmt" curl -s -m 1 -o /dev/null \
				"http://$(sed -n 's/^mgmt_address = //p' "$ini"):8070/images"; then
			echo "master.secret written; imaged answers GET /images"
			return 0
		fi
		sleep 0.1
	done
	echo "master: $(tail -3 "$logs/master.log")"
	echo "imaged: $(tail -3 "$logs/imaged.log")"
	return 1
}
step "master and imaged are up" wait_up || exit 1
progress "starting bootsrv (DHCP, TFTP, HTTP) in $prefix-mgmt"
mgmt_run bootsrv.log "$build/bin/bootsrv" -f -v -c "$ini"
bootsrv_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q ": ready$" "$logs/bootsrv.log" && { grep ": ready$" "$logs/bootsrv.log"; return 0; }
		sleep 0.1
	done
	tail -5 "$logs/bootsrv.log"
	return 1
}
step "bootsrv is up" bootsrv_ready || exit 1

machines=()
for ((k = 1; k <= qemu; k++)); do machines+=("q$k"); done
reimage_out=$(mktemp)
# Live progress: springos prints a line per node when its state changes.
# It runs in the background and we wait for it: bash runs the INT/TERM
# trap during a wait, not while a foreground child runs, and finish()
# stops it (timeout passes the signal on to springos).
reimage() {
	local tail_pid rc
	timeout 600 "$springos" -c "$ini" node reimage "${machines[@]}" --image "$image" \
		--disktype ide --timeout 560 >"$reimage_out" 2>&1 </dev/null &
	reimage_pid=$!
	tail -n +1 -f --pid="$reimage_pid" "$reimage_out" &
	tail_pid=$!
	wait "$reimage_pid"
	rc=$?
	reimage_pid=""
	wait "$tail_pid"
	return $rc
}
step "springos node reimage ${machines[*]} --image $image" reimage || exit 1

# Each machine rebooted into its own disk: the sample system prints its
# marker on the serial line and powers off (QEMU stays, -no-shutdown).
booted_all() {
	local i m ok=0
	for ((i = 0; i < 300; i++)); do
		ok=0
		for m in "${machines[@]}"; do
			grep -aq "SPRINGOS-SAMPLE-BOOTED from disk" "$state/qemu/$m.serial" && ok=$((ok + 1))
		done
		((ok == qemu)) && break
		sleep 1
	done
	for m in "${machines[@]}"; do
		if grep -aq "SPRINGOS-SAMPLE-BOOTED from disk" "$state/qemu/$m.serial"; then
			echo "$m: $(grep -a 'ni: installed' "$state/qemu/$m.serial" | tr -d '\r' | tail -1)"
			echo "$m: $(grep -a SPRINGOS-SAMPLE-BOOTED "$state/qemu/$m.serial" | tr -d '\r' | tail -1)"
		else
			echo "$m: no marker; serial tail:"
			tr -d '\r' <"$state/qemu/$m.serial" | tail -5
		fi
	done
	booted="$ok/$qemu machines booted their installed disk"
	echo "$booted"
	((ok == qemu))
}
step "every machine boots its own disk (serial marker)" booted_all || exit 1

node_list_after=$(mktemp)
boot_local() {
	local m bad=0 f
	sos node list >"$node_list_after" && cat "$node_list_after" || return 1
	for m in "${machines[@]}"; do
		# columns: NAME KIND CLASS MAC IP BOOT STATE ...
		f=$(awk -v m="$m" '$1 == m { print $6 " " $7 }' "$node_list_after")
		[[ $f == "local installed" ]] || { echo "$m: boot/state '$f', not 'local installed'"; bad=1; }
	done
	((!bad))
}
step "springos node list: boot local, installed" boot_local || exit 1

same_disks() {
	local m n bad=0
	n=$(zcat "$build/images/$image" | wc -c)
	for m in "${machines[@]}"; do
		if cmp -s <(head -c "$n" "$state/qemu/$m.disk") <(zcat "$build/images/$image"); then
			echo "$m: the first $n bytes of its disk are the image"
		else
			echo "$m: its disk differs from the image"
			bad=1
		fi
	done
	((!bad))
}
step "every disk holds the image" same_disks || exit 1

#!/usr/bin/env bash
# Power drivers as `node reimage` uses them: qemu through a real QEMU's QMP
# socket (a running VM is reset, a stopped one reset and started), manual
# (instructions), and a dead QMP socket reported as a failure.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
bin=$SPRINGOS_BUILD/bin
dir=$(mktemp -d /tmp/power-qemu.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

qmp() { # qmp SOCKET COMMAND: prints the "return" of COMMAND as JSON
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            break
print(json.dumps(r.get("return", r)))
PY
}
vm() { # vm NAME EXTRA...: a small diskless QEMU with a QMP socket
	local name=$1; shift
	qemu-system-x86_64 -accel tcg -m 64 -nodefaults -display none -serial none \
		-qmp unix:"$dir/$name.qmp",server=on,wait=off "$@" >"$dir/$name.log" 2>&1 &
	pids+=($!)
	eval "${name}_pid=$!"
	for _ in $(seq 50); do [[ -S $dir/$name.qmp ]] && return 0; sleep 0.1; done
	return 1
}

plan 9
cat >"$dir/springos.ini" <<INI
[testbed]
db = $dir/erm.db
state_dir = $dir
INI
export SPRINGOS_CONF=$dir/springos.ini
"$bin/springos" db init >/dev/null
"$bin/springos" node add vrun mac=02:00:00:00:09:01 power=qemu power_params="$dir/run.qmp" >/dev/null
"$bin/springos" node add vstop mac=02:00:00:00:09:02 power=qemu power_params="$dir/stop.qmp" >/dev/null
"$bin/springos" node add vdead mac=02:00:00:00:09:03 power=qemu power_params="$dir/dead.qmp" >/dev/null
"$bin/springos" node add hand mac=02:00:00:00:09:04 power=manual >/dev/null

# -no-reboot turns a reset into an exit: proof the reset reached QEMU.
vm run -no-reboot
vm stop -S
is "$(qmp "$dir/stop.qmp" query-status | jq -r .status)" prelaunch "stopped VM is in prelaunch"

out=$("$bin/springos" node reimage vrun vstop hand --url http://127.0.0.1:9/img.gz --no-wait 2>&1)
is "$?" 0 "reimage power-cycles a running VM, a stopped VM and a manual node"
like "$out" "vrun +power-cycled \(qemu\)" "  the running VM"
like "$out" "node hand has manual power: reset it now" "  manual power tells the operator"
for _ in $(seq 50); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
check "  the running VM received the reset (exited under -no-reboot)" \
	bash -c "! kill -0 $run_pid 2>/dev/null"
is "$(qmp "$dir/stop.qmp" query-status | jq -r .status)" running "  the stopped VM now runs"
is "$("$bin/springos" --json node show vstop | jq -r .boot)" install "  its boot mode is install"

out=$("$bin/springos" node reimage vdead --url http://127.0.0.1:9/img.gz --no-wait 2>&1)
is "$?" 1 "a VM whose QMP socket is gone: exit 1"
like "$out" "vdead: QMP .*dead\.qmp: .*is the VM running" "  with the reason"

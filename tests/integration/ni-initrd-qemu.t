#!/usr/bin/env bash
# The ni initrd on a QEMU machine (TCG), booted directly into the
# installer: the Debian kernel loads its NIC and disk drivers, ni gets a
# lease with udhcpc, fetches its plan from a real master with its token,
# installs a gzip image into partition 4 of the VM's virtio disk (MBR made
# by sfdisk), verifies, reports, and reboots; the master sets boot local.
# The first boot has its plug pulled mid-install (QEMU killed): the node
# stays in install, and the next power-on ends installed and verified.
# Networking is QEMU's user mode: the guest reaches only this machine's
# loopback (10.0.2.2), where the master and the image server listen.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
bin=$SPRINGOS_BUILD/bin
kdir=$SPRINGOS_BUILD/ni-initrd

dir=$(mktemp -d /tmp/ni-qemu.XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
port() { echo $((20000 + RANDOM % 20000)); }
wait_tcp() {
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

plan 13
check "initrd and kernel are built" test -s "$kdir/initrd.img" -a -s "$kdir/vmlinuz"
diag "initrd size: $(du -k "$kdir/initrd.img" | cut -f1) KiB"

mkdir -p "$dir/srv"
{ head -c 33554432 /dev/urandom; head -c 8388608 /dev/zero; } >"$dir/img.raw"
gzip -1 -c "$dir/img.raw" >"$dir/srv/img.gz"
# The image server: plain HTTP, except that it stops after half of the
# file until $dir/release exists, so the first boot is surely mid-install
# when its plug is pulled (no timing guesses).
cat >"$dir/stall.py" <<'PY'
import http.server, os, sys, time
root, release = sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = os.path.join(root, os.path.basename(self.path))
        if not os.path.isfile(path):
            self.send_error(404); return
        data = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        half = len(data) // 2
        self.wfile.write(data[:half]); self.wfile.flush()
        for _ in range(1200):
            if os.path.exists(release): break
            time.sleep(0.1)
        self.wfile.write(data[half:])
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
for _ in 1 2 3; do
	hport=$(port)
	/usr/bin/python3 "$dir/stall.py" "$hport" "$dir/srv" "$dir/release" >/dev/null 2>&1 &
	pids+=($!)
	wait_tcp "$hport" && break
done
mport=$(port)
cat >"$dir/springos.ini" <<INI
[testbed]
db = $dir/erm.db
state_dir = $dir
mgmt_address = 127.0.0.1
[master]
listen = 127.0.0.1:$mport
url = http://10.0.2.2:$mport
image_url = http://10.0.2.2:$hport
INI
export SPRINGOS_CONF=$dir/springos.ini
"$bin/springos" db init >/dev/null
"$bin/springos" node add q01 mac=52:54:00:12:34:56 ip=10.99.0.21 >/dev/null
(cd "$dir/srv" && "$bin/springos" image add img.gz img.gz >/dev/null)
"$bin/master" -f -c "$dir/springos.ini" 2>"$dir/master.log" &
pids+=($!)
wait_tcp "$mport"

# A 64 MiB disk with four primary partitions; the image goes to the 4th.
truncate -s 96M "$dir/disk.img"
printf 'label: dos\n2048,8192,83\n10240,8192,83\n18432,8192,83\n32768,,83\n' |
	sfdisk -q "$dir/disk.img"
cp "$dir/disk.img" "$dir/disk.before"
"$bin/springos" node reimage q01 --image img.gz --disktype virtio --partition 4 --no-power \
	--no-wait >/dev/null
# What bootsrv puts on the kernel command line: the node's name and its
# token, HMAC-SHA256("ID:EXPERIMENT") under the master's secret.
key=$(cat "$dir/master.secret")
id=$(sqlite3 "$dir/erm.db" "select id from nodes where name = 'q01'")
hex=$(printf '%s:' "$id" | openssl dgst -sha256 -hmac "$key" | awk '{print $NF}')

timeout 240 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot \
	-kernel "$kdir/vmlinuz" -initrd "$kdir/initrd.img" \
	-append "console=ttyS0 quiet springos.master=http://10.0.2.2:$mport springos.node=q01 springos.token=$hex" \
	-drive file="$dir/disk.img",if=virtio,format=raw \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56 \
	-pidfile "$dir/qemu1.pid" </dev/null >"$dir/console1.log" 2>&1 &
qpid=$!
pids+=($qpid)
# Pull the plug once ni reports it is writing (the server holds the
# second half back meanwhile).
state=
for _ in $(seq 1800); do
	state=$(sqlite3 "$dir/erm.db" "select state || ' ' || bytes from install_plans")
	[[ $state == writing\ [1-9]* ]] && break
	kill -0 $qpid 2>/dev/null || break
	sleep 0.1
done
# SIGKILL to QEMU itself: no shutdown, no flush, like a pulled plug.
[[ -s $dir/qemu1.pid ]] && kill -9 "$(cat "$dir/qemu1.pid")" 2>/dev/null
wait $qpid 2>/dev/null
touch "$dir/release"
like "$state" "^writing [1-9]" "first boot: ni reported progress, then the plug was pulled"
is "$("$bin/springos" --json node show q01 | jq -r .boot)" install "  the node stays in install"
check "  the partition does not hold the image yet" \
	bash -c "! cmp -s <(tail -c +$((32768 * 512 + 1)) '$dir/disk.img' | head -c 41943040) '$dir/img.raw'"
timeout 240 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot \
	-kernel "$kdir/vmlinuz" -initrd "$kdir/initrd.img" \
	-append "console=ttyS0 quiet springos.master=http://10.0.2.2:$mport springos.node=q01 springos.token=$hex" \
	-drive file="$dir/disk.img",if=virtio,format=raw \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56 \
	</dev/null >"$dir/console.log" 2>&1
is "$?" 0 "the VM installed and rebooted (QEMU exits on reboot)"
console=$(tr -d '\r' <"$dir/console.log")
like "$console" "ni-initrd: eth0 10\.0\.2\.15" "ni got a DHCP lease with udhcpc"
like "$console" "installing http://10\.0\.2\.2:$hport/img\.gz \(gzip\) onto /dev/vda partition 4" \
	"ni fetched its plan and picked the virtio disk"
like "$console" "installed 41943040 bytes .* verified" "ni verified the disk"
check "partition 4 holds the image" \
	cmp -s <(tail -c +$((32768 * 512 + 1)) "$dir/disk.img" | head -c 41943040) "$dir/img.raw"
check "partitions 1-3 and the table are untouched" \
	cmp -s <(head -c $((32768 * 512)) "$dir/disk.img") <(head -c $((32768 * 512)) "$dir/disk.before")
is "$("$bin/springos" --json node show q01 | jq -r '.boot + " " + .state')" "local installed" \
	"the master set boot local"
like "$(cat "$dir/master.log")" "q01: plan [0-9]+ installed" "the master logged the result"
is "$(sqlite3 "$dir/erm.db" "select state, attempts from install_plans")" "done|1" \
	"one result recorded: the pulled plug left no success behind"

#!/usr/bin/env bash
# End to end, as a real node: a QEMU machine (TCG) with Debian's iPXE ROM
# and an IDE disk, powered through its QMP socket.  bootsrv (DHCP, TFTP,
# HTTP), imaged, master and an FTP server run in a lab namespace with the
# VM's tap.  For each way of installing, `springos node reimage` records
# the plan and power-cycles the VM; it PXE-boots into the ni initrd, ni
# gets its plan with the token bootsrv put on its kernel command line,
# installs, verifies, reports, reboots; bootsrv now answers "local", the
# VM boots its disk and the sample system prints its marker and powers
# off.  The test reads the marker and compares the disk (or partition)
# with the image.  The variants, one after the other on the same servers,
# each on a fresh disk so nothing left by the previous one can pass:
#   http   sample.img.gz from imaged over HTTP, whole disk
#   mcast  sample.sos from imaged by multicast (--mcast), whole disk
#   ftp    sample.img.zst from an FTP URL (pyftpdlib), whole disk
#   part4  sample-part.vmdk into partition 4 of a pre-partitioned disk
#          whose MBR chainloads the active partition 4; partitions 1-3 and
#          the table must be left as they were.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
need_root_netns
BIN=$SPRINGOS_BUILD/bin
IMG=$SPRINGOS_BUILD/images
KDIR=$SPRINGOS_BUILD/ni-initrd

P=ni$$e
NS=${P}n
BR=${P}br
TAP=${P}tap
SRV=192.168.214.1
MAC=52:54:00:5a:14:01
NODEIP=192.168.214.11
FTPPORT=2121
TMP=$(mktemp -d /tmp/$P.XXXXXX)
[[ -d $TMP ]] || { echo "Bail out! no temporary directory"; exit 1; }
pids=()
qpid=
cleanup() {
	local p
	[[ -n $qpid ]] && kill "$qpid" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[[ -n $qpid ]] && wait "$qpid" 2>/dev/null
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

for f in "$KDIR/vmlinuz" "$KDIR/initrd.img" "$IMG/sample.img" "$IMG/sample.img.gz" \
    "$IMG/sample.img.zst" "$IMG/sample.sos" "$IMG/sample-part.img" "$IMG/sample-part.vmdk" \
    "$IMG/sample-p4disk.img"; do
	[[ -s $f ]] || { echo "Bail out! not built: $f"; exit 1; }
done

ip netns add "$NS" && ip -n "$NS" link set lo up &&
ip -n "$NS" link add "$BR" type bridge && ip -n "$NS" addr add $SRV/24 dev "$BR" &&
ip -n "$NS" link set "$BR" up &&
ip -n "$NS" tuntap add dev "$TAP" mode tap && ip -n "$NS" link set "$TAP" master "$BR" &&
ip -n "$NS" link set "$TAP" up ||
	{ echo "Bail out! cannot build the namespace"; exit 1; }

mkdir -p "$TMP/http/ni" "$TMP/tftp" "$TMP/store" "$TMP/ftp"
cp "$KDIR/vmlinuz" "$KDIR/initrd.img" "$TMP/http/ni/"
cp "$IMG/sample.img.gz" "$IMG/sample.sos" "$IMG/sample-part.vmdk" "$TMP/store/"
cp "$IMG/sample.img.zst" "$TMP/ftp/"
"$SPRINGOS_TOP/bootsrv/ipxe-install" "$TMP/tftp" "$TMP/http" >/dev/null

cat >"$TMP/springos.ini" <<INI
[testbed]
db = $TMP/erm.db
mgmt_network = 192.168.214.0/24
mgmt_address = $SRV
state_dir = $TMP
[bootsrv]
interface = $BR
dhcp_mode = server
boot_url = http://$SRV:8080
tftp_listen = $SRV:69
tftp_root = $TMP/tftp
http_listen = $SRV:8080
http_root = $TMP/http
boot_cmdline = console=ttyS0 quiet panic=-1
master_url = http://$SRV:8000
token_secret_file = $TMP/master.secret
[imaged]
store = $TMP/store
listen = $SRV:8070
mcast_address = $SRV
[master]
listen = $SRV:8000
INI
export SPRINGOS_CONF=$TMP/springos.ini
cat >"$TMP/inventory.ini" <<INI
[node:e2e01]
mac = $MAC
ip = $NODEIP
boot = none
power = qemu
power_params = $TMP/e2e01.qmp
INI
"$BIN/springos" db init >/dev/null && "$BIN/springos" node import "$TMP/inventory.ini" >/dev/null ||
	{ echo "Bail out! cannot set up the testbed database"; exit 1; }

# The master first: it creates the token secret bootsrv reads.
ip netns exec "$NS" "$BIN/master" -f -c "$TMP/springos.ini" 2>"$TMP/master.log" &
pids+=($!)
ip netns exec "$NS" "$BIN/imaged" -f -c "$TMP/springos.ini" 2>"$TMP/imaged.log" &
pids+=($!)
# The seed's diskimage URLs are FTP: a real FTP server in the namespace.
ip netns exec "$NS" /usr/bin/python3 -m pyftpdlib -i $SRV -p $FTPPORT -d "$TMP/ftp" \
	>"$TMP/ftp.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	[[ -s $TMP/master.secret ]] &&
		ip netns exec "$NS" curl -s -o /dev/null "http://$SRV:8070/images" &&
		ip netns exec "$NS" curl -s -o /dev/null "ftp://$SRV:$FTPPORT/" && break
	sleep 0.1
done
ip netns exec "$NS" "$BIN/bootsrv" -f -v -c "$TMP/springos.ini" >"$TMP/bootsrv.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q ": ready$" "$TMP/bootsrv.log" && break; sleep 0.1; done
check "bootsrv, imaged, master and the FTP server are up in the lab namespace" \
	bash -c "grep -q ': ready$' '$TMP/bootsrv.log' &&
		ip netns exec '$NS' curl -s -o /dev/null 'ftp://$SRV:$FTPPORT/'"

# variant TAG DISK_SOURCE CHECK_PARTITION4 REIMAGE_ARGS...: one install,
# on a fresh VM disk (DISK_SOURCE "empty": 64 MiB of zeros; else a copy of
# that file), then the VM's boot from it.
stop=0
variant() {
	local tag=$1 src=$2 p4=$3 t0 rc out serial bl want_fmt plan_fmt want_sha want_url marker onto
	shift 3
	if ((stop)); then
		not_ok "$tag: not run, an earlier install timed out"
		return
	fi
	t0=$SECONDS
	rm -f "$TMP/disk.img" "$TMP/e2e01.qmp"
	if [[ $src == empty ]]; then
		truncate -s 64M "$TMP/disk.img"
	else
		cp --sparse=always "$src" "$TMP/disk.img"
	fi
	bl=$(wc -l <"$TMP/bootsrv.log")
	# The node: powered but stopped until its power driver starts it.
	ip netns exec "$NS" qemu-system-x86_64 -accel tcg -m 512 -display none -monitor none \
		-serial "file:$TMP/serial-$tag.log" -boot n -S \
		-qmp "unix:$TMP/e2e01.qmp,server=on,wait=off" \
		-drive "file=$TMP/disk.img,format=raw,if=ide" \
		-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" \
		-device "e1000,netdev=n0,mac=$MAC" >"$TMP/qemu-$tag.log" 2>&1 &
	qpid=$!
	for _ in $(seq 50); do [[ -S $TMP/e2e01.qmp ]] && break; sleep 0.1; done

	timeout 300 "$BIN/springos" node reimage e2e01 "$@" --disktype ide --timeout 240 \
		>"$TMP/reimage-$tag.out" 2>&1
	rc=$?
	is "$rc" 0 "$tag: springos node reimage $*: the node installed"
	out=$(cat "$TMP/reimage-$tag.out")
	like "$out" "e2e01 +power-cycled \(qemu\)" "$tag:   it power-cycled the VM through QMP"
	# It redraws a node's line when the master's record changes (polled
	# each second): at least the plan pending, then done with its size.
	like "$out" "e2e01 +pending .*e2e01 +done +100% +[1-9][0-9.]* MB" "$tag:   it showed the node's progress, and the bytes written at the end"
	like "$out" "1 of 1 node\(s\) installed" "$tag:   and the final tally"
	is "$("$BIN/springos" --json node show e2e01 | jq -r '.boot + " " + .state')" "local installed" \
		"$tag: the node's boot mode is local"

	for _ in $(seq 150); do
		grep -aq "SPRINGOS-SAMPLE-BOOTED" "$TMP/serial-$tag.log" && break
		kill -0 $qpid 2>/dev/null || break
		sleep 1
	done
	serial=$(tr -d '\r' <"$TMP/serial-$tag.log")
	# The plan's format: the catalogue's for --image, auto for --url.
	case $tag in
	http) want_url="http://$SRV:8070/images/sample.img.gz" want_fmt=gzip plan_fmt=gzip ;;
	mcast) want_url="mcast://$SRV:7400/sample.sos" want_fmt=sosimg plan_fmt=sosimg ;;
	ftp) want_url="ftp://$SRV:$FTPPORT/sample.img.zst" want_fmt=zstd plan_fmt=auto ;;
	part4) want_url="http://$SRV:8070/images/sample-part.vmdk" want_fmt=vmdk plan_fmt=vmdk ;;
	esac
	if ((p4)); then
		want_sha=$(cat "$IMG/sample-part.sha256")
		marker="SPRINGOS-SAMPLE-BOOTED from disk: .*springos.sample=part4"
		onto=" partition 4"
	else
		want_sha=$(cat "$IMG/sample.sha256")
		marker="SPRINGOS-SAMPLE-BOOTED from disk: [^"$'\n'"]*panic=-1("$'\n'"|$)"
		onto=$'\n'
	fi
	like "$serial" "ni: installing ${want_url//./\\.} \($plan_fmt\) onto /dev/sda$onto" \
		"$tag: ni got the plan: $want_url"
	like "$serial" "ni: done 100% [0-9.]+ MB written.*ni: installed [0-9]+ bytes \($want_fmt, sha256 $want_sha\).*verified" \
		"$tag: ni reported progress, installed and verified the image's SHA-256 in the VM"
	like "$serial" "$marker" "$tag: after the reboot the VM booted its disk: marker seen"
	like "$(tail -n +$((bl + 1)) "$TMP/bootsrv.log")" "boot script for $MAC node e2e01 .*: local" \
		"$tag: bootsrv answered local after the install"
	if ((p4)); then
		local off=$((8192 * 512))
		check "$tag: partition 4 equals the partition image" \
			cmp -s <(tail -c +$((off + 1)) "$TMP/disk.img" | head -c "$(stat -c %s "$IMG/sample-part.img")") \
			"$IMG/sample-part.img"
		check "$tag: the partition table and partitions 1-3 are as they were" \
			cmp -s <(head -c $off "$TMP/disk.img") <(head -c $off "$src")
	else
		check "$tag: the disk equals the sample image" \
			cmp -s <(head -c "$(stat -c %s "$IMG/sample.img")" "$TMP/disk.img") "$IMG/sample.img"
	fi
	for _ in $(seq 30); do kill -0 $qpid 2>/dev/null || break; sleep 1; done
	check "$tag: the sample system powered the VM off" bash -c "! kill -0 $qpid 2>/dev/null"
	if [[ $rc != 0 ]] || ! grep -aq SPRINGOS-SAMPLE-BOOTED "$TMP/serial-$tag.log"; then
		diag "$tag reimage: $(tail -5 "$TMP/reimage-$tag.out")"
		diag "$tag serial: $(tr -d '\r' <"$TMP/serial-$tag.log" | tail -25)"
		diag "$tag bootsrv: $(tail -15 "$TMP/bootsrv.log")"
		diag "$tag master: $(tail -10 "$TMP/master.log")"
		diag "$tag imaged: $(tail -10 "$TMP/imaged.log")"
	fi
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	qpid=
	# A node that never finished (not one that failed fast) would make
	# every later variant wait as long: report those as not run.
	[[ $rc == 124 ]] || grep -q "timed out after" "$TMP/reimage-$tag.out" && stop=1
	diag "$tag: $((SECONDS - t0)) s"
}

variant http empty 0 --image sample.img.gz
variant mcast empty 0 --image sample.sos --mcast
# imaged logs a receiver joining the group and finishing; one that falls
# back to unicast is logged asking for it.
like "$(cat "$TMP/imaged.log")" \
	"sample.sos: receiver [0-9a-f]+ at ${NODEIP//./\\.}:[0-9]+ joined.*sample.sos: receiver [0-9a-f]+ at ${NODEIP//./\\.} done: $(stat -c %s "$IMG/sample.img") bytes" \
	"mcast: imaged sent the image to the node by multicast"
check "mcast:   no fallback to unicast" bash -c "! grep -q 'asks for unicast' '$TMP/imaged.log'"
variant ftp empty 0 --url "ftp://$SRV:$FTPPORT/sample.img.zst"
check "ftp: the FTP server sent the image to the node" \
	grep -aq "^\[I .*\] ${NODEIP//./\\.}:[0-9]*-\[anonymous\] RETR .*/sample\.img\.zst completed=1" "$TMP/ftp.log"
variant part4 "$IMG/sample-p4disk.img" 1 --image sample-part.vmdk --partition 4
done_testing

#!/usr/bin/env bash
# ni standalone: real servers on loopback (python http.server, pyftpdlib,
# tftpd-hpa), every scheme and codec, whole disk and partition N of MBR
# and GPT disk files made by sfdisk, and the ways an install must fail.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
ni=$SPRINGOS_BUILD/bin/ni
[[ -x $ni ]] || plan_skip_all "ni not built"

dir=$(mktemp -d /tmp/ni-standalone.XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

# An 8 MiB image: 3 MiB random, 4 MiB zeros, 1 MiB random.
mkdir -p "$dir/srv"
{ head -c 3145728 /dev/urandom; head -c 4194304 /dev/zero; head -c 1048576 /dev/urandom; } \
	>"$dir/srv/img.raw"
gzip -1 -c "$dir/srv/img.raw" >"$dir/srv/img.gz"
zstd -q -3 -c "$dir/srv/img.raw" >"$dir/srv/img.zst"
{ head -c 5000000 "$dir/srv/img.raw" | gzip -c; tail -c +5000001 "$dir/srv/img.raw" | gzip -c; } \
	>"$dir/srv/two.gz"
head -c 2000000 "$dir/srv/img.gz" >"$dir/srv/cut.gz"
# VMDK by two writers (ours and qemu-img), both subformats; the chunked
# format; a sosimg with one stored byte flipped.
"$SPRINGOS_BUILD/bin/imgtool" convert -O vmdk "$dir/srv/img.raw" "$dir/srv/img.vmdk" >/dev/null
qemu-img convert -O vmdk -o subformat=streamOptimized "$dir/srv/img.raw" "$dir/srv/q-stream.vmdk"
qemu-img convert -O vmdk -o subformat=monolithicSparse "$dir/srv/img.raw" "$dir/srv/q-sparse.vmdk"
"$SPRINGOS_BUILD/bin/imgtool" convert "$dir/srv/img.raw" "$dir/srv/img.sos" >/dev/null
cp "$dir/srv/img.sos" "$dir/srv/bad.sos"
printf '\xff' | dd of="$dir/srv/bad.sos" bs=1 seek=$(($(stat -c %s "$dir/srv/bad.sos") - 1000)) \
	conv=notrunc status=none
chmod 644 "$dir"/srv/*
chmod 755 "$dir/srv"
sum=$(sha256sum <"$dir/srv/img.raw" | cut -d' ' -f1)

port() { echo $((20000 + RANDOM % 20000)); }
wait_tcp() { # wait_tcp PORT: up to 10 s for a listener
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
start_http() {
	for _ in 1 2 3; do
		hport=$(port)
		(cd "$dir/srv" && exec /usr/bin/python3 -m http.server "$hport" --bind 127.0.0.1) \
			>/dev/null 2>&1 &
		pids+=($!)
		wait_tcp "$hport" && return 0
	done
	return 1
}
start_ftp() {
	for _ in 1 2 3; do
		fport=$(port)
		/usr/bin/python3 -m pyftpdlib -i 127.0.0.1 -p "$fport" -d "$dir/srv" \
			>/dev/null 2>&1 &
		pids+=($!)
		wait_tcp "$fport" && return 0
	done
	return 1
}
start_tftp() {
	tport=$(port)
	/usr/sbin/in.tftpd -L -u root -s "$dir/srv" -a 127.0.0.1:"$tport" >/dev/null 2>&1 &
	pids+=($!)
	sleep 0.3
}

# run NAME ARGS...: ni --json into $dir/NAME.json; sets $rc and $json
run() {
	local name=$1; shift
	timeout 120 "$ni" -q --json "$@" >"$dir/$name.json" 2>"$dir/$name.err"
	rc=$?
	json=$(cat "$dir/$name.json")
}
field() { jq -r ".$1" <<<"$json"; }

plan 39

start_http || { not_ok "python http.server did not start"; exit 1; }
start_ftp || { not_ok "pyftpdlib did not start"; exit 1; }
start_tftp

run raw --image "file://$dir/srv/img.raw" --disk "$dir/d1" --create
is "$rc:$(field ok):$(field format)" "0:true:raw" "file:// raw installs"
check "raw: target equals the image" cmp -s "$dir/d1" "$dir/srv/img.raw"
is "$(field sha256)" "$sum" "raw: reported sha256 is the image's"
like "$(field skipped)" '^[1-9]' "raw: zero runs left as holes in a fresh file"

run http "--image=http://127.0.0.1:$hport/img.gz" --disk "$dir/d2" --create
is "$rc:$(field ok):$(field format)" "0:true:gzip" "http:// gzip installs (format sniffed)"
check "http gzip: target equals the image" cmp -s "$dir/d2" "$dir/srv/img.raw"

run ftp --image "ftp://127.0.0.1:$fport/img.zst" --disk "$dir/d3" --create
is "$rc:$(field ok):$(field format)" "0:true:zstd" "ftp:// zstd installs"
check "ftp zstd: target equals the image" cmp -s "$dir/d3" "$dir/srv/img.raw"

run tftp --image "tftp://127.0.0.1:$tport/img.gz" --disk "$dir/d4" --create
is "$rc:$(field ok)" "0:true" "tftp:// gzip installs"
check "tftp gzip: target equals the image" cmp -s "$dir/d4" "$dir/srv/img.raw"

run two --image "http://127.0.0.1:$hport/two.gz" --disk "$dir/d5" --create --bufsize 64
is "$rc:$(field ok)" "0:true" "two gzip members, 64 KiB buffers"
check "two members: target equals the image" cmp -s "$dir/d5" "$dir/srv/img.raw"

run sha --image "file://$dir/srv/img.zst" --disk "$dir/d6" --create --sha256 "$sum"
is "$rc:$(field ok)" "0:true" "expected sha256 matches"
run badsha --image "file://$dir/srv/img.zst" --disk "$dir/d6" --create \
	--sha256 "$(printf '%064d' 0)"
is "$rc:$(field ok)" "1:false" "wrong expected sha256 fails"
like "$(field reason)" "sha256 is $sum, the plan says 0+" "  and says which sums differ"

# Partition 4 of an MBR disk: the image lands at its start, the rest of
# the disk is untouched.
head -c 67108864 /dev/urandom >"$dir/mbr.disk"
printf 'label: dos\n2048,4096,83\n8192,4096,83\n16384,4096,83\n32768,32768,83\n' |
	sfdisk -q "$dir/mbr.disk"
cp "$dir/mbr.disk" "$dir/mbr.before"
run mbr --image "http://127.0.0.1:$hport/img.gz" --disk "$dir/mbr.disk" --partition 4
is "$rc:$(field ok):$(field offset)" "0:true:$((32768 * 512))" "MBR partition 4 installs at its start"
check "MBR p4: partition holds the image" \
	cmp -s <(tail -c +$((32768 * 512 + 1)) "$dir/mbr.disk" | head -c 8388608) "$dir/srv/img.raw"
check "MBR p4: the disk before it is untouched" \
	cmp -s <(head -c $((32768 * 512)) "$dir/mbr.disk") <(head -c $((32768 * 512)) "$dir/mbr.before")
check "MBR p4: the disk after it is untouched" \
	cmp -s <(tail -c +$((32768 * 512 + 8388609)) "$dir/mbr.disk") \
	<(tail -c +$((32768 * 512 + 8388609)) "$dir/mbr.before")

cp "$dir/mbr.disk" "$dir/mbr.before"
run mbrsmall --image "http://127.0.0.1:$hport/img.gz" --disk "$dir/mbr.disk" --partition 1
is "$rc:$(field ok)" "1:false" "an image larger than the partition fails"
like "$(field reason)" "larger than the target" "  and says so"
check "  and wrote nothing past partition 1" \
	cmp -s <(tail -c +$((4096 * 512 + 1 + 2048 * 512)) "$dir/mbr.disk") \
	<(tail -c +$((4096 * 512 + 1 + 2048 * 512)) "$dir/mbr.before")

run mbrnone --image "file://$dir/srv/img.raw" --disk "$dir/mbr.disk" --partition 3 \
	--format raw
is "$rc:$(field ok)" "1:false" "partition 3 (2 MiB) too small for 8 MiB raw"

# GPT partition 2.
truncate -s 64M "$dir/gpt.disk"
printf 'label: gpt\n2048,8192\n16384,32768\n' | sfdisk -q "$dir/gpt.disk"
run gpt --image "ftp://127.0.0.1:$fport/img.zst" --disk "$dir/gpt.disk" --partition 2
is "$rc:$(field ok):$(field offset)" "0:true:$((16384 * 512))" "GPT partition 2 installs at its start"
check "GPT p2: partition holds the image" \
	cmp -s <(tail -c +$((16384 * 512 + 1)) "$dir/gpt.disk" | head -c 8388608) "$dir/srv/img.raw"
run gpt9 --image "ftp://127.0.0.1:$fport/img.zst" --disk "$dir/gpt.disk" --partition 9
like "$rc:$(field reason)" "^1:.*partition 9 is unused" "GPT: an unused partition is refused"

for v in img.vmdk q-stream.vmdk q-sparse.vmdk; do
	run "$v" --image "ftp://127.0.0.1:$fport/$v" --disk "$dir/$v.out" --create --bufsize 64
	is "$rc:$(field ok):$(field format)" "0:true:vmdk" "ftp:// $v installs"
	check "$v: target equals the image" cmp -s "$dir/$v.out" "$dir/srv/img.raw"
done
run sos --image "http://127.0.0.1:$hport/img.sos" --disk "$dir/d9" --create
is "$rc:$(field ok):$(field format)" "0:true:sosimg" "http:// sosimg installs"
check "sosimg: target equals the image" cmp -s "$dir/d9" "$dir/srv/img.raw"
run badsos --image "http://127.0.0.1:$hport/bad.sos" --disk "$dir/d10" --create
like "$rc:$(field reason)" "^1:.*sosimg chunk [0-9]+: .*SHA-256" "a corrupted sosimg chunk is refused by its SHA-256"

run cut --image "http://127.0.0.1:$hport/cut.gz" --disk "$dir/d7" --create
is "$rc:$(field ok)" "1:false" "a truncated gzip image fails"
like "$(field reason)" "ends inside a compressed frame" "  with the reason"

run missing --image "http://127.0.0.1:$hport/nope.gz" --disk "$dir/d8" --create
like "$rc:$(field reason)" "^1:fetch .*404" "HTTP 404 fails with the status"

run nodisk --image "file://$dir/srv/img.raw" --disk "$dir/absent/disk"
like "$rc:$(field reason)" "^1:open .*No such file" "a missing target disk fails"

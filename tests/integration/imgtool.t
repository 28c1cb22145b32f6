#!/usr/bin/env bash
# imgtool: byte-identical round trips through every format, qemu-img
# interop both ways (our VMDK passes qemu-img check/compare; we read what
# qemu-img writes), capture, and clear errors on bad or truncated input
# without leaving partial output behind.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
T=$SPRINGOS_BUILD/bin/imgtool
dir=$(mktemp -d /tmp/imgtool-t.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1

# A 5 MiB disk: zeros, compressible text, random data, zeros, a partial
# grain and chunk at the end (size is sectors, not a chunk multiple).
{ head -c 1048576 /dev/zero; yes "springos image test line" | head -c 1499648
  head -c 999936 /dev/urandom; head -c 1600000 /dev/zero; head -c 1536 /dev/urandom
} > src.raw
src_sha=$(sha256sum < src.raw | cut -d' ' -f1)

for fmt in sosimg gzip zstd vmdk vmdk-stream raw; do
	if "$T" convert -O "$fmt" src.raw "out.$fmt" >/dev/null 2>err; then
		"$T" convert -O raw "out.$fmt" back.raw 2>>err
		if cmp -s back.raw src.raw; then ok "round trip raw -> $fmt -> raw is byte-identical"
		else not_ok "round trip raw -> $fmt -> raw"; diag "$(cat err)"; fi
	else
		not_ok "convert to $fmt"; diag "$(cat err)"
	fi
done
# Chains between non-raw formats, and sosimg's other codecs and chunk sizes.
"$T" convert -O sosimg -c zlib -s 65536 out.vmdk-stream z.sos >/dev/null &&
	"$T" convert -O vmdk z.sos chain.vmdk && "$T" convert -O zstd chain.vmdk chain.zst &&
	"$T" convert chain.zst chain.raw && cmp -s chain.raw src.raw
check "vmdk-stream -> sosimg(zlib, 64K) -> vmdk -> zstd -> raw is byte-identical" test $? = 0
"$T" convert -O sosimg -c none out.gzip plain.sos >/dev/null && "$T" convert plain.sos p.raw &&
	cmp -s p.raw src.raw
check "gzip -> sosimg(none) -> raw is byte-identical" test $? = 0

info=$("$T" info out.sosimg)
like "$info" "zero-chunks: 1" "info: the zero chunk is recorded"
like "$info" "sha256: $src_sha" "info: whole-image digest is the SHA-256 of the disk"
like "$info" "chunks: 5" "info: 5 chunks of 1 MiB"
v=$("$T" verify out.sosimg)
like "$v" "ok, 5149696 bytes, sha256 $src_sha" "verify sosimg"
# speed: one row per codec present, with numbers; a corrupt chunk is named.
v=$("$T" speed z.sos)
like "$v" "zlib +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+" "speed: zlib row with decode and check MB/s"
v=$("$T" speed out.sosimg 2>&1)
like "$v" "zstd +[0-9]+ .* [0-9]+$" "speed: zstd row"
v=$("$T" speed src.raw 2>&1); rc=$?
like "$rc/$v" "1/.*not a sosimg" "speed: a raw disk is refused"
cp out.sosimg bad.sos
off=$(stat -c %s out.sosimg) # the file ends with the last stored chunk
printf '\x55' | dd of=bad.sos bs=1 seek=$((off - 100)) conv=notrunc status=none
v=$("$T" speed bad.sos 2>&1); rc=$?
like "$rc/$v" "1/.*chunk at disk offset [0-9]+" "speed: a damaged chunk is named by its disk offset"
v=$("$T" verify out.vmdk-stream)
like "$v" "sha256 $src_sha" "verify vmdk-stream reports the disk digest"

# qemu-img interop.
for fmt in vmdk vmdk-stream; do
	check "qemu-img check passes on our $fmt" qemu-img check -q "out.$fmt"
	check "qemu-img compare: our $fmt equals the raw source" qemu-img compare -q src.raw "out.$fmt"
done
qemu-img convert -O vmdk src.raw q.vmdk
qemu-img convert -O vmdk -o subformat=streamOptimized src.raw qs.vmdk
for f in q.vmdk qs.vmdk; do
	"$T" convert "$f" "$f.raw" && cmp -s "$f.raw" src.raw
	check "we read qemu-img's $f byte-identically" test $? = 0
done
qemu-img convert -f vmdk -O raw out.vmdk-stream qback.raw && cmp -s qback.raw src.raw
check "qemu-img converts our streamOptimized back to the same raw" test $? = 0

# Capture from a sparse file: zero regions are not stored.
truncate -s 8M cap.raw
dd if=src.raw of=cap.raw bs=1M seek=2 conv=notrunc status=none
"$T" capture cap.raw cap.sos >/dev/null
info=$("$T" info cap.sos)
like "$info" "zero-chunks: 4" "capture: zero regions recorded, not stored"
"$T" convert cap.sos cap2.raw && cmp -s cap.raw cap2.raw
check "capture round trip is byte-identical" test $? = 0

# Capture from a block device (a loop device over a sparse file).
loopdev=
if ((EUID == 0)) && loopdev=$(losetup -f --show cap.raw 2>/dev/null); then
	trap 'losetup -d "$loopdev" 2>/dev/null; rm -rf "$dir"' EXIT
	"$T" capture "$loopdev" dev.sos >/dev/null && "$T" convert dev.sos dev.raw && cmp -s dev.raw cap.raw
	check "capture from a block device ($loopdev) round trips byte-identically" test $? = 0
	like "$("$T" info dev.sos)" "zero-chunks: 4" "capture from a block device skips zero regions"
	losetup -d "$loopdev"
else
	not_ok "capture from a block device: no loop device (needs root and losetup)"
fi

# Bad input: a clear error naming the offset, no partial output.
head -c 600000 out.sosimg > trunc.sos
out=$("$T" convert trunc.sos x.raw 2>&1); rc=$?
like "$out" "offset [0-9]+" "truncated sosimg: error names an offset"
is "$rc/$(ls x.raw .x.raw.* 2>/dev/null | wc -l)" "1/0" "truncated sosimg: exit 1, no output left"
cp out.sosimg flip.sos
printf '\xff' | dd of=flip.sos bs=1 seek=400000 conv=notrunc status=none
out=$("$T" convert flip.sos y.raw 2>&1); rc=$?
like "$out" "offset [0-9]+: chunk [0-9]+: .*(SHA-256|corrupt)" "corrupt chunk: error names offset and chunk"
is "$rc/$(ls y.raw .y.raw.* 2>/dev/null | wc -l)" "1/0" "corrupt chunk: exit 1, no output left"
head -c 300000 out.gzip > trunc.gz
out=$("$T" convert trunc.gz z.raw 2>&1); rc=$?
like "$out" "offset 300000: gzip stream truncated" "truncated gzip: error names the offset"
is "$rc/$(ls z.raw .z.raw.* 2>/dev/null | wc -l)" "1/0" "truncated gzip: no output left"
head -c 200000 out.vmdk-stream > trunc.vmdk
out=$("$T" convert trunc.vmdk w.raw 2>&1); rc=$?
like "$out" "offset [0-9]+" "truncated vmdk: error names an offset"
is "$rc/$(ls w.raw .w.raw.* 2>/dev/null | wc -l)" "1/0" "truncated vmdk: no output left"
head -c 5149000 src.raw > odd.raw
out=$("$T" convert odd.raw odd.vmdk 2>&1)
like "$out" "not a multiple of 512" "a disk of no whole sectors cannot become a VMDK"
done_testing

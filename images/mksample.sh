#!/usr/bin/env bash
# Build the sample images without network access, from installed Debian
# packages only: a bootable raw disk (MBR boot code and FAT file system
# with SYSLINUX from Debian's syslinux, the Debian kernel, a tiny busybox
# root whose init prints a marker on the serial console and powers off),
# and its gz, zst, VMDK (streamOptimized) and chunked (sosimg) variants.
#
#   images/mksample.sh BUILD_DIR OUT_DIR
# writes OUT_DIR/sample.img (.gz .zst .vmdk .sos) and sample.sha256, the
# SHA-256 of the raw disk.  Reproducible: fixed times, fixed volume id.
set -euo pipefail
build=$1
out=$2
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
kver=
for v in $(ls /lib/modules 2>/dev/null | sort -V -r); do
	[[ -f /boot/vmlinuz-$v ]] && { kver=$v; break; }
done
[[ -n $kver ]] || { echo "mksample: no Debian kernel in /boot (linux-image-amd64)" >&2; exit 1; }
for f in /usr/lib/syslinux/mbr/mbr.bin /bin/busybox; do
	[[ -f $f ]] || { echo "mksample: $f missing (make deps)" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mksample.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# The installed system: busybox and an init that says it booted.
mkdir -p "$tmp/root/bin" "$tmp/root/proc" "$tmp/root/dev"
cp /bin/busybox "$tmp/root/bin/busybox"
cat >"$tmp/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev 2>/dev/null
echo "SPRINGOS-SAMPLE-BOOTED from disk: $(/bin/busybox cat /proc/cmdline)"
/bin/busybox sleep 1
/bin/busybox poweroff -f
INIT
chmod 755 "$tmp/root/init"
find "$tmp/root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$tmp/root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -9 >"$tmp/initrd.gz"

cat >"$tmp/syslinux.cfg" <<'CFG'
SERIAL 0 115200
DEFAULT sample
PROMPT 0
TIMEOUT 0
LABEL sample
  KERNEL vmlinuz
  APPEND initrd=initrd.gz console=ttyS0 quiet panic=-1
CFG

# The file system: FAT16, 24 MiB, starting 1 MiB into the disk; SYSLINUX
# is told that offset (it goes into the boot sector's hidden sectors).
fs_kib=24576
off=1048576
mkfs.vfat -C -n SPRINGOS -i 5350524e "$tmp/fs.img" $fs_kib >/dev/null
export MTOOLS_SKIP_CHECK=1
mcopy -m -i "$tmp/fs.img" "/boot/vmlinuz-$kver" ::/vmlinuz
mcopy -m -i "$tmp/fs.img" "$tmp/initrd.gz" ::/initrd.gz
mcopy -m -i "$tmp/fs.img" "$tmp/syslinux.cfg" ::/syslinux.cfg

# The disk: MBR boot code, one active FAT16 partition, the file system.
size=$((off + fs_kib * 1024))
truncate -s $size "$tmp/sample.img"
printf 'label: dos\nlabel-id: 0x53505249\n%d,%d,6,*\n' $((off / 512)) $((fs_kib * 2)) |
	sfdisk -q "$tmp/sample.img"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$tmp/sample.img" bs=440 count=1 conv=notrunc status=none
dd if="$tmp/fs.img" of="$tmp/sample.img" bs=1M seek=1 conv=notrunc status=none
syslinux --install --offset $off "$tmp/sample.img"

mv "$tmp/sample.img" "$out/sample.img"
gzip -n -6 -c "$out/sample.img" >"$out/sample.img.gz"
zstd -q -f -19 "$out/sample.img" -o "$out/sample.img.zst"
qemu-img convert -O vmdk -o subformat=streamOptimized "$out/sample.img" "$out/sample.vmdk"
"$build/bin/imgtool" convert "$out/sample.img" "$out/sample.sos" >/dev/null
sha256sum <"$out/sample.img" | cut -d' ' -f1 >"$out/sample.sha256"
echo "mksample: $out/sample.img ($((size >> 20)) MiB, kernel $kver) and .gz .zst .vmdk .sos"

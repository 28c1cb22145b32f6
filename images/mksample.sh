#!/usr/bin/env bash
# Build the sample images without network access, from installed Debian
# packages only: a bootable raw disk (MBR boot code and FAT file system
# with SYSLINUX from Debian's syslinux, the Debian kernel, a tiny busybox
# root whose init prints a marker on the serial console and powers off),
# and its gz, zst, VMDK (streamOptimized) and chunked (sosimg) variants;
# and, for installs into partition 4 of an existing table (the seed's
# `partition 4`), a pre-partitioned target disk whose MBR chainloads its
# active partition 4, and the partition image that boots from there.
#
#   images/mksample.sh BUILD_DIR OUT_DIR
# writes OUT_DIR/sample.img (.gz .zst .vmdk .sos) and sample.sha256, the
# SHA-256 of the raw disk; sample-p4disk.img (the target disk) and
# sample-part.img (.vmdk, by imgtool) with sample-part.sha256.
# Reproducible: fixed times, fixed volume ids.
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

# The partition variant.  Target disk, 32 MiB: partitions 1-3 (1 MiB
# each, filled with a text pattern so a test can see an install left them
# alone), partition 4 from 4 MiB to the end, active, holding old contents
# (another pattern, so nothing there boots until ni has written it).
# SYSLINUX's MBR code (mbr.bin) loads the active partition's boot sector.
p4_lba=8192
disk_sectors=65536
truncate -s $((disk_sectors * 512)) "$tmp/p4disk.img"
printf 'label: dos\nlabel-id: 0x53505234\n2048,2048,83\n4096,2048,83\n6144,2048,83\n%d,%d,6,*\n' \
	$p4_lba $((disk_sectors - p4_lba)) | sfdisk -q "$tmp/p4disk.img"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$tmp/p4disk.img" bs=440 count=1 conv=notrunc status=none
for i in 1 2 3 4; do
	n=1
	[[ $i == 4 ]] && n=$(((disk_sectors - p4_lba) / 2048))
	{ yes "springos sample disk, partition $i, old contents" || true; } |
		head -c $((n << 20)) | dd of="$tmp/p4disk.img" bs=1M seek=$i conv=notrunc status=none
done

# The partition image: the same FAT16 file system (the kernel command line
# says which variant booted).  SYSLINUX's boot sector finds ldlinux.sys by
# absolute sector, the partition's start (BPB hidden sectors) plus the
# file's offset: install it where partition 4 sits on a copy of the target
# disk, then cut the partition out.
sed 's/panic=-1$/panic=-1 springos.sample=part4/' "$tmp/syslinux.cfg" >"$tmp/syslinux-p4.cfg"
mkfs.vfat -C -n SPRINGOSP4 -i 53505234 "$tmp/part.img" $fs_kib >/dev/null
mcopy -m -i "$tmp/part.img" "/boot/vmlinuz-$kver" ::/vmlinuz
mcopy -m -i "$tmp/part.img" "$tmp/initrd.gz" ::/initrd.gz
mcopy -m -i "$tmp/part.img" "$tmp/syslinux-p4.cfg" ::/syslinux.cfg
cp "$tmp/p4disk.img" "$tmp/p4work.img"
dd if="$tmp/part.img" of="$tmp/p4work.img" bs=512 seek=$p4_lba conv=notrunc status=none
syslinux --install --offset $((p4_lba * 512)) "$tmp/p4work.img"
dd if="$tmp/p4work.img" of="$tmp/part.img" bs=512 skip=$p4_lba count=$((fs_kib * 2)) \
	status=none
mv "$tmp/p4disk.img" "$out/sample-p4disk.img"
mv "$tmp/part.img" "$out/sample-part.img"
rm -f "$out/sample-part.vmdk"
"$build/bin/imgtool" convert "$out/sample-part.img" "$out/sample-part.vmdk" >/dev/null
sha256sum <"$out/sample-part.img" | cut -d' ' -f1 >"$out/sample-part.sha256"

mv "$tmp/sample.img" "$out/sample.img"
gzip -n -6 -c "$out/sample.img" >"$out/sample.img.gz"
zstd -q -f -19 "$out/sample.img" -o "$out/sample.img.zst"
qemu-img convert -O vmdk -o subformat=streamOptimized "$out/sample.img" "$out/sample.vmdk"
"$build/bin/imgtool" convert "$out/sample.img" "$out/sample.sos" >/dev/null
sha256sum <"$out/sample.img" | cut -d' ' -f1 >"$out/sample.sha256"
echo "mksample: $out/sample.img ($((size >> 20)) MiB, kernel $kver) and .gz .zst .vmdk .sos;" \
	"sample-part.img (.vmdk) for partition 4 of sample-p4disk.img"

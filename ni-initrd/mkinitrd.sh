#!/usr/bin/env bash
# Build the ni initrd: the Debian kernel (package linux-image-amd64, as
# installed under /boot and /lib/modules), the modules for common NICs and
# disks with their dependencies, busybox-static, ni and the shared
# libraries it links, an /init that runs ni.  No network access: every
# input is a file installed from the Debian mirror by `make deps`.
#
#   ni-initrd/mkinitrd.sh BUILD_DIR OUT_DIR
# writes OUT_DIR/vmlinuz and OUT_DIR/initrd.img (newc cpio, zstd), built
# reproducibly: sorted entries, fixed times and owners.
set -euo pipefail
build=$1
out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
ni=$build/bin/ni
[[ -x $ni ]] || { echo "mkinitrd: $ni not built" >&2; exit 1; }

# The newest kernel that has both an image and its modules.
kver=
for v in $(ls /lib/modules 2>/dev/null | sort -V -r); do
	if [[ -f /boot/vmlinuz-$v && -f /lib/modules/$v/modules.dep ]]; then kver=$v; break; fi
done
[[ -n $kver ]] || { echo "mkinitrd: no Debian kernel installed (apt-get install linux-image-amd64)" >&2; exit 1; }
[[ -x /bin/busybox ]] && /bin/busybox --list | grep -qx udhcpc ||
	{ echo "mkinitrd: busybox-static with udhcpc is needed" >&2; exit 1; }

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
stage=$(mktemp -d "${TMPDIR:-/tmp}/ni-initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,run,tmp,lib,lib64,usr/lib,root,mnt} \
	"$stage/etc/ssl/certs"

# busybox, its applets as symlinks made at boot (busybox --install).
cp /bin/busybox "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"

# ni and every shared library it needs, at the same paths.
cp "$ni" "$stage/bin/ni"
strip "$stage/bin/ni" 2>/dev/null || true
ldd "$ni" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' | sort -u | while read -r lib; do
	real=$(readlink -f "$lib")
	mkdir -p "$stage$(dirname "$lib")"
	cp "$real" "$stage$lib"
	strip --strip-unneeded "$stage$lib" 2>/dev/null || true
done
# https: the system's trust anchors.
[[ -f /etc/ssl/certs/ca-certificates.crt ]] &&
	cp /etc/ssl/certs/ca-certificates.crt "$stage/etc/ssl/certs/"

# Kernel modules: NICs and disk controllers found on servers and in VMs.
mods=(virtio_pci virtio_net virtio_blk virtio_scsi e1000 e1000e igb igc ixgbe i40e
	r8169 tg3 bnx2 bnx2x be2net mlx4_en mlx5_core ahci ata_piix ata_generic pata_acpi
	sd_mod sr_mod nvme megaraid_sas mpt3sas hpsa aacraid vmw_pvscsi vmxnet3 mptspi)
moddir=/lib/modules/$kver
list=()
for m in "${mods[@]}"; do
	# modprobe --show-depends prints "insmod PATH" for the module and what
	# it needs, dependencies first.
	while read -r cmd path _; do
		[[ $cmd == insmod ]] && list+=("$path")
	done < <(modprobe -S "$kver" --show-depends "$m" 2>/dev/null || true)
done
: >"$stage/etc/modules.load"
for p in "${list[@]}"; do
	rel=${p#"$moddir"/}
	[[ -f $stage/lib/modules/$kver/$rel ]] && continue
	mkdir -p "$stage/lib/modules/$kver/$(dirname "$rel")"
	case $p in
	*.ko.xz) xz -dc "$p" >"$stage/lib/modules/$kver/${rel%.xz}"; rel=${rel%.xz} ;;
	*.ko.zst) zstd -qdc "$p" >"$stage/lib/modules/$kver/${rel%.zst}"; rel=${rel%.zst} ;;
	*) cp "$p" "$stage/lib/modules/$kver/$rel" ;;
	esac
	echo "$rel" >>"$stage/etc/modules.load"
done

install -m 755 "$top/ni-initrd/init" "$stage/init"
install -m 755 "$top/ni-initrd/udhcpc.script" "$stage/etc/udhcpc.script"
echo "ni-initrd built $(date -u -d "@$SOURCE_DATE_EPOCH" +%F) kernel $kver" >"$stage/etc/ni-release"

mkdir -p "$out"
cp "/boot/vmlinuz-$kver" "$out/vmlinuz"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | zstd -q -9 -T2 -f -o "$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "mkinitrd: $out/initrd.img $(du -k "$out/initrd.img" | cut -f1) KiB, ${#list[@]} modules, kernel $kver"

# ni-initrd/: ni, the node installer, and the initramfs that carries it.
PROGRAMS += ni
ni_SRCS := ni-initrd/ni.c ni-initrd/pipeline.c ni-initrd/decode.c \
	ni-initrd/parttable.c ni-initrd/params.c ni-initrd/master_client.c \
	ni-initrd/decode_framed.c imaged/vmdk.c
ni_LIBS := -lcurl -ljansson -lcrypto -lz -lzstd -lpthread
DEPS_PKGS += libcurl4-openssl-dev libjansson-dev libssl-dev zlib1g-dev libzstd-dev \
	busybox-static curl zstd python3 cpio fdisk tftpd-hpa python3-pyftpdlib qemu-utils qemu-system-x86 ipxe-qemu jq bc

UNIT_TESTS += test_ni_decode test_ni_parttable test_ni_params
test_ni_decode_SRCS := tests/unit/test_ni_decode.c ni-initrd/decode.c ni-initrd/decode_framed.c \
	imaged/vmdk.c
test_ni_decode_LIBS := -lcmocka -lz -lzstd -lcrypto
test_ni_parttable_SRCS := tests/unit/test_ni_parttable.c ni-initrd/parttable.c
test_ni_parttable_LIBS := -lcmocka -lz
test_ni_params_SRCS := tests/unit/test_ni_params.c ni-initrd/params.c ni-initrd/decode.c \
	ni-initrd/decode_framed.c imaged/vmdk.c
test_ni_params_LIBS := -lcmocka -ljansson -lz -lzstd -lcrypto

FUZZERS += fuzz_ni_params fuzz_parttable fuzz_ni_decode
fuzz_ni_params_SRCS := tests/fuzz/fuzz_ni_params.c ni-initrd/params.c ni-initrd/decode.c \
	ni-initrd/decode_framed.c imaged/vmdk.c lib/sosimg.c \
	lib/util.c
fuzz_ni_params_LIBS := -ljansson -lz -lzstd -lcrypto
fuzz_parttable_SRCS := tests/fuzz/fuzz_parttable.c ni-initrd/parttable.c
fuzz_parttable_LIBS := -lz
fuzz_ni_decode_SRCS := tests/fuzz/fuzz_ni_decode.c ni-initrd/decode.c ni-initrd/decode_framed.c \
	imaged/vmdk.c lib/sosimg.c lib/util.c
fuzz_ni_decode_LIBS := -lz -lzstd -lcrypto

# The initrd: make ni-initrd (or make -C ni-initrd).
DEPS_PKGS += linux-image-amd64 kmod xz-utils
.PHONY: ni-initrd
ni-initrd: $(BUILD)/ni-initrd/initrd.img
$(BUILD)/ni-initrd/initrd.img: $(BUILD)/bin/ni ni-initrd/mkinitrd.sh ni-initrd/init \
		ni-initrd/udhcpc.script
	ni-initrd/mkinitrd.sh $(BUILD) $(BUILD)/ni-initrd
# The initrd is part of every build: the QEMU test boots it.
all: $(BUILD)/ni-initrd/initrd.img

BENCHES += ni
.PHONY: bench-ni
bench-ni: all
	tests/bench/run $(BUILD) ni

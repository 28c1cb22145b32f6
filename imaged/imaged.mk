# imaged/: the image store daemon, imgtool, and the chunked image format.
LIB_SRCS += lib/sosimg.c
LIB_LIBS += -lz -lzstd -lcrypto
DEPS_PKGS += qemu-utils udpcast zlib1g-dev libzstd-dev libssl-dev libevent-dev curl

IMGIO_SRCS := imaged/imgio.c imaged/vmdk.c

PROGRAMS += imgtool
imgtool_SRCS := imaged/imgtool.c $(IMGIO_SRCS)

UNIT_TESTS += test_sosimg
test_sosimg_SRCS := tests/unit/test_sosimg.c
test_sosimg_LIBS := -lcmocka

FUZZERS += fuzz_sosimg fuzz_imgio
fuzz_sosimg_SRCS := tests/fuzz/fuzz_sosimg.c lib/sosimg.c
fuzz_sosimg_LIBS := -lz -lzstd -lcrypto
fuzz_imgio_SRCS := tests/fuzz/fuzz_imgio.c imaged/imgio.c imaged/vmdk.c lib/sosimg.c lib/util.c
fuzz_imgio_LIBS := -lz -lzstd -lcrypto

# imaged/: the image store daemon, imgtool, imgrecv, the chunked image format
# (lib/sosimg.c) and the multicast receiver library (lib/mcast_recv.c).
LIB_SRCS += lib/sosimg.c lib/mcast_proto.c lib/mcast_recv.c
LIB_LIBS += -lz -lzstd -lcrypto
DEPS_PKGS += qemu-utils udpcast zstd bc jq sqlite3 zlib1g-dev libzstd-dev libssl-dev libevent-dev \
	libjansson-dev curl

IMGIO_SRCS := imaged/imgio.c imaged/vmdk.c

PROGRAMS += imgtool imaged imgrecv
imgtool_SRCS := imaged/imgtool.c $(IMGIO_SRCS)
imaged_SRCS := imaged/imaged.c imaged/mcast_srv.c $(IMGIO_SRCS)
imaged_LIBS := -levent -ljansson
imgrecv_SRCS := imaged/imgrecv.c

UNIT_TESTS += test_sosimg test_mcast_proto
test_sosimg_SRCS := tests/unit/test_sosimg.c
test_sosimg_LIBS := -lcmocka
test_mcast_proto_SRCS := tests/unit/test_mcast_proto.c
test_mcast_proto_LIBS := -lcmocka

FUZZERS += fuzz_sosimg fuzz_imgio fuzz_mcast_proto
fuzz_sosimg_SRCS := tests/fuzz/fuzz_sosimg.c lib/sosimg.c
fuzz_sosimg_LIBS := -lz -lzstd -lcrypto
fuzz_imgio_SRCS := tests/fuzz/fuzz_imgio.c imaged/imgio.c imaged/vmdk.c lib/sosimg.c lib/util.c
fuzz_imgio_LIBS := -lz -lzstd -lcrypto
fuzz_mcast_proto_SRCS := tests/fuzz/fuzz_mcast_proto.c lib/mcast_proto.c lib/sosimg.c
fuzz_mcast_proto_LIBS := -lz -lzstd -lcrypto

# The receive-side loss shim for the multicast tests (LD_PRELOAD).
SHIM := $(BUILD)/shim/recvshim.so
all: $(SHIM)
$(SHIM): tests/shim/recvshim.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -fPIC -shared -o $@ $< -ldl

BENCHES += image
.PHONY: bench-image bench-mcast
bench-image bench-mcast: deps all
	@tests/bench/run $(BUILD) image

# bootsrv, TFTP and HTTP boot serving (issue 4).  The program itself
# (PROGRAMS, main) is declared by dhcp.mk; this adds the services.
bootsrv_SRCS += bootsrv/tftp_parse.c bootsrv/tftp.c bootsrv/bootfile.c \
	bootsrv/httpboot.c bootsrv/bootscript.c
bootsrv_LIBS += -levent -lcrypto

UNIT_TESTS += test_tftp_parse
test_tftp_parse_SRCS := tests/unit/test_tftp_parse.c bootsrv/tftp_parse.c bootsrv/bootscript.c
test_tftp_parse_LIBS := -lcmocka

FUZZERS += fuzz_tftp_request
fuzz_tftp_request_SRCS := tests/fuzz/fuzz_tftp_request.c bootsrv/tftp_parse.c bootsrv/bootscript.c lib/util.c

# Test clients and benchmark peers (tftpd-hpa and atftpd conflict: atftpd
# is unpacked by the benchmark, not installed).
DEPS_PKGS += curl atftp tftp-hpa tftpd-hpa dnsmasq ipxe ipxe-qemu seabios \
	qemu-system-x86 linux-image-amd64 busybox-static cpio

BENCHES += tftp
.PHONY: bench-tftp
bench-tftp: all
	@tests/bench/run $(BUILD) tftp
SCRIPTS += bootsrv/ipxe-install

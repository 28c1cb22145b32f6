# bootsrv: the DHCP/proxyDHCP/PXE service (issue 3); the TFTP/HTTP
# services of issue 4 add their sources to bootsrv_SRCS in their own .mk.
PROGRAMS += bootsrv
bootsrv_SRCS += bootsrv/bootsrv.c bootsrv/dhcp_parse.c bootsrv/dhcp_engine.c \
	bootsrv/dhcp_io.c bootsrv/dhcp_service.c
bootsrv_LIBS += -levent -lpcap -lpthread

UNIT_TESTS += test_dhcp
test_dhcp_SRCS := tests/unit/test_dhcp.c bootsrv/dhcp_parse.c bootsrv/dhcp_engine.c
test_dhcp_LIBS := -lcmocka

FUZZERS += fuzz_dhcp
fuzz_dhcp_SRCS := tests/fuzz/fuzz_dhcp.c bootsrv/dhcp_parse.c

# Real DHCP clients, the load generator, the relay, the dissector, the
# peers of the benchmark and the PXE ROM in QEMU.  busybox-static (not
# busybox) satisfies udhcpc without displacing what ni-initrd needs.
DEPS_PKGS += isc-dhcp-client busybox-static udhcpc dhcpcd-base kea-admin \
	kea-dhcp4-server dnsmasq-base tshark isc-dhcp-relay qemu-system-x86 ipxe-qemu

BENCHES += dhcp
.PHONY: bench-dhcp
bench-dhcp: deps all
	@tests/bench/run $(BUILD) dhcp

FUZZERS += fuzz_dhcp_engine
fuzz_dhcp_engine_SRCS := tests/fuzz/fuzz_dhcp_engine.c bootsrv/dhcp_parse.c \
	bootsrv/dhcp_engine.c lib/util.c lib/log.c

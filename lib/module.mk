# lib/: libspringos.a, shared by every program.
LIB_SRCS += lib/log.c lib/util.c lib/ini.c lib/config.c lib/erm.c lib/inventory.c
LIB_LIBS += -lsqlite3 -lpthread
DEPS_PKGS += build-essential pkg-config clang libclang-rt-14-dev \
	libpcap-dev libcurl4-openssl-dev zlib1g-dev libzstd-dev libsnmp-dev snmpd \
	libsqlite3-dev sqlite3 libevent-dev libjansson-dev libssl-dev libcmocka-dev \
	perl iproute2 procps jq

FUZZERS += fuzz_ini
fuzz_ini_SRCS := tests/fuzz/fuzz_ini.c lib/ini.c
UNIT_TESTS += test_util
test_util_SRCS := tests/unit/test_util.c
test_util_LIBS := -lcmocka
UNIT_TESTS += test_erm
test_erm_SRCS := tests/unit/test_erm.c
test_erm_LIBS := -lcmocka
UNIT_TESTS += test_ini
test_ini_SRCS := tests/unit/test_ini.c
test_ini_LIBS := -lcmocka
FUZZERS += fuzz_inventory
fuzz_inventory_SRCS := tests/fuzz/fuzz_inventory.c lib/inventory.c lib/ini.c lib/util.c \
	lib/erm.c lib/config.c
fuzz_inventory_LIBS := -lsqlite3
FUZZERS += fuzz_config
fuzz_config_SRCS := tests/fuzz/fuzz_config.c lib/config.c lib/ini.c lib/util.c

# master/: the master daemon (REST API) and `springos node reimage`.
PROGRAMS += master
master_SRCS := master/master.c master/api.c master/api_body.c
master_LIBS := -levent -ljansson -lcrypto
LIB_SRCS += lib/token.c lib/erm_install.c lib/ni_boot.c
LIB_LIBS += -lcrypto
DEPS_PKGS += libevent-dev libjansson-dev libssl-dev curl

FUZZERS += fuzz_api_body
fuzz_api_body_SRCS := tests/fuzz/fuzz_api_body.c master/api_body.c lib/token.c lib/util.c
fuzz_api_body_LIBS := -ljansson -lcrypto

UNIT_TESTS += test_master_api
test_master_api_SRCS := tests/unit/test_master_api.c master/api_body.c
test_master_api_LIBS := -lcmocka -ljansson -lcrypto

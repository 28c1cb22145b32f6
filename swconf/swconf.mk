# swconf/: VLAN configuration over SNMP, and the lab switch's agent.
LIB_SRCS += lib/erm_vlan.c

SWCONF_CORE := swconf/swmodel.c swconf/swplan.c swconf/snmpio.c swconf/swdev.c \
	swconf/drv_qbridge.c swconf/drv_cisco.c swconf/swcfg.c
PROGRAMS += swconf vswitch-agent
swconf_SRCS := swconf/swconf.c $(SWCONF_CORE)
swconf_LIBS := -lnetsnmp -ljansson
vswitch-agent_SRCS := swconf/vswitch_agent.c swconf/swmodel.c swconf/nl.c
vswitch-agent_LIBS := -lnetsnmpagent -lnetsnmp -levent

UNIT_TESTS += test_swmodel test_erm_vlan
test_swmodel_SRCS := tests/unit/test_swmodel.c swconf/swmodel.c swconf/swplan.c
test_swmodel_LIBS := -lcmocka -ljansson
test_erm_vlan_SRCS := tests/unit/test_erm_vlan.c
test_erm_vlan_LIBS := -lcmocka

FUZZERS += fuzz_swmodel fuzz_swplan
fuzz_swmodel_SRCS := tests/fuzz/fuzz_swmodel.c swconf/swmodel.c
fuzz_swplan_SRCS := tests/fuzz/fuzz_swplan.c swconf/swplan.c lib/util.c
fuzz_swplan_LIBS := -ljansson

DEPS_PKGS += libsnmp-dev snmpd snmp libjansson-dev libevent-dev libsqlite3-dev \
	iproute2 iputils-ping python3

BENCHES += swconf
.PHONY: bench-swconf
bench-swconf: all
	@tests/bench/run $(BUILD) swconf
SCRIPTS += swconf/lab-switch

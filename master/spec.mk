# master/spec.mk: the experiment language (parse, check, fmt, plan) and
# the `springos check|fmt|plan` command implementations (cmd_spec.c).
LIB_SRCS += master/spec_lex.c master/spec_parse.c master/spec_check.c \
	master/spec_fmt.c master/spec_plan.c master/cmd_spec.c

UNIT_TESTS += test_spec
test_spec_SRCS := tests/unit/test_spec.c
test_spec_LIBS := -lcmocka

FUZZERS += fuzz_spec
fuzz_spec_SRCS := tests/fuzz/fuzz_spec.c master/spec_lex.c master/spec_parse.c \
	master/spec_check.c master/spec_fmt.c master/spec_plan.c lib/util.c

BENCHES += spec-parse
DEPS_PKGS += bc python3
.PHONY: bench-spec-parse
bench-spec-parse: all
	tests/bench/run $(BUILD) spec-parse

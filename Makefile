# springos: one non-recursive build.
#
# Every folder describes itself in its own module.mk: the sources it adds to
# libspringos.a (LIB_SRCS), the programs it builds (PROGRAMS, with NAME_SRCS
# and NAME_LIBS), its cmocka unit tests (UNIT_TESTS, same convention), its
# libFuzzer harnesses (FUZZERS, same convention) and the Debian packages it
# needs to build or test (DEPS_PKGS).  This file only knows how to build
# those lists.
#
#   make            build everything into build/
#   make SAN=1 ...  the same with ASan+UBSan, into build-san/
#   make deps       install the Debian packages the build and tests need
#   make test       deps, build, then every test through prove
#   make fuzz       build the libFuzzer harnesses (clang) into build-fuzz/
#   make run        the most complete job springos can do, on the lab
#   make bench      the benchmarks against their peers

SHELL := /bin/bash
.DEFAULT_GOAL := all

SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all
else
BUILD ?= build
SANFLAGS :=
endif

CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wvla
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARNFLAGS) $(CFLAGS) $(SANFLAGS) \
             -Ilib -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

FUZZ_BUILD := build-fuzz
FUZZ_CC ?= clang
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 -Ilib \
              -fsanitize=fuzzer,address,undefined -DSPRINGOS_FUZZ

LIB := $(BUILD)/libspringos.a
LIB_SRCS :=
LIB_LIBS :=
PROGRAMS :=
SCRIPTS :=
UNIT_TESTS :=
FUZZERS :=
DEPS_PKGS :=
BENCHES :=

include $(sort $(wildcard */*.mk))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# program NAME DIR: link NAME_SRCS with libspringos into DIR/NAME.
define link_program
$(2)/$(1): $$(call obj,$$($(1)_SRCS)) $(LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(call obj,$$($(1)_SRCS)) $(LIB) $$($(1)_LIBS) $$(LIB_LIBS)
endef

define fuzz_program
$(FUZZ_BUILD)/$(1): $$($(1)_SRCS)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ $$($(1)_SRCS) $$($(1)_LIBS)
endef

$(foreach p,$(PROGRAMS),$(eval $(call link_program,$(p),$(BUILD)/bin)))
$(foreach t,$(UNIT_TESTS),$(eval $(call link_program,$(t),$(BUILD)/tests)))
$(foreach f,$(FUZZERS),$(eval $(call fuzz_program,$(f))))

PROGRAM_BINS := $(addprefix $(BUILD)/bin/,$(PROGRAMS))
UNIT_TEST_BINS := $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))
FUZZ_BINS := $(addprefix $(FUZZ_BUILD)/,$(FUZZERS))
ALL_SRCS := $(LIB_SRCS) $(foreach x,$(PROGRAMS) $(UNIT_TESTS),$($(x)_SRCS))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(call obj,$(LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

-include $(patsubst %.c,$(BUILD)/obj/%.d,$(sort $(ALL_SRCS)))

.PHONY: all deps test unit-tests fuzz run bench clean install
all: $(PROGRAM_BINS)

unit-tests: $(UNIT_TEST_BINS)

deps:
	@mk/deps.sh $(sort $(DEPS_PKGS))

# The order matters: packages first (headers), then the build, then prove.
test: deps
	@$(MAKE) --no-print-directory SAN=$(SAN) all unit-tests
	@$(MAKE) --no-print-directory fuzz
	@tests/run-tests $(BUILD)

fuzz: $(FUZZ_BINS)

run: deps all
	@mk/run.sh $(BUILD)

bench: deps all
	@tests/bench/run $(BUILD) $(BENCHES)

PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(PROGRAM_BINS) $(DESTDIR)$(PREFIX)/bin/
	for s in $(SCRIPTS); do \
		install -m 755 $$s $(DESTDIR)$(PREFIX)/bin/springos-$${s##*/} || exit 1; \
	done
	install -m 644 $(wildcard docs/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf build build-san $(FUZZ_BUILD) out

# A long fuzz run of one harness: make fuzz-run FUZZER=fuzz_ini SECONDS=600
FUZZER ?= fuzz_ini
SECONDS ?= 60
.PHONY: fuzz-run
fuzz-run: fuzz
	@mkdir -p $(FUZZ_BUILD)/corpus/$(FUZZER)
	$(FUZZ_BUILD)/$(FUZZER) -max_total_time=$(SECONDS) -print_final_stats=1 \
		$(FUZZ_BUILD)/corpus/$(FUZZER) tests/fuzz/corpus/$(FUZZER)

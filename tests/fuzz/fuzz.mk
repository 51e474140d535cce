# Fuzzing, included by the top-level Makefile.
#   make fuzz          each libFuzzer target for FUZZ_SECONDS (60), then the replay
#   make fuzz-check    each target for 10 s, then the replay; TAP lines for the suite
#   make fuzz-build    the libFuzzer binaries (clang), build-fuzz/fuzz_TARGET
#   make fuzz-replay   the replay binaries only, build-fuzz/replay_TARGET, run over
#                      tests/fuzz/corpus/TARGET and tests/fuzz/regressions/TARGET
# New inputs go to build-fuzz/corpus/TARGET, never into the repository; crashes
# to build-fuzz/artifacts/TARGET/, from where a fixed one becomes a regression
# file. The replay binaries need no libFuzzer, so the corpus and the
# regressions replay (ASan+UBSan) wherever clang's fuzzer runtime is missing.

FUZZ_TARGETS := http domain oci config hooksd
FUZZ_B       := build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 10
# Without clang the replay binaries are built with the default compiler.
FUZZ_REPLAY_CC ?= $(if $(shell command -v $(FUZZ_CC) 2>/dev/null),$(FUZZ_CC),$(CC))

# The targets link libnwpure.a (PURE_MODS in the Makefile) built with the
# fuzz flags, and nothing else of hook/: a target can reach only pure code,
# and a fuzz build never waits on the rest.
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_BASE    := -std=gnu11 -O1 -g -fno-omit-frame-pointer -D_GNU_SOURCE \
                -DNW_VERSION='"$(VERSION)"' -Ihook $(PC_CFLAGS) -MMD -MP $(FUZZ_SAN)
# hook/ already builds with -Werror under the project compiler; a warning
# only clang or this compiler knows must not hide what the fuzzers find.
FUZZ_HOOK_CFLAGS := $(FUZZ_BASE) $(filter-out -Werror,$(WARN)) -Wno-format-nonliteral -I$(FUZZ_B)/gen
FUZZ_OWN_CFLAGS  := $(FUZZ_BASE) $(WARN) -Itests/fuzz

# The TLS ClientHello and DNS query readers of the proxy.
FUZZ_TARGETS     += tls dns

# The proxy's decision on a name and its DNS answer, with the node's
# addresses given as a set (proxy_policy, proxy_deny_match and nodeaddr are
# pure modules).
FUZZ_TARGETS     += policy

FUZZ_LF_OBJS     := $(PURE_MODS:%=$(FUZZ_B)/lf/hook/%.o)
FUZZ_REPLAY_OBJS := $(PURE_MODS:%=$(FUZZ_B)/replay/hook/%.o)
FUZZ_LF_LIB      := $(FUZZ_B)/lf/libnwpure.a
FUZZ_REPLAY_LIB  := $(FUZZ_B)/replay/libnwpure.a
FUZZ_BINS        := $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz_%)
FUZZ_REPLAY_BINS := $(FUZZ_TARGETS:%=$(FUZZ_B)/replay_%)

.PHONY: fuzz fuzz-check fuzz-build fuzz-replay fuzz-replay-build
# Kept between runs: make would otherwise delete them as intermediates.
.SECONDARY: $(FUZZ_LF_OBJS) $(FUZZ_REPLAY_OBJS) $(FUZZ_LF_LIB) $(FUZZ_REPLAY_LIB) $(FUZZ_TARGETS:%=$(FUZZ_B)/lf/fuzz_%.o) \
	$(FUZZ_TARGETS:%=$(FUZZ_B)/replay/fuzz_%.o) $(FUZZ_B)/replay/replay.o

$(FUZZ_B)/gen/container_seccomp.h: seccomp/container.json
	@mkdir -p $(@D)
	$(SECCOMP_JSON_TO_C)
$(FUZZ_B)/lf/hook/oci_seccomp.o $(FUZZ_B)/replay/hook/oci_seccomp.o: $(FUZZ_B)/gen/container_seccomp.h

$(FUZZ_B)/lf/hook/%.o: hook/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_HOOK_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_B)/lf/fuzz_%.o: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_OWN_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LF_LIB): $(FUZZ_LF_OBJS) Makefile
	@rm -f $@
	ar rcs $@ $(FUZZ_LF_OBJS)

$(FUZZ_REPLAY_LIB): $(FUZZ_REPLAY_OBJS) Makefile
	@rm -f $@
	ar rcs $@ $(FUZZ_REPLAY_OBJS)

$(FUZZ_B)/fuzz_%: $(FUZZ_B)/lf/fuzz_%.o $(FUZZ_LF_LIB)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(PURE_LIBS)

$(FUZZ_B)/replay/hook/%.o: hook/%.c
	@mkdir -p $(@D)
	$(FUZZ_REPLAY_CC) $(FUZZ_HOOK_CFLAGS) -c $< -o $@

$(FUZZ_B)/replay/%.o: tests/fuzz/%.c tests/fuzz/fuzz.h
	@mkdir -p $(@D)
	$(FUZZ_REPLAY_CC) $(FUZZ_OWN_CFLAGS) -c $< -o $@

$(FUZZ_B)/replay_%: $(FUZZ_B)/replay/fuzz_%.o $(FUZZ_B)/replay/replay.o $(FUZZ_REPLAY_LIB)
	$(FUZZ_REPLAY_CC) $(FUZZ_SAN) -o $@ $^ $(PURE_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-replay-build: $(FUZZ_REPLAY_BINS)

fuzz-replay: $(FUZZ_REPLAY_BINS)
	@tests/run-fuzz-check --replay-only

fuzz:
	@FUZZ_CC='$(FUZZ_CC)' tests/run-fuzz-check --seconds $(FUZZ_SECONDS) --keep-corpus

fuzz-check:
	@FUZZ_CC='$(FUZZ_CC)' tests/run-fuzz-check --seconds $(FUZZ_CHECK_SECONDS)

-include $(wildcard $(FUZZ_B)/lf/*.d $(FUZZ_B)/lf/hook/*.d $(FUZZ_B)/replay/*.d \
	$(FUZZ_B)/replay/hook/*.d)

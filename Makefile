# netward — one hand-written Makefile.
#   make            build build/netward
#   make check      install what is missing, unit tests (plain and ASan+UBSan), integration tests
#   make demo       install what is missing, run one container per mode on the test internet
#   make install    install into $(DESTDIR)$(PREFIX)
#   make deb / rpm  packages;  make fuzz  fuzzers;  make bench  benchmarks

VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
PREFIX    ?= /usr
LIBEXEC   ?= $(PREFIX)/libexec/oci/hooks.d
SYSCONF   ?= /etc
DESTDIR   ?=
B         ?= build
SAN       ?=

LIBS_PC   := libseccomp libcap yajl libnl-3.0 libnl-route-3.0 libcares
# libnftables is dlopen()ed when the firewall is first touched (hook/nftlib.c):
# its headers at build time, libnftables.so.1 at run time.
PC_CFLAGS := $(shell pkg-config --cflags $(LIBS_PC) libnftables 2>/dev/null)
PC_LIBS   := $(shell pkg-config --libs $(LIBS_PC) 2>/dev/null) -ldl

# Each pkg-config module and the Debian package holding it: a missing one
# is named before the first compile, rather than found as a missing header.
PC_DEBS   := libseccomp:libseccomp-dev libcap:libcap-dev yajl:libyajl-dev \
             libnl-3.0:libnl-3-dev libnl-route-3.0:libnl-route-3-dev \
             libcares:libc-ares-dev libnftables:libnftables-dev

CC        ?= cc
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter -Wvla -Wpointer-arith
# Distributions pass their own _FORTIFY_SOURCE level (Fedora: 3); a second
# definition would be an error under -Werror.
FORTIFY   := $(if $(findstring _FORTIFY_SOURCE,$(CFLAGS) $(CPPFLAGS)),,-D_FORTIFY_SOURCE=2)
HARDEN    := $(FORTIFY) -fstack-protector-strong -fPIE -fstack-clash-protection
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(HARDEN) $(CPPFLAGS) $(CFLAGS) -D_GNU_SOURCE -DNW_VERSION='"$(VERSION)"' \
             -Ihook $(PC_CFLAGS) -MMD -MP
LDFLAGS   ?=
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS)

# SAN=1: ASan+UBSan in build-san/. The sandboxed proxy then also allows the
# syscalls the sanitizer runtimes make when they report
# (seccomp/proxy-sanitizer.syscalls, NW_SANITIZER builds only), and
# build-san/netward alone carries tests/san/options.c: halt on the first
# error, reports as files under SAN_LOG_DIR (hooks have stdio on /dev/null).
SAN_LOG_DIR ?= /run/netward-san
.DEFAULT_GOAL := all
ifeq ($(SAN),1)
B         := build-san
CFLAGS    := -O1 -g -fno-omit-frame-pointer
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -DNW_SANITIZER \
              -DNW_SAN_LOG_DIR='"$(SAN_LOG_DIR)"'
ALL_LDFLAGS += -fsanitize=address,undefined
HARDEN    := -fPIE

$(B)/gen/proxy_sanitizer_syscalls.h: seccomp/proxy-sanitizer.syscalls
	@mkdir -p $(@D)
	sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$$/d' -e 's/.*/"&",/' $< > $@.tmp && mv $@.tmp $@
$(B)/obj/sandbox.o: $(B)/gen/proxy_sanitizer_syscalls.h

$(B)/obj/san_options.o: tests/san/options.c Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(B)/netward: $(B)/obj/san_options.o

san: $(B)/netward $(B)/tests/san-probe

$(B)/tests/san-probe: tests/san/probe.c $(B)/obj/san_options.o $(B)/libnetward.a $(B)/libnwpure.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/obj/san_options.o $(B)/libnetward.a \
		$(B)/libnwpure.a $(PC_LIBS)
endif

# The pure modules (STYLE.md: no syscalls, no globals, never exit) are one
# library, libnwpure.a; the rest of hook/ is libnetward.a. The fuzzers and
# the pure modules' unit tests link libnwpure.a alone, and every build
# links all of it on its own ($(B)/pure-ok), so a pure module that calls
# into the rest of hook/ fails to link. Only libc and yajl are allowed.
PURE_MODS := err json addr ports mode domain ident http http_build http_chunked tls_sni dns_msg bucket buf \
             config config_render policy oci oci_seccomp hooksd hooksd_re hooksd_match fw_render \
             oci_resolv proxy_policy proxy_fail proxy_deny_match nodeaddr monitor_spec proxy_reuse
PURE_LIBS := $(shell pkg-config --libs yajl 2>/dev/null)
PURE_OBJS := $(PURE_MODS:%=$(B)/obj/%.o)
SRCS      := $(filter-out hook/main.c hook/shim_main.c,$(wildcard hook/*.c))
OBJS      := $(filter-out $(PURE_OBJS),$(SRCS:hook/%.c=$(B)/obj/%.o))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
# A pure module's test links libnwpure.a alone, but for these, which also
# test an effectful neighbour (config_load.c, fw.c, wire.c, oci_bundle.c,
# nodeaddr_nl.c).
UNIT_EFFECTS := test_config test_fw test_ident test_oci test_nodeaddr
UNIT_PURE := $(filter-out $(UNIT_EFFECTS:%=$(B)/tests/%),$(filter $(PURE_MODS:%=$(B)/tests/test_%),$(UNIT_BINS)))

.PHONY: all check unit unit-san san integration demo install install-bin uninstall clean deps deb rpm fuzz bench format format-check
all: $(B)/netward $(B)/netward-runc $(B)/pure-ok

$(B)/obj/%.o: hook/%.c | $(B)/gen/proxy_syscalls.h $(B)/gen/pc-ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I$(B)/gen -c $< -o $@

$(B)/gen/pc-ok: Makefile
	@command -v pkg-config >/dev/null || { echo "netward: pkg-config is missing:" \
		"apt-get install pkg-config (Fedora: dnf install pkgconfig)" >&2; exit 1; }
	@missing=; for m in $(PC_DEBS); do \
		pkg-config --exists $${m%%:*} || missing="$$missing $${m#*:}"; done; \
	if [ -n "$$missing" ]; then echo "netward: build dependencies missing; install" \
		"them: apt-get install$$missing (Fedora: see README.md, Install)" >&2; exit 1; fi
	@mkdir -p $(@D) && touch $@

# The proxy's seccomp allow-list is data (seccomp/proxy.syscalls, one
# syscall per line, '#' comments); it becomes a list of C strings.
$(B)/gen/proxy_syscalls.h: seccomp/proxy.syscalls
	@mkdir -p $(@D)
	sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$$/d' -e 's/.*/"&",/' $< > $@.tmp && mv $@.tmp $@

# seccomp/container.json, the container-side seccomp additions, as the
# lines of one C string (hook/oci_seccomp.c): the data is reviewed there.
SECCOMP_JSON_TO_C = sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&\\n"/' $< > $@.tmp && mv $@.tmp $@
$(B)/gen/container_seccomp.h: seccomp/container.json
	@mkdir -p $(@D)
	$(SECCOMP_JSON_TO_C)
$(B)/obj/oci_seccomp.o: $(B)/gen/container_seccomp.h

# Remade when the Makefile changes, as PURE_MODS may have moved a module.
$(B)/libnetward.a: $(OBJS) Makefile
	@rm -f $@
	ar rcs $@ $(OBJS)

$(B)/libnwpure.a: $(PURE_OBJS) Makefile
	@rm -f $@
	ar rcs $@ $(PURE_OBJS)

# Every object of libnwpure.a, linked with libc and yajl only.
$(B)/pure-ok: $(B)/libnwpure.a
	printf 'int main(void) { return 0; }\n' > $(B)/pure-main.c
	$(CC) $(ALL_LDFLAGS) -o $(B)/pure-link $(B)/pure-main.c -Wl,--whole-archive $< \
		-Wl,--no-whole-archive $(PURE_LIBS)
	@touch $@

$(B)/netward: $(B)/obj/main.o $(B)/libnetward.a $(B)/libnwpure.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PC_LIBS)

# netward-runc is its own small binary, not a mode of netward: it runs on
# every runtime command an engine makes, and links only libc and yajl
# (--as-needed drops the rest), which keeps its exec cost low (BENCH.md).
$(B)/netward-runc: $(B)/obj/shim_main.o $(B)/libnetward.a $(B)/libnwpure.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PC_LIBS)

$(UNIT_PURE): $(B)/tests/%: tests/unit/%.c tests/unit/unit.h $(B)/libnwpure.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(B)/libnwpure.a $(PURE_LIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/unit.h $(B)/libnetward.a $(B)/libnwpure.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(B)/libnetward.a $(B)/libnwpure.a \
		$(PC_LIBS)

# Unit tests: each binary prints "ok"/"not ok" lines and a summary; the
# runner adds them up.
unit: $(UNIT_BINS)
	@tests/run-unit $(UNIT_BINS)

unit-san:
	$(MAKE) SAN=1 unit

deps:
	@tests/deps.sh

# The whole suite: unit tests plain and sanitized, then integration tests
# (real runc/podman on the test internet). One closing line counts it all.
check: deps
	@$(MAKE) --no-print-directory all
	@tests/run-all

integration: all
	@tests/run-integration

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

install: all install-bin install-data

install-bin: all
	install -D -m 0755 $(B)/netward $(DESTDIR)$(LIBEXEC)/netward
	install -d $(DESTDIR)$(PREFIX)/bin
	ln -sf ../libexec/oci/hooks.d/netward $(DESTDIR)$(PREFIX)/bin/netward
	install -D -m 0755 $(B)/netward-runc $(DESTDIR)$(PREFIX)/bin/netward-runc

uninstall: uninstall-data
	rm -f $(DESTDIR)$(LIBEXEC)/netward $(DESTDIR)$(PREFIX)/bin/netward
	rm -f $(DESTDIR)$(PREFIX)/bin/netward-runc

clean:
	rm -rf build build-san build-fuzz

format:
	clang-format -i hook/*.c hook/*.h tests/unit/*.c tests/unit/*.h

format-check:
	clang-format --dry-run --Werror hook/*.c hook/*.h tests/unit/*.c tests/unit/*.h

-include packaging/packaging.mk
-include tests/fuzz/fuzz.mk
-include tests/bench/bench.mk
-include $(wildcard $(B)/obj/*.d $(B)/tests/*.d)
